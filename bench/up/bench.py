#!/usr/bin/env python3
"""Benchmark of `strata up`: time to N servers in service against the app's own start time, and idle cost.

Run through bench/up/run.sh (which sets the environment and cleans up). Everything listens on loopback only, in a
private STRATA_HOME under /tmp; every process this script starts is stopped at the end, also on failure.

Phases:
  1. baseline: start N copies of the trivial app in parallel (each on its own 127.77.x.y address, through
     `/bin/sh -c 'exec PYTHON app.py'` like Strata does) and time until every one answers GET / with 200.
  2. warm: control plane started beforehand (`strata server start`), then `strata up` timed, `down` between runs.
  3. cold: `strata server stop` first, so `strata up --listen` also starts the control plane.
  4. idle: 50 servers up and converged; the control plane's CPU (utime+stime) and RSS sampled from /proc.
"""
import argparse
import json
import os
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from urllib.request import urlopen

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# The interpreter running the benchmark, by its path, for the apps alone and under Strata alike: `python3` through a
# version manager's shim (pyenv's is a shell script) costs each start several times the interpreter's own.
APP_COMMAND = f"exec {shlex.quote(sys.executable)} app.py"
STRATA = os.environ.get("STRATA_BENCH_CLI") or os.path.join(ROOT, "strata")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def log(msg):
    print(f"[bench/up {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(host, port, timeout=0.2):
    try:
        with urlopen(f"http://{host}:{port}/", timeout=timeout) as r:
            return r.status == 200
    except Exception:
        return False


# ---------------------------------------------------------------- baseline


def baseline(n, app_dir):
    """Seconds from spawning n apps at once until all answer; each app's own time to first answer; the apps' CPU seconds."""
    procs, ready = [], [None] * n
    cpu_before = os.times()
    t0 = time.monotonic()
    for i in range(n):
        env = dict(os.environ, STRATA_ADDRESS=f"127.77.{i // 250}.{i % 250 + 1}", PORT="8000")
        procs.append((time.monotonic(), subprocess.Popen(
            ["/bin/sh", "-c", APP_COMMAND], cwd=app_dir, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)))

    def poll(i):
        host = f"127.77.{i // 250}.{i % 250 + 1}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((host, 8000), timeout=0.2):
                    pass
                if answers(host, 8000):
                    ready[i] = time.monotonic()
                    return
            except OSError:
                pass
            time.sleep(0.005)

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for _, p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
    if any(r is None for r in ready):
        raise RuntimeError(f"baseline: {sum(r is None for r in ready)} of {n} apps never answered")
    each = [ready[i] - procs[i][0] for i in range(n)]
    # The apps were waited for, so their processor time is in this process's children's (their shells exec them).
    cpu_after = os.times()
    cpu = (cpu_after.children_user + cpu_after.children_system) - (cpu_before.children_user + cpu_before.children_system)
    return max(ready) - t0, statistics.median(each), cpu


# ---------------------------------------------------------------- strata


class Strata:
    def __init__(self, home, listen):
        self.home, self.listen = home, listen
        # A loopback range of its own, so servers of another Strata home on this machine never collide with these.
        self.env = dict(os.environ, STRATA_HOME=home, DOTNET_CLI_TELEMETRY_OPTOUT="1", STRATA_LOCAL_ADDRESSES="127.66.0.1-127.66.255.254")

    def run(self, *args, timeout=600, check=True, capture=True, env=None):
        r = subprocess.run([STRATA, *args], env=dict(self.env, **(env or {})), timeout=timeout, text=True,
                           stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
                           stderr=subprocess.PIPE if capture else subprocess.DEVNULL)
        if check and r.returncode != 0:
            raise RuntimeError(f"strata {' '.join(args)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
        return r

    def server_pid(self):
        r = self.run("server", "status", "--json", check=False)
        try:
            return json.loads(r.stdout)["pid"]
        except Exception:
            return None

    def status(self, name):
        return json.loads(self.run("status", name, "--json").stdout)

    def events(self, name):
        out = self.run("events", name, "--json").stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]


def ts(s):
    return datetime.fromisoformat(s).timestamp()


def analyse(events, t0_wall, n):
    """Offsets (s, from the moment `up` was invoked) of the milestones seen in the deployment's events."""
    launched, in_service, lb_full = {}, {}, None
    for e in events:
        t, msg, res = ts(e["time"]) - t0_wall, e["message"], e.get("resource", "")
        if t < 0:
            continue  # an earlier deployment of the same name
        if e["kind"] == "server.state" and " launched at " in msg:
            launched[res] = t
        elif e["kind"] == "server.state" and msg.endswith("is in service"):
            in_service.setdefault(res, t)
        elif e["kind"] == "loadbalancer.members" and lb_full is None and msg.count(",") + 1 >= n:
            lb_full = t
    bake = [ts(e["time"]) - t0_wall for e in events if e["kind"] == "image.baked" and ts(e["time"]) >= t0_wall]
    boots = [in_service[k] - launched[k] for k in in_service if k in launched]
    fresh = [e for e in events if ts(e["time"]) >= t0_wall]
    return {
        # Servers replaced or failed during this `up`, and orphans found: all 0 on a run that converged cleanly.
        "replaced": len({e.get("resource") for e in fresh if e["kind"] == "server.failed"
                         or (e["kind"] == "server.state" and " terminated (" in e["message"])}),
        "orphans": sum(1 for e in fresh if e["kind"] == "server.orphan"),
        "bake": bake[0] if bake else None,
        "firstLaunched": min(launched.values()) if launched else None,
        "firstInService": min(in_service.values()) if in_service else None,
        "lastLaunched": max(launched.values()) if launched else None,
        "lastInService": max(in_service.values()) if in_service else None,
        "lbFull": lb_full,
        "medianLaunchedToInService": statistics.median(boots) if boots else None,
    }


def cli_marks(stderr, t0_wall):
    """Offsets (s, from invoking `up`) of the CLI's own steps, from its STRATA_TIMINGS lines on stderr."""
    marks = {}
    for line in stderr.splitlines():
        parts = line.split(" ", 5)
        if line.startswith("strata: timing +") and len(parts) == 6:
            step = parts[5].split(" (")[0]
            marks.setdefault(CLI_STEPS.get(step, step), ts(parts[4].replace("Z", "+00:00")) - t0_wall)
    return marks


# The CLI's steps (see src/Strata.Cli/CliTimeline.cs) under the names the results use.
CLI_STEPS = {"process started": "cliProcess", "command line parsed": "cliParsed", "spec loaded": "cliSpecLoaded",
             "control plane connected": "cliConnected", "last event read": "cliEventsRead", "applied": "cliApplied",
             "status says Converged": "cliConverged", "done": "cliDone"}


def proxy_marks(home, status, t0_wall, n):
    """Offsets (s) of the built-in load balancer's start, from its own log: running, listening, and all n members set."""
    marks = {}
    for lb in status.get("loadBalancers", []):
        try:
            with open(os.path.join(home, "loadbalancers", lb["physicalName"], "proxy.log")) as f:
                lines = f.read().splitlines()
        except OSError:
            continue
        for line in lines:
            t = ts(line.split(" ", 1)[0].replace("Z", "+00:00")) - t0_wall if line[:4].isdigit() else None
            if t is None or t < 0:
                continue
            if "Members set:" in line:
                marks.setdefault("lbProcessRunning", t)
                if int(line.split("Members set: ", 1)[1].split(" ", 1)[0]) >= n:
                    marks.setdefault("lbMembersSet", t)
            elif " listening on " in line:
                marks.setdefault("lbListening", t)
    return marks


def one_up(st, spec_dir, name, n):
    t0_wall, t0 = time.time(), time.monotonic()
    r = st.run("up", spec_dir, "--listen", st.listen, "--timeout", "5m", env={"STRATA_TIMINGS": "1"})
    elapsed = time.monotonic() - t0
    status = st.status(name)
    in_service = sum(1 for s in status["servers"] if s["state"] == "inService")
    if in_service != n:
        raise RuntimeError(f"up returned with {in_service}/{n} servers in service")
    return elapsed, {**analyse(st.events(name), t0_wall, n), **cli_marks(r.stderr, t0_wall),
                     **proxy_marks(st.home, status, t0_wall, n), "loadavg1": os.getloadavg()[0]}, status


def write_spec(work, n, lb_port, interval="200ms", suffix=""):
    name = f"benchup{n}{suffix}"
    d = os.path.join(work, f"spec-{n}{suffix}")
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(os.path.join(HERE, "app"), os.path.join(d, "app"))
    with open(os.path.join(HERE, "strata.yaml.in")) as f:
        text = (f.read().replace("@NAME@", name).replace("@N@", str(n)).replace("@LBPORT@", str(lb_port))
                .replace("@INTERVAL@", interval).replace("@COMMAND@", APP_COMMAND))
    with open(os.path.join(d, "strata.yaml"), "w") as f:
        f.write(text)
    return d, name


# ---------------------------------------------------------------- idle


def proc_cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def proc_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def idle(pids, seconds):
    """CPU % of one core over `seconds`, and mean/max RSS in MiB sampled every second, for each pid."""
    start = {k: proc_cpu_ticks(p) for k, p in pids.items()}
    rss = {k: [] for k in pids}
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        for k, p in pids.items():
            rss[k].append(proc_rss_kib(p) / 1024)
        time.sleep(1)
    wall = time.monotonic() - t0
    return {k: {"cpuPercent": 100 * (proc_cpu_ticks(p) - start[k]) / CLK_TCK / wall,
                "rssMeanMiB": statistics.mean(rss[k]), "rssMaxMiB": max(rss[k])} for k, p in pids.items()}


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--sizes", default="1,10,50")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--idle-servers", type=int, default=50)
    ap.add_argument("--idle-seconds", type=int, default=60)
    ap.add_argument("--settle-seconds", type=int, default=10)
    ap.add_argument("--no-cold", action="store_true")
    ap.add_argument("--no-idle", action="store_true", help="skip the idle measurement (for a quick look at the timings)")
    a = ap.parse_args()
    sizes = [int(x) for x in a.sizes.split(",")]
    home = os.path.join(a.work, "home")
    st = Strata(home, f"127.0.0.1:{free_port()}")
    lb_port = free_port()
    results = {"machine": {"nproc": os.cpu_count(), "memTotalMiB": None}, "baseline": {}, "warm": {}, "cold": {}}
    with open("/proc/meminfo") as f:
        results["machine"]["memTotalMiB"] = int(f.readline().split()[1]) // 1024
    with open("/proc/cpuinfo") as f:
        results["machine"]["cpu"] = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    log(f"home {home}, control plane {st.listen}, load balancer port {lb_port}")

    # 1. The physical limit.
    for n in sizes:
        runs = [baseline(n, os.path.join(HERE, "app")) for _ in range(a.runs)]
        results["baseline"][n] = {"allAnswer": [r[0] for r in runs], "medianEach": [r[1] for r in runs]}
        log(f"baseline N={n}: all answer after {[round(r[0] * 1000) for r in runs]} ms")

    # 2. Warm control plane.
    st.run("server", "start", "--listen", st.listen)
    specs = {n: write_spec(a.work, n, lb_port) for n in sorted(set(sizes + [a.idle_servers]))}
    d, name = specs[min(specs)]
    t = time.monotonic()
    st.run("up", d, "--listen", st.listen, "--timeout", "5m")
    results["firstUpOnFreshControlPlane"] = {"n": min(specs), "seconds": time.monotonic() - t}
    st.run("down", name, "--yes", "--timeout", "2m")
    log(f"warm-up up N={min(specs)} (not counted): {results['firstUpOnFreshControlPlane']['seconds']:.2f} s")
    for n in sizes:
        d, name = specs[n]
        results["warm"][n] = []
        for r in range(a.runs):
            elapsed, milestones, _ = one_up(st, d, name, n)
            t = time.monotonic()
            st.run("down", name, "--yes", "--timeout", "2m")
            results["warm"][n].append({"up": elapsed, "down": time.monotonic() - t, **milestones})
            log(f"warm N={n} run {r + 1}: up {elapsed:.2f} s {json.dumps({k: round(v, 3) if v else v for k, v in milestones.items()})}")

    # 3. Cold control plane: `up` starts it.
    if not a.no_cold:
        for n in sizes:
            d, name = specs[n]
            results["cold"][n] = []
            for r in range(a.runs):
                st.run("server", "stop", check=False)
                elapsed, milestones, _ = one_up(st, d, name, n)
                st.run("down", name, "--yes", "--timeout", "2m")
                results["cold"][n].append({"up": elapsed, **milestones})
                log(f"cold N={n} run {r + 1}: up {elapsed:.2f} s")
        if st.server_pid() is None:
            st.run("server", "start", "--listen", st.listen)

    # 4. Idle cost with the idle deployment up and converged.
    # Idle is measured with Strata's default health-check interval (2 s), as a deployment would run; the timed
    # runs above check every 200 ms so that checking does not dominate the time to in service.
    if not a.no_idle:
        measure_idle(st, a, lb_port, results)
    with open(os.path.join(a.work, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    report(results, sizes)


def measure_idle(st, a, lb_port, results):
    n = a.idle_servers
    d, name = write_spec(a.work, n, lb_port, interval="2s", suffix="idle")
    elapsed, _, status = one_up(st, d, name, n)
    log(f"idle: {n} servers up in {elapsed:.2f} s; settling {a.settle_seconds} s, then sampling {a.idle_seconds} s")
    time.sleep(a.settle_seconds)
    pids = {"controlPlane": st.server_pid(), "loadBalancer": status["loadBalancers"][0]["pid"]}
    server_pids = [s["pid"] for s in status["servers"]]
    results["idle"] = idle(pids, a.idle_seconds)
    results["idle"]["servers"] = n
    results["idle"]["loadavg1"] = os.getloadavg()[0]
    results["idle"]["seconds"] = a.idle_seconds
    results["idle"]["appRssTotalMiB"] = sum(proc_rss_kib(p) for p in server_pids if os.path.exists(f"/proc/{p}")) / 1024
    after = st.status(name)
    results["idle"]["inServiceAfter"] = sum(1 for s in after["servers"] if s["state"] == "inService")
    results["idle"]["pidsUnchanged"] = sorted(s["pid"] for s in after["servers"]) == sorted(server_pids)
    log("idle: " + json.dumps(results["idle"]))
    t = time.monotonic()
    st.run("down", name, "--yes", "--timeout", "2m")
    results["idle"]["down"] = time.monotonic() - t


# The steps of one `up`, in the order they happen, as the timeline table names them.
TIMELINE = [("cliProcess", "CLI process started"), ("cliParsed", "command line parsed"), ("cliSpecLoaded", "spec loaded (CLI)"),
            ("cliConnected", "control plane connected"), ("cliEventsRead", "last event read"), ("cliApplied", "applied: plan answered"),
            ("bake", "image baked"), ("firstLaunched", "first server launched"), ("lbProcessRunning", "LB process running"),
            ("lbListening", "LB listening"), ("lastLaunched", "last server launched"), ("firstInService", "first server in service"),
            ("lastInService", "last server in service"), ("lbMembersSet", "LB has all N members (its log)"),
            ("lbFull", "LB members event (all N)"), ("cliConverged", "CLI sees converged"), ("cliDone", "CLI done"), ("up", "`up` returned")]


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def report(res, sizes):
    ms = lambda s: f"{s * 1000:.0f}"
    m = res["machine"]
    print(f"\nMachine: {m['nproc']} cores ({m['cpu']}), {m['memTotalMiB']} MiB memory. "
          f"First `up` on a fresh control plane (N={res['firstUpOnFreshControlPlane']['n']}, not counted): "
          f"{ms(res['firstUpOnFreshControlPlane']['seconds'])} ms.\n")
    print("| N | app alone, all answer (ms) | `up`, warm control plane (ms) | overhead (ms) | overhead / server (ms) "
          "| `up` incl. control-plane start (ms) | overhead / server, cold (ms) |")
    print("|---|---|---|---|---|---|---|")
    for n in sizes:
        base = med(res["baseline"][n]["allAnswer"])
        warm = med([r["up"] for r in res["warm"][n]])
        cold = med([r["up"] for r in res["cold"].get(n, [])]) if res["cold"] else float("nan")
        print(f"| {n} | {ms(base)} | {ms(warm)} | {ms(warm - base)} | {(warm - base) * 1000 / n:.0f} "
              f"| {ms(cold)} | {(cold - base) * 1000 / n:.0f} |")
    print("\nMilestones of the warm runs (medians, ms from invoking `up`, from `strata events --json`):\n")
    print("| N | image baked | first server launched | last server launched | last server in service "
          "| LB sends to all N | `up` returns | launched → in service, per server |")
    print("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        rs = res["warm"][n]
        col = lambda k: ms(med([r[k] for r in rs]))
        print(f"| {n} | {col('bake')} | {col('firstLaunched')} | {col('lastLaunched')} | {col('lastInService')} "
              f"| {col('lbFull')} | {col('up')} | {col('medianLaunchedToInService')} |")
    print("\nTimeline of the warm runs (medians, ms from invoking `up`; CLI steps from its `STRATA_TIMINGS=1` marks, "
          "load balancer steps from its own log, the rest from `strata events --json`):\n")
    print("| step | " + " | ".join(f"N = {n}" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for key, label in TIMELINE:
        cells = [med([r.get(key) for r in res["warm"][n]]) for n in sizes]
        if all(c != c for c in cells):  # every one NaN: this CLI or proxy does not report the step
            continue
        print(f"| {label} | " + " | ".join("" if c != c else ms(c) for c in cells) + " |")
    print("\nAll runs (s): " + json.dumps({n: {"baseline": [round(x, 3) for x in res["baseline"][n]["allAnswer"]],
                                              "warm": [round(r["up"], 3) for r in res["warm"][n]],
                                              "cold": [round(r["up"], 3) for r in res["cold"].get(n, [])]}
                                          for n in sizes}))
    print("\nServers replaced or failed, and orphans, per run: " + json.dumps(
        {n: [(r.get("replaced"), r.get("orphans")) for k in ("warm", "cold") for r in res[k].get(n, [])] for n in sizes}))
    loads = [r["loadavg1"] for k in ("warm", "cold") for n in res[k] for r in res[k][n]]
    print(f"\n1-minute load average after each `up`: {min(loads):.1f} to {max(loads):.1f} on {m['nproc']} cores "
          "(anything well above 0 means other work shared the machine and the figures are inflated).")
    if "idle" not in res:
        return
    i = res["idle"]
    print(f"\nIdle, {i['servers']} servers in service, {i['seconds']} s sample: control plane "
          f"{i['controlPlane']['cpuPercent']:.2f} % of one core, RSS {i['controlPlane']['rssMeanMiB']:.0f} MiB "
          f"(max {i['controlPlane']['rssMaxMiB']:.0f}); load balancer {i['loadBalancer']['cpuPercent']:.2f} % of one core, "
          f"RSS {i['loadBalancer']['rssMeanMiB']:.0f} MiB; the {i['servers']} apps together {i['appRssTotalMiB']:.0f} MiB; "
          f"in service afterwards {i['inServiceAfter']}/{i['servers']}, same pids: {i['pidsUnchanged']}.")


if __name__ == "__main__":
    main()
