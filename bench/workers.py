"""`make bench-workers`: how many gunicorn workers the service needs, measured: customer/create at 8 and 32 clients
beside its floor, and user/create (an argon2 hash each) at 32 clients, for several worker counts per CPU, with the
workers' memory. Writes docs/workers.md; the default of WEB_CONCURRENCY (config.py) comes from it.
"""
import argparse
from datetime import UTC, datetime
from pathlib import Path

import config
from bench import floors
from bench.fixture import argon2_parameters, bench_database
from bench.load import Gunicorn, wrk
from bench.report import machine, table

ROOT = Path(__file__).resolve().parent.parent


def total_rss_mib(server):
    """The workers' resident memory now, summed."""
    total = 0
    for pid in server.workers():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-cpu", default="1,2,3,4,6", help="comma-separated worker counts per usable CPU")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--output", default=str(ROOT / "docs/workers.md"))
    args = parser.parse_args()
    cpus = config.usable_cpus()
    conf = config.from_environment()
    argon2 = argon2_parameters(conf)
    rows = []
    with bench_database() as (database, uri, fixture):
        floors.prepare(uri)
        common = {"customer_id": str(fixture.customer_id), "reseller": fixture.reseller,
                  "password": fixture.password}
        floor_of = {level: floors.floor(uri, "customer-plain", level, args.seconds, fixture, argon2, level,
                                        f"wf{level}")[0] for level in (8, 32)}
        for factor in (int(value) for value in args.per_cpu.split(",")):
            workers = factor * cpus
            with Gunicorn("wsgi:app", uri, WEB_CONCURRENCY=workers) as server:
                wrk(server, database.process.pid, "customer/get", "customer-get", 8, 2, f"w{workers}", **common)
                created = {level: wrk(server, database.process.pid, "customer/create", "customer", level,
                                      args.seconds, f"w{workers}c{level}", **common) for level in (8, 32)}
                users = wrk(server, database.process.pid, "user/create", "user", 32, args.seconds,
                            f"w{workers}u", **common)
                memory = total_rss_mib(server)
            row = [f"{workers} ({factor} per CPU)",
                   *[f"{created[level]['rps']:.0f} ({created[level]['rps'] / floor_of[level]:.2f})"
                     for level in (8, 32)],
                   f"{created[32]['p99_ms']:.1f}", f"{users['rps']:.0f}", f"{users['p99_ms']:.0f}",
                   f"{created[32]['rss_mib']:.0f}", f"{memory:.0f}"]
            rows.append(row)
            print(" | ".join(row), flush=True)
    report = "\n\n".join([
        "# How many workers",
        f"Measured by `make bench-workers` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Machine: {machine()}; "
        f"{cpus} usable CPUs. Sync workers, one thread each; each run lasts {args.seconds} s. customer/create's "
        f"floor (bench/floors.py) at 8 clients: {floor_of[8]:.0f}/s, at 32: {floor_of[32]:.0f}/s.",
        table(rows, ["workers", "customer/create at 8 (x floor)", "customer/create at 32 (x floor)",
                     "customer/create p99 at 32 ms", "user/create at 32 /s", "user/create p99 at 32 ms",
                     "worker peak RSS MiB", "all workers' RSS MiB"]),
    ])
    print(report)
    Path(args.output).write_text(report + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
