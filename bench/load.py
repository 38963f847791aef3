"""What the benchmarks drive and watch: gunicorn as `make run` starts it, wrk sending unique valid requests, and the
CPU each process spends."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import config
from scripts.embedded_db import answers, free_port

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    """User and system CPU a process has used, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def process_tree_ticks(pid):
    """CPU ticks of a process and its threads (all of a process's threads are in its /proc stat)."""
    try:
        return cpu_ticks(pid)
    except FileNotFoundError:
        return 0


class Gunicorn:
    """gunicorn with gunicorn.conf.py, on a port of its own, serving app_module with these settings over the
    environment's."""

    def __init__(self, app_module, database_uri, **settings):
        self.port = free_port()
        self.env = {**os.environ, "PORT": str(self.port), "MONGODB_URI": database_uri, "PYTHONPATH": str(ROOT),
                    **{name: str(value) for name, value in settings.items()}}
        self.app_module = app_module
        self.settings = config.from_environment(self.env)

    def __enter__(self):
        command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", self.app_module]
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(self.workers()) < self.settings["WEB_CONCURRENCY"] or not answers("127.0.0.1", self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"gunicorn did not start {self.app_module}")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=60)

    def workers(self):
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def cpu_ticks(self):
        return sum(process_tree_ticks(pid) for pid in self.workers())

    def peak_rss_mib(self):
        """The largest peak resident memory of a worker."""
        peaks = []
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks)


def wrk(server, database_pid, path, kind, concurrency, seconds, run_id, *, customer_id="", extra="",
        reseller="", password=""):
    """Drive one path with wrk; its figures, and the workers' and the database's CPU per request."""
    worker_ticks, database_ticks = server.cpu_ticks(), process_tree_ticks(database_pid)
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s", "-s",
               str(ROOT / "bench/requests.lua"), f"http://127.0.0.1:{server.port}", "--", f"/services/rest/{path}",
               kind, reseller, password, customer_id, run_id, extra]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    requests = max(figures["requests"], 1)
    return {
        "rps": figures["requests"] / (figures["duration_us"] / 1e6),
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "errors": figures["socket_errors"] + figures["non_2xx"],
        "cpu_ms": (server.cpu_ticks() - worker_ticks) * 1000 / CLOCK_TICKS / requests,
        "db_cpu_ms": (process_tree_ticks(database_pid) - database_ticks) * 1000 / CLOCK_TICKS / requests,
        "rss_mib": server.peak_rss_mib(),
    }


def pin(pid, cpus):
    """Keep a process and all its threads on these CPUs (taskset)."""
    subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(pid)], check=True, capture_output=True)


def unpin(pid):
    pin(pid, f"0-{os.cpu_count() - 1}")
