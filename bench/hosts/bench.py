#!/usr/bin/env python3
"""Benchmark of servers on hosts reached over SSH.

Run through bench/hosts/run.sh (which sets the environment and cleans up). Five hosts, each its own sshd on
127.61.0.1-5:2222 with a generated host key and an authorized key, registered with `strata host add` (the agent is
installed through sshd, as on a real machine). Everything listens on loopback only, in a private STRATA_HOME.

Phases:
  1. baseline: N copies of the app started at once by hand (bench/up's baseline) until every one answers.
  2. up: `strata up` of N servers across the 5 hosts (N/5 tiers of 5 servers, one port each: two servers that need
     the same port cannot share a host), timed against the baseline; `down` between runs.
  3. image transfer: a deployment of an image with 16 MiB of incompressible data on the 5 hosts, then a second
     deployment of the same image: the loopback interface's bytes during each (everything on loopback counts, health
     checks included, so the second figure is an upper bound on what its image transfer sent).
  4. host loss: a deployment of 5 tiers x 4 servers; one host's sshd, agent and servers are killed with SIGKILL (a host
     losing power) and the time until every tier again has all its servers in service, none on the dead host, is
     measured; the host is then powered on again (its agent reconnects and is fenced) before the next round, which
     takes the next host.
  5. idle: N servers in service on the hosts; the control plane's and the agents' CPU and RSS sampled from /proc.
"""
import argparse
import fcntl
import importlib.util
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
_spec = importlib.util.spec_from_file_location("upbench", os.path.join(ROOT, "bench", "up", "bench.py"))
up = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(up)

HOSTS = 5
SSH_PORT = 2222
BLOCK = 61  # the hosts' addresses are 127.61.0.1-5


def hold_block():
    """Holds 127.61.0.0/16 the way the tests' LoopbackBlocks do (a lock file), so tests running meanwhile never take it."""
    folder = os.path.join(os.environ.get("TMPDIR", "/tmp"), "strata-test-loopback")
    os.makedirs(folder, exist_ok=True)
    held = open(os.path.join(folder, f"{BLOCK}.lock"), "a+")
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"bench/hosts: 127.{BLOCK}.0.0/16 is held by a test run ({held.name}); run the benchmark when it ends")
    return held
ZONES = "abcde"


def log(msg):
    print(f"[bench/hosts {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def children_of():
    """pid -> parent pid for every live process."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    return parents


def descendants(root):
    parents, found, frontier = children_of(), [], [root]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found += kids
        frontier += kids
    return found


class Host:
    """One sshd on its own loopback address: a machine Strata reaches over SSH."""

    def __init__(self, work, index):
        self.name, self.address = f"h{index}", f"127.61.0.{index}"
        self.zone = ZONES[index - 1]
        self.folder = os.path.join(work, "hosts", self.name)
        self.agent_dir = os.path.join(work, "agents", self.name)
        os.makedirs(self.folder)
        for key in ("host_key", "id_ed25519"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "strata-bench", "-f",
                            os.path.join(self.folder, key)], check=True)
        shutil.copy(os.path.join(self.folder, "id_ed25519.pub"), os.path.join(self.folder, "authorized_keys"))
        self.identity = os.path.join(self.folder, "id_ed25519")
        with open(os.path.join(self.folder, "sshd_config"), "w") as f:
            f.write("\n".join([
                f"ListenAddress {self.address}:{SSH_PORT}", f"HostKey {self.folder}/host_key",
                f"PidFile {self.folder}/sshd.pid", f"AuthorizedKeysFile {self.folder}/authorized_keys",
                f"AllowUsers {os.environ.get('USER') or 'root'}", "PubkeyAuthentication yes",
                "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
                "PermitRootLogin prohibit-password", "Subsystem sftp internal-sftp", "MaxStartups 100", "MaxSessions 100", ""]))
        self.sshd = None

    def power_on(self):
        with open(os.path.join(self.folder, "sshd.log"), "a") as err:
            self.sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", os.path.join(self.folder, "sshd_config")],
                                         stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.address, SSH_PORT), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"sshd on {self.address}:{SSH_PORT} did not listen within 20 s")

    def power_off(self):
        """SIGKILL to sshd and everything under it: the sessions, the agent and the servers the agent started."""
        tree = [self.sshd.pid] + descendants(self.sshd.pid)
        for pid in tree:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.sshd.wait()
        self.sshd = None
        return len(tree)

    def agent_pid(self):
        for pid in descendants(self.sshd.pid):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"Strata.Agent.dll" in f.read():
                        return pid
            except OSError:
                pass
        return None


def write_spec(work, name, tiers, per_tier, first_port, image_dir, interval="250ms", timeout="200ms"):
    d = os.path.join(work, f"spec-{name}")
    shutil.rmtree(d, ignore_errors=True)
    shutil.copytree(image_dir, os.path.join(d, "app"))
    lines = [f"deployment: {name}", "images:", f'  app: {{ from: ./app, run: "{up.APP_COMMAND}" }}', "tiers:"]
    for t in range(tiers):
        lines += [f"  w{t}:", "    image: app", f"    servers: {per_tier}", f"    ports: {{ http: {first_port + t} }}",
                  f"    env: {{ PORT: \"{first_port + t}\" }}",
                  f"    health: {{ http: /, interval: {interval}, timeout: {timeout}, healthyAfter: 1 }}"]
    with open(os.path.join(d, "strata.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return d


def in_service(status):
    return [s for s in status["servers"] if s["state"] == "inService"]


def lo_bytes():
    with open("/proc/net/dev") as f:
        for line in f:
            if line.strip().startswith("lo:"):
                return int(line.split(":", 1)[1].split()[0])
    raise RuntimeError("no lo interface in /proc/net/dev")


def cpu_by_part(st, hosts):
    """CPU ticks so far of each part of the benchmark's machine: the control plane, the agents, the hosts' sshd
    processes (the SSH channel's end on each host) and the apps (every other process under an agent)."""
    parts = {"controlPlane": 0, "agents": 0, "sshd": 0, "apps": 0}
    cp = st.server_pid()
    if cp:
        parts["controlPlane"] = up.proc_cpu_ticks(cp)
    for h in hosts:
        agent = h.agent_pid()
        apps = set(descendants(agent)) if agent is not None else set()
        for pid in descendants(h.sshd.pid):
            try:
                with open(f"/proc/{pid}/comm") as f:
                    comm = f.read().strip()
                ticks = up.proc_cpu_ticks(pid)
            except OSError:
                continue
            if pid == agent:
                parts["agents"] += ticks
            elif comm.startswith("sshd"):
                parts["sshd"] += ticks
            elif pid in apps:
                parts["apps"] += ticks
    return parts


def phase_up(st, work, hosts, n, runs, interval, results):
    # A booting server is probed every 100 ms whatever its interval (the control plane's BootProbeInterval), so the
    # interval of servers in service only sets the load that probing them puts on the apps and the control plane.
    d = write_spec(work, "hostsup", n // HOSTS, HOSTS, 8000, os.path.join(ROOT, "bench", "up", "app"), interval=interval, timeout="1s")
    # One uncounted `up` of a server on each host first, as bench/up does: the control plane and the agents live long,
    # and what a first request compiles is not what an `up` of N costs them.
    warm = write_spec(work, "hostswarm", 1, HOSTS, 7999, os.path.join(ROOT, "bench", "up", "app"), interval=interval, timeout="1s")
    st.run("up", warm, "--listen", st.listen, "--timeout", "5m")
    st.run("down", "hostswarm", "--yes", "--timeout", "5m")
    results["up"] = []
    for r in range(runs):
        before, cli_before = cpu_by_part(st, hosts), os.times()
        t0, t0_wall = time.monotonic(), time.time()
        st.run("up", d, "--listen", st.listen, "--timeout", "10m")
        elapsed = time.monotonic() - t0
        cli_after, after = os.times(), cpu_by_part(st, hosts)
        # Seconds of CPU each part spent on the `up` (the apps' whole lives so far: they started in it).
        cpu = {k: (after[k] - before[k]) / up.CLK_TCK for k in after}
        cpu["cli"] = (cli_after.children_user + cli_after.children_system) - (cli_before.children_user + cli_before.children_system)
        status = st.status("hostsup")
        per_host = {}
        for s in in_service(status):
            per_host[s["address"]] = per_host.get(s["address"], 0) + 1
        if sum(per_host.values()) != n:
            raise RuntimeError(f"up returned with {sum(per_host.values())}/{n} servers in service")
        events = st.events("hostsup")
        fresh = [e for e in events if up.ts(e["time"]) >= time.time() - elapsed - 1]
        failures = [e["message"] for e in fresh if e["kind"] in ("server.failed", "server.liveness", "server.orphan", "server.error")]
        replaced = len({e.get("resource") for e in fresh if e["kind"] == "server.failed"})
        for message in failures:
            log(f"up N={n} run {r + 1}: {message}")
        for server in {e.get("server") for e in fresh if e["kind"] == "server.failed"} - {None}:
            # Its whole story, for a failure to be explained from the benchmark's log alone.
            for e in fresh:
                if e.get("server") == server or server in e["message"]:
                    log(f"  {e['time']} {e['kind']} {e['message']}")
            # And every other launch of its tier at its address: two servers of a tier on one host share its port.
            launch = next((e["message"] for e in fresh if e.get("server") == server and " launched at " in e["message"]), "")
            address = launch.split(" launched at ")[1].split(" ")[0] if launch else None
            tier = server.rsplit("-", 1)[0] + "-"
            for e in fresh:
                if address and (e.get("server") or "").startswith(tier) and e.get("server") != server and f" at {address} " in e["message"]:
                    log(f"  same tier and host: {e['time']} {e['kind']} {e['message']}")
        marks = {k: v for k, v in up.analyse(events, t0_wall, n).items() if k not in ("replaced", "orphans", "lbFull")}
        t1, before = time.monotonic(), cpu_by_part(st, hosts)
        st.run("down", "hostsup", "--yes", "--timeout", "5m")
        down = time.monotonic() - t1
        after = cpu_by_part(st, hosts)
        down_cpu = {k: (after[k] - before[k]) / up.CLK_TCK for k in ("controlPlane", "agents", "sshd")}
        results["up"].append({"up": elapsed, "down": down, "downCpu": down_cpu, "perHost": per_host, "failed": replaced,
                              "marks": marks, "cpu": cpu, "loadavg1": os.getloadavg()[0]})
        log(f"up N={n} run {r + 1}: {elapsed:.2f} s, per host {per_host}, failed {replaced}, down {down:.2f} s; "
            + ", ".join(f"{k} {v:.2f}" for k, v in marks.items() if v is not None)
            + "; CPU s: " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items())
            + "; down CPU s: " + ", ".join(f"{k} {v:.2f}" for k, v in down_cpu.items()))


def phase_transfer(st, work, results):
    image = os.path.join(work, "bigapp")
    shutil.copytree(os.path.join(ROOT, "bench", "up", "app"), image)
    with open(os.path.join(image, "blob.bin"), "wb") as f:
        f.write(os.urandom(16 * 1024 * 1024))
    out = {}
    for name, port in (("transfer1", 9100), ("transfer2", 9101)):
        d = write_spec(work, name, 1, HOSTS, port, image, interval="1s", timeout="500ms")
        before, t0 = lo_bytes(), time.monotonic()
        st.run("up", d, "--listen", st.listen, "--timeout", "10m")
        out[name] = {"loopbackBytes": lo_bytes() - before, "seconds": time.monotonic() - t0}
        log(f"{name}: {out[name]['loopbackBytes'] / 2**20:.1f} MiB on loopback, {out[name]['seconds']:.2f} s")
    for name in ("transfer1", "transfer2"):
        st.run("down", name, "--yes", "--timeout", "5m")
    out["secondOverFirst"] = out["transfer2"]["loopbackBytes"] / out["transfer1"]["loopbackBytes"]
    results["transfer"] = out


def wait_recovered(st, name, dead_address, want, deadline):
    while time.monotonic() < deadline:
        s = in_service(st.status(name))
        if len(s) == want and all(x["address"] != dead_address for x in s):
            return time.monotonic()
        time.sleep(0.1)
    raise RuntimeError(f"{name}: not all {want} servers in service elsewhere in time")


def wait_host_ready(st, host, deadline):
    while time.monotonic() < deadline:
        hosts = json.loads(st.run("hosts", "--json").stdout)
        hosts = hosts if isinstance(hosts, list) else hosts.get("hosts", [])
        # Ready alone is not back: a host whose connection dropped stays ready for its host timeout.
        if any(h["name"] == host.name and h["state"] == "ready" and h.get("connected") for h in hosts):
            return
        time.sleep(0.2)
    raise RuntimeError(f"host {host.name} did not come back ready")


def phase_loss(st, work, hosts, rounds, lost_after, results):
    # One server fewer per tier than there are hosts: a tier's port is free on some other host when one is lost.
    d = write_spec(work, "hostsloss", HOSTS, HOSTS - 1, 8500, os.path.join(ROOT, "bench", "up", "app"))
    st.run("up", d, "--listen", st.listen, "--timeout", "10m")
    want = HOSTS * (HOSTS - 1)
    results["loss"] = []
    for r in range(rounds):
        host = hosts[r % HOSTS]
        on_host = [s for s in in_service(st.status("hostsloss")) if s["address"] == host.address]
        t0 = time.monotonic()
        killed = host.power_off()
        done = wait_recovered(st, "hostsloss", host.address, want, t0 + lost_after + 120)
        results["loss"].append({"host": host.name, "serversOnIt": len(on_host), "processesKilled": killed,
                                "seconds": done - t0, "loadavg1": os.getloadavg()[0]})
        log(f"loss round {r + 1}: {host.name} with {len(on_host)} servers; all serving elsewhere after {done - t0:.2f} s")
        host.power_on()
        wait_host_ready(st, host, time.monotonic() + 120)
    st.run("down", "hostsloss", "--yes", "--timeout", "5m")


def phase_idle(st, work, hosts, n, seconds, results):
    d = write_spec(work, "hostsidle", n // HOSTS, HOSTS, 8000, os.path.join(ROOT, "bench", "up", "app"), interval="2s", timeout="1s")
    st.run("up", d, "--listen", st.listen, "--timeout", "10m")
    time.sleep(10)
    pids = {"controlPlane": st.server_pid(), **{f"agent-{h.name}": h.agent_pid() for h in hosts}}
    sample = up.idle(pids, seconds)
    sample["servers"] = len(in_service(st.status("hostsidle")))
    sample["seconds"] = seconds
    sample["loadavg1"] = os.getloadavg()[0]
    results["idle"] = sample
    log("idle: " + json.dumps(sample))
    st.run("down", "hostsidle", "--yes", "--timeout", "5m")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--servers", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--loss-rounds", type=int, default=5)
    ap.add_argument("--host-timeout", default="3s")
    ap.add_argument("--host-lost-after", type=int, default=10, help="seconds")
    ap.add_argument("--idle-seconds", type=int, default=60)
    ap.add_argument("--interval", default="2s", help="the health check interval of the up phase's servers once in service")
    ap.add_argument("--phases", default="up,transfer,loss,idle", help="a comma-separated subset of up,transfer,loss,idle")
    a = ap.parse_args()
    phases = set(a.phases.split(","))
    if not phases or phases - {"up", "transfer", "loss", "idle"}:
        ap.error("--phases takes a comma-separated subset of up,transfer,loss,idle")
    if a.servers % HOSTS:
        ap.error(f"--servers must be a multiple of {HOSTS}")
    block = hold_block()  # noqa: F841 (held until the process ends)
    st = up.Strata(os.path.join(a.work, "home"), f"127.0.0.1:{up.free_port()}")
    results = {"servers": a.servers, "hostTimeout": a.host_timeout, "hostLostAfter": a.host_lost_after, "interval": a.interval}
    hosts = [Host(a.work, i) for i in range(1, HOSTS + 1)]
    for h in hosts:
        h.power_on()
    runs = [up.baseline(a.servers, os.path.join(ROOT, "bench", "up", "app")) for _ in range(a.runs)]
    results["baseline"] = [r[0] for r in runs]
    results["baselineCpu"] = [r[2] for r in runs]
    log(f"baseline N={a.servers}: all answer after {[round(r[0] * 1000) for r in runs]} ms, "
        f"the apps' CPU {[round(r[2], 2) for r in runs]} s")
    st.run("server", "start", "--listen", st.listen, "--host-timeout", a.host_timeout,
           "--host-lost-after", f"{a.host_lost_after}s")
    results["hostAdd"] = []
    for h in hosts:
        t0 = time.monotonic()
        st.run("host", "add", h.name, "--ssh", f"{os.environ.get('USER') or 'root'}@{h.address}:{SSH_PORT}",
               "--identity", h.identity, "--zone", h.zone, "--agent-dir", h.agent_dir, "--accept-new-host-key")
        results["hostAdd"].append(time.monotonic() - t0)
    log(f"hosts added in {[round(x, 2) for x in results['hostAdd']]} s")
    if "up" in phases:
        phase_up(st, a.work, hosts, a.servers, a.runs, a.interval, results)
    if "transfer" in phases:
        phase_transfer(st, a.work, results)
    if "loss" in phases and a.loss_rounds > 0:
        phase_loss(st, a.work, hosts, a.loss_rounds, a.host_lost_after, results)
    if "idle" in phases:
        phase_idle(st, a.work, hosts, a.servers, a.idle_seconds, results)
    with open(os.path.join(a.work, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    report(results)


def report(res):
    n, base = res["servers"], statistics.median(res["baseline"])
    if res.get("up"):
        report_up(res, n, base)
    print(f"Hosts added (agent installed over SFTP) in {[round(x, 2) for x in res['hostAdd']]} s.")
    if "transfer" in res:
        t = res["transfer"]
        print(f"Image of 16 MiB of random data to {HOSTS} hosts: first deployment {t['transfer1']['loopbackBytes'] / 2**20:.1f} "
              f"MiB on loopback, second {t['transfer2']['loopbackBytes'] / 2**20:.2f} MiB: "
              f"{t['secondOverFirst'] * 100:.2f} % (target < 1 %).")
    if res.get("loss"):
        losses = [r["seconds"] for r in res["loss"]]
        print(f"Host loss to all its servers serving elsewhere (hostLostAfter {res['hostLostAfter']} s, host timeout "
              f"{res['hostTimeout']}): median {statistics.median(losses):.2f} s of {[round(x, 2) for x in losses]} "
              f"(target < hostLostAfter + 1 s + app start).")
    if "idle" in res:
        i = res["idle"]
        agents = [v for k, v in i.items() if k.startswith("agent-")]
        print(f"Idle, {i['servers']} servers on {HOSTS} hosts, {i['seconds']} s: control plane {i['controlPlane']['cpuPercent']:.2f} % "
              f"of one core (target < 1 %), RSS {i['controlPlane']['rssMeanMiB']:.0f} MiB (target < 200); agents "
              f"{statistics.mean(a['cpuPercent'] for a in agents):.2f} % of a core and {statistics.mean(a['rssMeanMiB'] for a in agents):.0f} MiB each.")
    loads = [r["loadavg1"] for r in res.get("up", []) + res.get("loss", [])] + ([res["idle"]["loadavg1"]] if "idle" in res else [])
    if loads:
        print(f"1-minute load average during the phases: {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores.")


def report_up(res, n, base):
    ups = [r["up"] for r in res["up"]]
    warm = statistics.median(ups)
    marks = {k: statistics.median(v) for k in res["up"][0]["marks"]
             if (v := [r["marks"][k] for r in res["up"] if r["marks"].get(k) is not None])}
    print(f"\n`up` of {n} servers across {HOSTS} hosts (medians of {len(ups)}): app alone {base * 1000:.0f} ms, "
          f"`up` {warm * 1000:.0f} ms, overhead {(warm - base) * 1000:.0f} ms = {(warm - base) * 1000 / n:.1f} ms per "
          f"server (target < 10). Runs: {[round(x, 2) for x in ups]} s; servers failed per run: "
          f"{[r['failed'] for r in res['up']]}; per host: {res['up'][0]['perHost']}.")
    print("Milestones (medians, s from invoking `up`): " + ", ".join(f"{k} {v:.2f}" for k, v in marks.items()) + ".")
    cpu = {k: statistics.median(r["cpu"][k] for r in res["up"]) for k in res["up"][0]["cpu"]}
    strata = cpu["controlPlane"] + cpu["agents"] + cpu["sshd"] + cpu["cli"]
    print("CPU of an `up` (medians, s): " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items())
          + f"; Strata's own (control plane, agents, their sshd, CLI) {strata * 1000 / n:.1f} ms per server, "
          f"the apps' {cpu['apps'] * 1000 / n:.1f} ms per server (alone: "
          f"{statistics.median(res['baselineCpu']) * 1000 / n:.1f}), on {os.cpu_count()} cores shared by all.")
    downs = [r["down"] for r in res["up"]]
    down_cpu = {k: statistics.median(r["downCpu"][k] for r in res["up"]) for k in res["up"][0]["downCpu"]}
    print(f"`down` of the {n} servers (medians): {statistics.median(downs):.2f} s; CPU s: "
          + ", ".join(f"{k} {v:.2f}" for k, v in down_cpu.items()) + ".")


if __name__ == "__main__":
    main()
