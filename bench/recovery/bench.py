#!/usr/bin/env python3
"""Benchmark of recovery and scaling through the built-in load balancer.

Run through bench/recovery/run.sh (which sets the environment and cleans up). Everything listens on loopback only,
in a private STRATA_HOME under /tmp with its own address range; every process this script starts is stopped at the
end, also on failure.

  1. baseline: the app started alone (`/bin/sh -c 'exec PYTHON app.py'`, the interpreter running this script), timed until it answers GET / with 200.
  2. recovery: 3 servers behind the load balancer; `kill -9` of one server's process group, then GET / through the
     load balancer in a tight loop until an answer names a server that did not exist before the kill. Recovery
     overhead = that time - the app's own start time. The events (`strata events --json`) split it into
     detection (server.failed), launch (a server event from Pending), health (one to InService) and membership.
  3. spike: a tier { min: 1, max: 3, desired: 1 } with `requestRate above 10 for 1s`; wrk starts (-t1 -c4) and GET /
     through the load balancer in a loop until an answer names a second server. Fresh `up` for every run.
"""
import argparse
import importlib.util
import json
import os
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

# The app's command line (the interpreter by its path, not a version manager's shim) is the up benchmark's.
_spec = importlib.util.spec_from_file_location("upbench", os.path.join(ROOT, "bench", "up", "bench.py"))
_up = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_up)
APP_COMMAND = _up.APP_COMMAND
STRATA = os.environ.get("STRATA_BENCH_CLI") or os.path.join(ROOT, "strata")
ADDRESSES = "127.252.0.1-127.252.255.254"
BASELINE_ADDRESS = "127.251.0.1"
SPIKE_RULE = """    scaling:
      - { metric: requestRate, above: 10, below: 2, for: 1s, cooldown: 5s, step: 1 }"""


def log(msg):
    print(f"[bench/recovery {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=1.0):
    """The body of GET url, or None when it fails."""
    try:
        with urlopen(url, timeout=timeout) as r:
            return r.read().decode() if r.status == 200 else None
    except Exception:
        return None


def wait_for_new_server(url, known, deadline_s=60):
    """Monotonic time of the first answer through the load balancer from a server not in `known`."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        body = get(url, timeout=0.5)
        if body is not None and body not in known:
            return time.monotonic(), body
    raise RuntimeError(f"no new server answered through {url} within {deadline_s} s")


def ts(s):
    return datetime.fromisoformat(s).timestamp()


# ---------------------------------------------------------------- strata


class Strata:
    def __init__(self, home, listen):
        self.listen = listen
        self.env = dict(os.environ, STRATA_HOME=home, STRATA_LOCAL_ADDRESSES=ADDRESSES, DOTNET_CLI_TELEMETRY_OPTOUT="1")

    def run(self, *args, timeout=300, check=True):
        r = subprocess.run([STRATA, *args], env=self.env, timeout=timeout, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if check and r.returncode != 0:
            raise RuntimeError(f"strata {' '.join(args)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
        return r

    def status(self, name):
        return json.loads(self.run("status", name, "--json").stdout)

    def events(self, name):
        out = self.run("events", name, "--json").stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def up(self, spec_dir):
        self.run("up", spec_dir, "--listen", self.listen, "--timeout", "3m")

    def down(self, name):
        self.run("down", name, "--yes", "--timeout", "2m")


def write_spec(work, name, servers, lb_port, scaling=""):
    d = os.path.join(work, f"spec-{name}")
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(os.path.join(HERE, "app"), os.path.join(d, "app"))
    with open(os.path.join(HERE, "strata.yaml.in")) as f:
        text = (f.read().replace("@NAME@", name).replace("@SERVERS@", servers).replace("@LBPORT@", str(lb_port))
                .replace("@SCALING@", scaling).replace("@COMMAND@", APP_COMMAND))
    with open(os.path.join(d, "strata.yaml"), "w") as f:
        f.write(text)
    return d


def after(events, t0_wall):
    return [e for e in events if ts(e["time"]) >= t0_wall]


def first(events, t0_wall, pred):
    hit = next((e for e in events if pred(e)), None)
    return ts(hit["time"]) - t0_wall if hit else None


# ---------------------------------------------------------------- phases


def baseline(app_dir):
    """Seconds from spawning the app alone until it answers GET / with 200."""
    env = dict(os.environ, STRATA_ADDRESS=BASELINE_ADDRESS, PORT="8000")
    t0 = time.monotonic()
    p = subprocess.Popen(["/bin/sh", "-c", APP_COMMAND], cwd=app_dir, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = t0 + 30
        while time.monotonic() < deadline:
            if get(f"http://{BASELINE_ADDRESS}:8000/", timeout=0.2) is not None:
                return time.monotonic() - t0
            time.sleep(0.002)
        raise RuntimeError("baseline: the app never answered")
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def wait_converged(st, name, n, deadline_s=60):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        s = st.status(name)
        if (s["phase"] == "Converged" and sum(x["state"] == "inService" for x in s["servers"]) == n
                and len(s["loadBalancers"][0]["members"]) == n):
            return s
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not converge to {n} servers within {deadline_s} s")


def recovery_run(st, name, url):
    status = wait_converged(st, name, 3)
    known = {s["name"] for s in status["servers"]}
    victim = status["servers"][0]
    t0_wall, t0 = time.time(), time.monotonic()
    os.killpg(os.getpgid(victim["pid"]), signal.SIGKILL)
    serving, new = wait_for_new_server(url, known)
    total = serving - t0
    wait_converged(st, name, 3)
    ev = after(st.events(name), t0_wall)
    vres = f"tiers.web.servers[{victim['name']}]"
    return {
        "total": total,
        "detected": first(ev, t0_wall, lambda e: e.get("resource") == vres and e["kind"] in ("server.failed", "server.state")),
        "launched": first(ev, t0_wall, lambda e: e.get("server") == new and e.get("fromState") == "Pending"),
        "inService": first(ev, t0_wall, lambda e: e.get("server") == new and e.get("toState") == "InService"),
        "member": first(ev, t0_wall, lambda e: e["kind"] == "loadbalancer.members" and new in e["message"]),
        "loadavg1": os.getloadavg()[0],
    }


def spike_run(st, spec_dir, name, url):
    st.up(spec_dir)
    status = wait_converged(st, name, 1)
    known = {s["name"] for s in status["servers"]}
    t0_wall, t0 = time.time(), time.monotonic()
    wrk = subprocess.Popen(["wrk", "-t1", "-c4", "-d30s", url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        serving, new = wait_for_new_server(url, known)
    finally:
        wrk.send_signal(signal.SIGINT)
        wrk.wait(timeout=30)
    total = serving - t0
    ev = after(st.events(name), t0_wall)
    result = {
        "total": total,
        "decided": first(ev, t0_wall, lambda e: e["kind"] == "tier.scaling" and "from 1 to 2" in e["message"]),
        "decision": next((e["message"] for e in ev if e["kind"] == "tier.scaling"), None),
        "launched": first(ev, t0_wall, lambda e: e.get("server") == new and e.get("fromState") == "Pending"),
        "inService": first(ev, t0_wall, lambda e: e.get("server") == new and e.get("toState") == "InService"),
        "member": first(ev, t0_wall, lambda e: e["kind"] == "loadbalancer.members" and new in e["message"]),
        "loadavg1": os.getloadavg()[0],
    }
    st.down(name)
    return result


# ---------------------------------------------------------------- main


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ms(x):
    return "–" if x is None else f"{x * 1000:,.0f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--spike-runs", type=int, default=3)
    a = ap.parse_args()
    st = Strata(os.path.join(a.work, "home"), f"127.0.0.1:{free_port()}")
    res = {"machine": {"nproc": os.cpu_count()}}
    with open("/proc/cpuinfo") as f:
        res["machine"]["cpu"] = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "?")
    with open("/proc/meminfo") as f:
        res["machine"]["memTotalMiB"] = int(f.readline().split()[1]) // 1024

    res["baseline"] = [baseline(os.path.join(HERE, "app")) for _ in range(a.runs)]
    log(f"baseline: the app alone answers after {[round(x * 1000) for x in res['baseline']]} ms")

    st.run("server", "start", "--listen", st.listen)
    lb_port = free_port()
    url = f"http://127.0.0.1:{lb_port}/"
    spec = write_spec(a.work, "benchrecovery", "3", lb_port)
    st.up(spec)
    res["recovery"] = []
    for r in range(a.runs):
        run = recovery_run(st, "benchrecovery", url)
        res["recovery"].append(run)
        log(f"recovery run {r + 1}: {json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in run.items()})}")
    st.down("benchrecovery")

    spike_port = free_port()
    spike_url = f"http://127.0.0.1:{spike_port}/"
    spike_spec = write_spec(a.work, "benchspike", "{ min: 1, max: 3, desired: 1 }", spike_port, SPIKE_RULE)
    res["spike"] = []
    for r in range(a.spike_runs):
        run = spike_run(st, spike_spec, "benchspike", spike_url)
        res["spike"].append(run)
        log(f"spike run {r + 1}: {json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in run.items()})}")

    with open(os.path.join(a.work, "results.json"), "w") as f:
        json.dump(res, f, indent=2)
    report(res)


def report(res):
    m = res["machine"]
    base = med(res["baseline"])
    print(f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memTotalMiB']} MiB.")
    print(f"\nApp alone, spawn to first 200: median {ms(base)} ms (runs {[round(x * 1000) for x in res['baseline']]}).")
    for key, title, mark in (("recovery", "Recovery: `kill -9` of one of 3 servers → replacement answering through the LB", "detected"),
                             ("spike", "Spike: wrk starts → a second server answering through the LB", "decided")):
        rs = res[key]
        if not rs:
            continue
        total = med([r["total"] for r in rs])
        print(f"\n{title} (ms from the kill / the spike, medians of {len(rs)}):\n")
        print(f"| {mark} | launched | in service | LB member | answering through the LB | minus the app's start |")
        print("|---|---|---|---|---|---|")
        print(f"| {ms(med([r[mark] for r in rs]))} | {ms(med([r['launched'] for r in rs]))} | {ms(med([r['inService'] for r in rs]))} "
              f"| {ms(med([r['member'] for r in rs]))} | {ms(total)} | {ms(total - base)} |")
        print(f"\nAll runs (ms): {[round(r['total'] * 1000) for r in rs]}; 1-minute load average "
              f"{min(r['loadavg1'] for r in rs):.1f}–{max(r['loadavg1'] for r in rs):.1f} on {m['nproc']} cores.")
        if key == "spike":
            print(f"\nFirst decision: {rs[0]['decision']}")


if __name__ == "__main__":
    main()
