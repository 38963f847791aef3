"""`make bench`: each endpoint under load beside its floor, measured side by side in one run.

Starts a fresh SecantusDB and gunicorn as `make run` does (gunicorn.conf.py), drives each endpoint with unique
valid requests through wrk at several concurrencies and measures, in the same run, its floor (bench/floors.py),
the workers' and the database's CPU per request, the argon2id hash rate, a bare Flask view and a minimal
customer/create view (bench/minimal_app.py); again with the database kept on one CPU (taskset); then fills the
collections and measures again. Prints the tables and writes them to docs/performance.md.
"""
import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

from argon2 import PasswordHasher, Type

import config
from bench import floors
from bench.filled import DEEP_PAGE, fill, list_pages
from bench.fixture import argon2_parameters, bench_database
from bench.load import Gunicorn, pin, unpin, wrk
from bench.report import machine, table, verdict

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    """A measured run: its label, the path, what the wrk script sends, the floor it is held against, the least
    ratio to it that is its target, and whether the service runs with every password checked in full."""

    label: str
    path: str
    kind: str
    floor: str
    target: float
    cold: bool = False


RUNS = [
    Run("customer/create", "customer/create", "customer", "customer-plain", 0.95),
    Run("customer/create + Idempotency-Key", "customer/create", "customer-keyed", "customer-keyed", 0.95),
    Run("customer/create with an API key", "customer/create", "customer-apikey", "customer-apikey", 0.85),
    Run("customer/create, password checked in full", "customer/create", "customer", "customer-cold", 0.9, cold=True),
    Run("user/create", "user/create", "user", "user-plain", 0.9),
    Run("customer-user/create", "customer-user/create", "customer-user", "customer-user", 0.9),
    Run("customer/get", "customer/get", "customer-get", "customer-get", 0.85),
    Run("user/update", "user/update", "user-update", "user-update", 0.85),
    Run("customer/credit", "customer/credit", "credit", "credit", 0.85),
]
# Measured again with the database on one CPU: the runs whose database share is largest.
PINNED = ("customer/create", "customer/create + Idempotency-Key", "customer/get")
# Worker CPU per request, at most (the targets), and p99 at 32 clients no worse than before this release
# (docs/performance.md of 2026-11-27: 102.7 ms plain, 109.6 ms keyed).
CPU_TARGETS_MS = {"customer/create": 0.9, "customer/get": 0.8}
P99_BEFORE_MS = {"customer/create": 102.7, "customer/create + Idempotency-Key": 109.6}
PAGE_TARGET = 1.25
GROWTH_TARGET = 1.1


def hash_worker(args):
    argon2, seconds = args
    hasher = PasswordHasher(**argon2, type=Type.ID)
    count, stop_at = 0, time.monotonic() + seconds
    while time.monotonic() < stop_at:
        hasher.hash("a password")
        count += 1
    return count


def hash_rate(argon2, seconds):
    """argon2id hashes per second with the configured parameters, one process per core."""
    cores = os.cpu_count()
    with get_context("spawn").Pool(cores) as pool:
        return sum(pool.map(hash_worker, [(argon2, seconds)] * cores)) / seconds


class Bench:
    """One benchmark: the database, its fixture, and the figures measured so far."""

    def __init__(self, database, uri, fixture, argon2, seconds):
        self.database, self.uri, self.fixture, self.argon2, self.seconds = database, uri, fixture, argon2, seconds
        self.results = {}

    def measure(self, server, phase, run, level, *, with_floor=True):
        run_id = f"{phase[:2]}{RUNS.index(run)}c{level}"
        extra = {"user-update": ",".join(map(str, self.fixture.updated_users)), "customer-apikey": self.fixture.api_key,
                 "credit": ",".join(map(str, self.fixture.credit_customers))}.get(run.kind, "")
        figures = wrk(server, self.database.process.pid, run.path, run.kind, level, self.seconds, run_id,
                      customer_id=str(self.fixture.customer_id), extra=extra, reseller=self.fixture.reseller,
                      password=self.fixture.password)
        if with_floor:
            figures["floor_rps"], figures["floor_p50"] = floors.floor(
                self.uri, run.floor, level, self.seconds, self.fixture, self.argon2,
                server.settings["WEB_CONCURRENCY"], run_id)
        self.results[phase, run.label, level] = figures
        ratio = f" floor {figures['floor_rps']:.0f}/s ratio {figures['rps'] / figures['floor_rps']:.2f}" \
            if with_floor else ""
        print(f"{phase} {run.label} c={level}: {figures['rps']:.0f}/s p50 {figures['p50_ms']:.1f} ms p99 "
              f"{figures['p99_ms']:.1f} ms worker CPU {figures['cpu_ms']:.2f} ms db CPU {figures['db_cpu_ms']:.2f} ms"
              f"{ratio} errors {figures['errors']}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each load run")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated client counts")
    parser.add_argument("--fill", type=int, default=200_000, help="customers and users to add before measuring again")
    parser.add_argument("--output", default=str(ROOT / "docs/performance.md"))
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]
    if len(levels) < 2:
        parser.error("--concurrency needs two client counts at least: the report and the pinned phase read the second")
    conf = config.from_environment()
    argon2 = argon2_parameters(conf)

    with bench_database() as (database, uri, fixture):
        floors.prepare(uri)
        bench = Bench(database, uri, fixture, argon2, args.seconds)
        print(f"machine: {machine()}", flush=True)
        print(f"gunicorn: {conf['WEB_CONCURRENCY']} workers x {conf['THREADS']} threads; argon2id {argon2}",
              flush=True)
        hashes = hash_rate(argon2, args.seconds)
        print(f"argon2id hash rate on {os.cpu_count()} cores: {hashes:.0f}/s", flush=True)
        bare = {}
        with Gunicorn("bench.bare_app:app", uri) as server:
            for level in levels:
                bare[level] = wrk(server, database.process.pid, "bare", "bare", level, args.seconds, f"b{level}")
                print(f"bare view c={level}: {bare[level]['rps']:.0f}/s CPU {bare[level]['cpu_ms']:.2f} ms",
                      flush=True)
        minimal = {}
        with Gunicorn("bench.minimal_app:app", uri) as server:
            # The first request of each worker verifies the password in full and fills its cache: not measured.
            wrk(server, database.process.pid, "customer/create", "customer", 8, 2, "mwarm", reseller=fixture.reseller,
                password=fixture.password)
            for level in levels:
                minimal[level] = wrk(server, database.process.pid, "customer/create", "customer", level, args.seconds,
                                     f"m{level}", reseller=fixture.reseller, password=fixture.password)
                print(f"minimal customer/create view c={level}: {minimal[level]['rps']:.0f}/s CPU "
                      f"{minimal[level]['cpu_ms']:.2f} ms", flush=True)
        with Gunicorn("wsgi:app", uri) as server, Gunicorn("wsgi:app", uri, VERIFY_CACHE_SECONDS=0) as cold:
            for warmed in (server, cold):
                # Every worker's first requests build its schemas and connections: not measured.
                wrk(warmed, database.process.pid, "customer/get", "customer-get", 8, 2, "warm",
                    customer_id=str(fixture.customer_id), reseller=fixture.reseller, password=fixture.password)
            for run in RUNS:
                for level in levels:
                    bench.measure(cold if run.cold else server, "floating", run, level)
            try:
                pin(database.process.pid, "0")
                for run in RUNS:
                    if run.label in PINNED:
                        for level in levels[1:]:
                            bench.measure(server, "pinned", run, level)
            finally:
                unpin(database.process.pid)
            pages = None
            if args.fill:
                started = time.monotonic()
                fill(uri, fixture, args.fill)
                print(f"filled {args.fill} customers and {args.fill} users in {time.monotonic() - started:.0f} s",
                      flush=True)
                for run in RUNS:
                    if not run.cold:
                        for level in levels:
                            bench.measure(server, "filled", run, level, with_floor=False)
                pages = list_pages(server.port, uri, fixture)
            worker_settings = server.settings

    report = write_report(args, bench.results, levels, bare, minimal, pages, hashes, argon2, worker_settings)
    print()
    print(report)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(report + "\n")
    print(f"\nwritten to {args.output}")


def rows_of(results, phase, levels, labels):
    rows = []
    for label in labels:
        for level in levels:
            figures = results.get((phase, label, level))
            if figures:
                rows.append([label, level, f"{figures['rps']:.0f}", f"{figures['p50_ms']:.1f}",
                             f"{figures['p99_ms']:.1f}", figures["errors"], f"{figures['floor_rps']:.0f}",
                             f"{figures['rps'] / figures['floor_rps']:.2f}", f"{figures['cpu_ms']:.2f}",
                             f"{figures['db_cpu_ms']:.2f}", f"{figures['rss_mib']:.0f}"])
    return rows


HEADERS = ["run", "clients", "req/s", "p50 ms", "p99 ms", "errors", "floor req/s", "ratio to floor",
           "worker CPU ms/req", "database CPU ms/req", "worker peak RSS MiB"]


def target_lines(results, levels, fill_count, pages):
    """The issues' targets, each with the figure that meets or misses it."""
    lines = []
    for run in RUNS:
        for level in levels[1:]:
            figures = results["floating", run.label, level]
            ratio = figures["rps"] / figures["floor_rps"]
            lines.append(f"- {run.label} at {level} clients: {ratio:.2f} x its floor (target {run.target}): "
                         f"{verdict(ratio >= run.target)}; errors {figures['errors']}: {verdict(figures['errors'] == 0)}")
        if run.label in CPU_TARGETS_MS:
            cpu = results["floating", run.label, levels[1]]["cpu_ms"]
            lines.append(f"- {run.label}: worker CPU {cpu:.2f} ms per request at {levels[1]} clients (target "
                         f"{CPU_TARGETS_MS[run.label]}): {verdict(cpu <= CPU_TARGETS_MS[run.label])}")
        if run.label in P99_BEFORE_MS:
            p99 = results["floating", run.label, levels[-1]]["p99_ms"]
            lines.append(f"- {run.label}: p99 at {levels[-1]} clients {p99:.1f} ms (before: {P99_BEFORE_MS[run.label]} "
                         f"ms): {verdict(p99 <= P99_BEFORE_MS[run.label])}")
        growth = [results["filled", run.label, level]["p50_ms"] / results["floating", run.label, level]["p50_ms"]
                  for level in levels if ("filled", run.label, level) in results]
        if growth:
            lines.append(f"- {run.label}: p50 at {fill_count // 1000}k at most {max(growth):.2f} x empty (target "
                         f"{GROWTH_TARGET}): {verdict(max(growth) <= GROWTH_TARGET)}")
    if pages:
        first, deep = pages["page 1"], pages[f"page {DEEP_PAGE}"]
        if isinstance(first, str) or isinstance(deep, str):
            shown = {label: page if isinstance(page, str) else f"{page:.1f} ms" for label, page in pages.items()}
            lines.append(f"- customer/list of a reseller with {fill_count // 1000}k customers: page 1 "
                         f"{shown['page 1']}, page {DEEP_PAGE} {shown[f'page {DEEP_PAGE}']}: {verdict(False)}")
            return lines
        lines.append(f"- customer/list page {DEEP_PAGE} of a reseller with {fill_count // 1000}k customers: p50 "
                     f"{deep:.1f} ms, {deep / first:.2f} x page 1's {first:.1f} ms (target {PAGE_TARGET}): "
                     f"{verdict(deep / first <= PAGE_TARGET)}")
    return lines


def cpu_profile():
    """What `make profile` prints for customer/create, by package."""
    command = [sys.executable, str(ROOT / "bench/cpu_profile.py"), "--top", "0"]
    return subprocess.run(command, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          check=True).stdout


def write_report(args, results, levels, bare, minimal, pages, hashes, argon2, settings):
    labels = [run.label for run in RUNS]
    filled_rows = []
    for label in labels:
        for level in levels:
            if ("filled", label, level) in results:
                empty, filled = results["floating", label, level], results["filled", label, level]
                filled_rows.append([label, level, f"{filled['rps']:.0f}", f"{filled['p50_ms']:.1f}",
                                    f"{filled['p99_ms']:.1f}", filled["errors"],
                                    f"{filled['p50_ms'] / empty['p50_ms']:.2f}"])
    view_rows = [[view, level, f"{figures[level]['rps']:.0f}", f"{figures[level]['p50_ms']:.1f}",
                  f"{figures[level]['p99_ms']:.1f}", f"{figures[level]['cpu_ms']:.2f}",
                  f"{figures[level]['db_cpu_ms']:.2f}"]
                 for view, figures in (("bare", bare), ("minimal customer/create", minimal)) for level in levels]
    create = results["floating", "customer/create", levels[1]]
    key, password, cold = (results["floating", label, levels[1]] for label in (
        "customer/create with an API key", "customer/create", "customer/create, password checked in full"))
    return "\n\n".join([
        "# Performance",
        f"Measured by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Machine: {machine()}.",
        f"gunicorn as `make run` starts it (gunicorn.conf.py): {settings['WEB_CONCURRENCY']} workers x "
        f"{settings['THREADS']} thread(s). argon2id t={argon2['time_cost']}, m={argon2['memory_cost']} KiB, "
        f"p={argon2['parallelism']}: {hashes:.0f} hashes/s on {os.cpu_count()} cores. Each run lasts {args.seconds} "
        "s; wrk drives unique, valid form requests (the keyed run sends a fresh Idempotency-Key with each, the API "
        "key run an `Authorization: Bearer` header instead of the password, the credit run tops up 100 customers in "
        "turn); database URIs use `retryWrites=false`; the database acknowledges before its journal is on disk (no "
        "`--sync-on-commit`, which `make run` uses: a flush per commit would measure this machine's disk).",
        floors.__doc__.strip(),
        "Worker CPU per request is the primary figure: it does not depend on what else the machine runs. Requests a "
        "second and the ratios depend on how the database's process shares the 2 cores with the workers, so they "
        "are measured twice: with the database floating (the kernel schedules it anywhere), and pinned to one CPU "
        "(`taskset`), which halves what the workers can take from it.",
        "## Database floating",
        table(rows_of(results, "floating", levels, labels), HEADERS),
        "## Database on one CPU",
        table(rows_of(results, "pinned", levels[1:], PINNED), HEADERS),
        f"## Filled: {args.fill // 1000}k customers and users",
        table(filled_rows, ["run", "clients", "req/s", "p50 ms", "p99 ms", "errors", "filled/empty p50"]),
        "## Targets",
        "\n".join(target_lines(results, levels, args.fill, pages)),
        f"An API key against the password, at {levels[1]} clients: {key['rps']:.0f} against {password['rps']:.0f} "
        f"requests a second with the password's check remembered, {cold['rps']:.0f} with every password checked "
        f"in full (argon2id); worker CPU {key['cpu_ms']:.2f} ms against {password['cpu_ms']:.2f} and "
        f"{cold['cpu_ms']:.2f} ms. A key is checked with one SHA-256, never argon2.",
        "The bare Flask view (one POST view returning JSON) and the minimal customer/create view (bench/minimal_app.py:"
        " the same form parsed by werkzeug, a marshmallow schema of the same fields, the reseller read, its password "
        "proven from a verification cache, the insert with majority write concern, a JSON answer; no hooks, request "
        "id, access log, metrics, session or audit) on the same gunicorn configuration. The minimal view's worker CPU "
        "is the ceiling within the stack that the issue's target of 0.9 ms was set against (0.81-0.95 ms on its host); "
        "held against it, the service's figure does not depend on how fast this host runs today:",
        table(view_rows, ["view", "clients", "req/s", "p50 ms", "p99 ms", "worker CPU ms/req", "database CPU ms/req"]),
        f"customer/create at {levels[1]} clients: worker CPU {create['cpu_ms']:.2f} ms, "
        f"{create['cpu_ms'] / minimal[levels[1]]['cpu_ms']:.2f} x the minimal view's {minimal[levels[1]]['cpu_ms']:.2f} "
        "ms (the issue's target is about 1.0-1.1 x it).",
        "Where a worker's CPU goes per customer/create (`make profile`: cProfile in-process, no gunicorn; the "
        "bare view's CPU above is gunicorn's and Flask's least share):",
        "```\n" + cpu_profile() + "```",
    ])


if __name__ == "__main__":
    main()
