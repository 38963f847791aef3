"""`make bench-overload`: goodput while more clients than the service can serve give up and retry, against the
service's measured capacity, and how long health takes to answer meanwhile and afterwards.

Starts a fresh SecantusDB, gunicorn as `make run` does (gunicorn.conf.py, its default workers) with TRUSTED_PROXIES=1,
HEALTH_PORT and METRICS_PORT, and the shipped nginx in front (deploy/nginx, rendered as the tests render it, run by
the local nginx). The requests are sign-ups (customer-user/create, as phone apps send them: one argon2 hash each,
with an Idempotency-Key). First the capacity: sign-ups from a few clients that wait as long as it takes. Then the
overload: CLIENTS clients, each from a loopback address of its own (so nginx's per-address limit does not hold them
back), each sending sign-ups one after another; a client that gets no answer within PATIENCE seconds closes the
connection and sends the same request again (same key); one answered 503 or 429 waits what Retry-After says (at
most PATIENCE), as the contract asks. Goodput: sign-ups answered 201 within the patience, a second, in the steady
part of the run. Health is asked through nginx twice a second throughout, then once the load stops.

--baseline runs the same against the service as it was before its overload defences (no shedding, gunicorn's
default backlog of 2048, health through the workers, nginx trying to connect for 5 s); the check that a caller is
still there before argon2 work cannot be switched off and stays on.
"""
import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from pymongo import MongoClient

from bench.fixture import PASSWORD, RESELLER, set_up
from bench.report import machine
from scripts.embedded_db import EmbeddedDatabase, answers, free_port
from scripts.local_nginx import LocalNginx

ROOT = Path(__file__).resolve().parent.parent
SIGN_UP = "/services/rest/customer-user/create"
HEALTH = "/services/rest/health"


def address(number):
    """A loopback address of its own for client number (127.0.1.1, 127.0.1.2, ...)."""
    return f"127.0.{1 + number // 250}.{1 + number % 250}"


class Service:
    """gunicorn as `make run` starts it, with the ports the compose stack gives it, and nginx in front."""

    def __init__(self, uri, folder, baseline, database_pid, backlog=None):
        self.database_pid = database_pid
        # gunicorn's default backlog for the baseline; else gunicorn.conf.py's unless given.
        self.backlog = 2048 if baseline else backlog
        self.port, self.health_port, self.metrics_port = free_port(), free_port(), free_port()
        self.baseline = baseline
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "MONGODB_URI": uri, "PORT": str(self.port),
                    "HEALTH_PORT": str(self.health_port), "METRICS_PORT": str(self.metrics_port),
                    "TRUSTED_PROXIES": "1", "LOG_LEVEL": "WARNING"}
        if baseline:
            self.env["STALE_REQUEST_MS"] = "0"
        self.folder = folder

    def __enter__(self):
        command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
        if self.backlog:
            command += ["--backlog", str(self.backlog)]
        self.gunicorn = subprocess.Popen([*command, "wsgi:app"], cwd=ROOT, env=self.env,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not (answers("127.0.0.1", self.port) and answers("127.0.0.1", self.health_port)):
            if time.monotonic() > deadline or self.gunicorn.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        health_port = self.port if self.baseline else self.health_port
        binary = next((path for path in ("/usr/sbin/nginx", "/usr/bin/nginx") if os.path.exists(path)), "nginx")
        self.nginx = LocalNginx(binary, self.folder, self.port, health_port).start()
        if self.baseline:
            # The site as it was: nginx tried to connect for 5 s.
            site = self.nginx.folder / "default.conf"
            site.write_text(site.read_text().replace("proxy_connect_timeout 2s;\n        proxy_send",
                                                     "proxy_connect_timeout 5s;\n        proxy_send"))
            subprocess.run([binary, "-p", f"{self.folder}/", "-c", str(self.nginx.folder / "nginx.conf"), "-s",
                            "reload"], check=True, capture_output=True)
        return self

    def __exit__(self, *exc):
        self.nginx.stop()
        self.gunicorn.terminate()
        self.gunicorn.wait(timeout=60)

    def processes(self):
        return {"gunicorn": self.gunicorn.pid, "nginx": self.nginx.process.pid, "database": self.database_pid}

    def scrape(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=30) as answer:
            text = answer.read().decode()
        counts = {}
        for line in text.splitlines():
            if line.startswith(("provisioning_shed_total ", "provisioning_clients_gone_total ")):
                name, value = line.split()
                counts[name] = float(value)
            elif line.startswith("provisioning_requests_total{") and 'endpoint="/services/rest/customer-user/create"' \
                    in line:
                labels, value = line.rsplit(" ", 1)
                code = labels.split('code="')[1].split('"')[0]
                counts[f"answered {code}"] = counts.get(f"answered {code}", 0) + float(value)
        return counts


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """CPU time a process and its living children have used, in seconds."""
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def cpu_use(processes):
    """CPU seconds used so far by each named process (with its children), and by this benchmark itself."""
    own = os.times()
    return {**{name: cpu_seconds(pid) for name, pid in processes.items()}, "load generator": own.user + own.system}


async def exchange(port, request, *, source, patience):
    """Send one request on a connection of its own; return (HTTP code, JSON answer, headers), or None when no answer
    came within patience (the connection is then closed, as a client that gives up closes it)."""
    writer = None
    try:
        async with asyncio.timeout(patience):
            reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
            writer.write(request)
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            headers = {name.lower(): value for name, value in
                       (line.split(": ", 1) for line in head[1:] if ": " in line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            return int(head[0].split()[1]), json.loads(body), headers
    except (TimeoutError, OSError, asyncio.IncompleteReadError):
        return None
    finally:
        if writer is not None:
            writer.close()


def sign_up_request(name, key):
    body = (f"resellerName={RESELLER}&resellerPassword={PASSWORD}&customer={name}&username={name}"
            "&password=user-pw&applyFreeCredits=false").encode()
    return (f"POST {SIGN_UP} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Idempotency-Key: {key}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


HEALTH_REQUEST = f"GET {HEALTH} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode()


class Load:
    """Clients signing up one customer after another; what they were answered and when."""

    def __init__(self, port, clients, patience, run):
        self.port, self.clients, self.patience, self.run = port, clients, patience, run
        self.stopping = asyncio.Event()
        self.answers = []  # (time, HTTP code, status, message)
        self.gave_up = 0

    async def client(self, number):
        source, sent = address(number), 0
        while not self.stopping.is_set():
            sent += 1
            request = sign_up_request(f"{self.run}-{number}-{sent}", uuid.uuid4().hex)
            while not self.stopping.is_set():
                answered = await exchange(self.port, request, source=source, patience=self.patience)
                if answered is None:
                    self.gave_up += 1
                    continue
                code, answer, headers = answered
                self.answers.append((time.monotonic(), code, answer.get("status"), answer.get("message", "")))
                if code == 201:
                    break
                if "retry-after" not in headers:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(),
                                           min(float(headers["retry-after"]), self.patience))

    async def drive(self, seconds):
        tasks = [asyncio.create_task(self.client(number)) for number in range(self.clients)]
        await asyncio.sleep(seconds)
        self.stopping.set()
        await asyncio.gather(*tasks)


async def watch_health(port, stopping, every=0.5):
    """Ask health every so often until stopping; (time, seconds it took, HTTP code or None)."""
    seen = []
    while not stopping.is_set():
        started = time.monotonic()
        answered = await exchange(port, HEALTH_REQUEST, source="127.0.0.1", patience=120)
        seen.append((started, time.monotonic() - started, answered[0] if answered else None))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), every)
    return seen


async def capacity(service, clients, seconds, run):
    """Sign-ups a second from clients that wait as long as it takes, and the CPU each part used, in the second half of
    the run."""
    load = Load(service.nginx.port, clients, patience=120, run=run)
    driving = asyncio.create_task(load.drive(seconds))
    await asyncio.sleep(seconds / 2)
    counted_from, cpu_before = time.monotonic(), cpu_use(service.processes())
    await driving
    took = time.monotonic() - counted_from
    cpu = {name: (used - cpu_before[name]) / took for name, used in cpu_use(service.processes()).items()}
    created = sum(1 for at, code, _, _ in load.answers if code == 201 and at >= counted_from)
    return created / took, cpu


async def overload(service, clients, patience, seconds, warmup, run):
    """The overload run, health watched throughout and after; its figures."""
    health_stop = asyncio.Event()
    watcher = asyncio.create_task(watch_health(service.nginx.port, health_stop))
    load = Load(service.nginx.port, clients, patience, run)
    started = time.monotonic()
    cpu_before = cpu_use(service.processes())
    await load.drive(seconds)
    stopped = time.monotonic()
    cpu = {name: (used - cpu_before[name]) / (stopped - started) for name, used in cpu_use(service.processes()).items()}
    health_stop.set()
    during = await watcher
    # The moment the load stops: health once, then one sign-up.
    began = time.monotonic()
    answered = await exchange(service.nginx.port, HEALTH_REQUEST, source="127.0.0.1", patience=120)
    health_after = (time.monotonic() - began, answered[0] if answered else None)
    began = time.monotonic()
    answered = await exchange(service.nginx.port, sign_up_request(f"{run}-after", uuid.uuid4().hex),
                              source="127.0.0.1", patience=120)
    sign_up_after = (time.monotonic() - began, answered[0] if answered else None)
    window = (started + warmup, stopped)
    steady = [entry for entry in load.answers if window[0] <= entry[0] <= window[1]]
    kinds = {}
    for _, code, status, message in steady:
        kind = f"{code} status {status}" + (" (shed)" if "too busy" in message else "")
        kinds[kind] = kinds.get(kind, 0) + 1
    latencies = [took for at, took, _ in during]
    return {
        "goodput": kinds.get("201 status 0", 0) / (window[1] - window[0]),
        "answers": kinds, "gave_up": load.gave_up,
        "health_p50": statistics.median(latencies), "health_max": max(latencies),
        "health_codes": sorted({code for _, _, code in during}, key=str), "health_checks": len(during),
        "health_after": health_after, "sign_up_after": sign_up_after, "cpu": cpu,
    }


def run_once(args, baseline):
    with tempfile.TemporaryDirectory() as storage, tempfile.TemporaryDirectory() as folder:
        database = EmbeddedDatabase(storage_path=storage).start()
        uri = database.uri.replace("/?", "/provisioning?")
        try:
            set_up(uri)
            with Service(uri, folder, baseline, database.process.pid, args.backlog) as service:
                run = uuid.uuid4().hex[:8]
                rate, capacity_cpu = asyncio.run(capacity(service, args.capacity_clients, args.capacity_seconds,
                                                          f"c{run}"))
                print(f"capacity: {rate:.1f} sign-ups a second ({args.capacity_clients} clients that wait); CPU in "
                      "cores: " + ", ".join(f"{name} {used:.2f}" for name, used in capacity_cpu.items()), flush=True)
                before = service.scrape()
                figures = asyncio.run(overload(service, args.clients, args.patience, args.seconds, args.warmup,
                                               f"o{run}"))
                after = service.scrape()
            created = MongoClient(uri).get_default_database().customers.count_documents(
                {"name": {"$regex": f"^o{run}-"}})
        finally:
            database.stop()
    figures["capacity"] = rate
    figures["capacity_cpu"] = capacity_cpu
    figures["created"] = created
    figures["service"] = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    return figures


def report(figures, args, label):
    health_after, sign_up_after = figures["health_after"], figures["sign_up_after"]
    lines = [
        f"{label}: {args.clients} clients giving up after {args.patience} s, {args.seconds} s "
        f"(the first {args.warmup} s not counted)",
        f"  goodput {figures['goodput']:.1f} sign-ups/s = {figures['goodput'] / figures['capacity']:.2f} of capacity "
        f"({figures['capacity']:.1f}/s)",
        f"  clients' answers in the counted part: {json.dumps(figures['answers'], sort_keys=True)}; "
        f"gave up {figures['gave_up']} times in all",
        f"  customers the service created: {figures['created']}; its answers and refusals: "
        f"{json.dumps({k: int(v) for k, v in sorted(figures['service'].items())})}",
        f"  health through nginx during the load: {figures['health_checks']} checks, p50 "
        f"{figures['health_p50'] * 1000:.0f} ms, max {figures['health_max'] * 1000:.0f} ms, codes "
        f"{figures['health_codes']}",
        f"  when the load stopped: health {health_after[1]} in {health_after[0] * 1000:.0f} ms, a sign-up "
        f"{sign_up_after[1]} in {sign_up_after[0] * 1000:.0f} ms",
        "  CPU during the load, in cores: " + ", ".join(f"{name} {used:.2f}" for name, used in figures["cpu"].items()),
        # On a machine shared with other work the cores gunicorn gets vary from run to run: per core it used, the
        # figures do not depend on it.
        f"  per core gunicorn used: {figures['goodput'] / figures['cpu']['gunicorn']:.1f} sign-ups/s under the load, "
        f"{figures['capacity'] / figures['capacity_cpu']['gunicorn']:.1f} at capacity: "
        f"{figures['goodput'] / figures['cpu']['gunicorn'] / (figures['capacity'] / figures['capacity_cpu']['gunicorn']):.2f}",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=370, help="clients of the overload")
    parser.add_argument("--patience", type=float, default=3, help="seconds a client waits before it gives up")
    parser.add_argument("--seconds", type=int, default=60, help="length of the overload")
    parser.add_argument("--warmup", type=int, default=15, help="first seconds of the overload not counted")
    parser.add_argument("--capacity-clients", type=int, default=8, help="clients of the capacity run")
    parser.add_argument("--capacity-seconds", type=int, default=30, help="length of the capacity run")
    parser.add_argument("--baseline", action="store_true", help="also run against the service without its defences")
    parser.add_argument("--backlog", type=int, help="gunicorn's listen backlog instead of gunicorn.conf.py's")
    args = parser.parse_args()
    print(f"machine: {machine()}", flush=True)
    results = [("with the overload defences", run_once(args, baseline=False))]
    print(report(results[0][1], args, results[0][0]), flush=True)
    if args.baseline:
        results.append(("without them (baseline)", run_once(args, baseline=True)))
        print(report(results[1][1], args, results[1][0]), flush=True)


if __name__ == "__main__":
    main()
