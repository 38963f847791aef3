"""`make bench-events`: the events relay's throughput (events/s) against the rate of creates, and its lag under the
customer/create load; creates' own rate with and without the relay beside them (it is off the request path).

Starts a fresh SecantusDB and gunicorn as `make run` does (gunicorn.conf.py), the bench fixture (bench/fixture.py),
then, each phase driving customer/create with wrk:
1. creates alone, no relay running: their rate;
2. creates with `provisioning events relay` running: their rate, the events the relay wrote meanwhile per second, and
   its lag (from each event's committedAt, when the database committed the change, to its relayedAt, when the relay
   wrote it), and how long after the load it caught up;
3. catch-up: the relay stopped while creates pile up, then started: how fast it writes a backlog (its throughput
   when never waiting for changes).
Prints the figures and writes them to docs/events-performance.md; no figure is asserted.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pymongo import MongoClient

import config
from bench.fixture import set_up
from bench.load import Gunicorn, process_tree_ticks, wrk
from bench.report import machine, table
from scripts.embedded_db import EmbeddedDatabase

ROOT = Path(__file__).resolve().parent.parent
PROVISIONING = Path(sys.executable).parent / "provisioning"
# How long to wait for the relay to write what is committed, at most (it fails the run, as nothing else could).
CATCH_UP_SECONDS = 300


class Relay:
    """`provisioning events relay` on the bench database, as operators run it."""

    def __init__(self, uri):
        self.env = {**os.environ, "MONGODB_URI": uri, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}

    def __enter__(self):
        self.process = subprocess.Popen([str(PROVISIONING), "events", "relay"], cwd=ROOT, env=self.env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def event_making_changes(database):
    """How many committed changes make events so far: customers, users, ledger entries and keys the service wrote
    (each makes one; the bench makes no updates)."""
    return sum(database[name].count_documents({}) for name in ("customers", "users", "credit_transactions",
                                                               "api_keys"))


def caught_up(database, seconds=CATCH_UP_SECONDS):
    """Wait until every change has its event; the time it took."""
    started = time.monotonic()
    while database.events.estimated_document_count() < event_making_changes(database):
        if time.monotonic() - started > seconds:
            raise RuntimeError("the relay did not write every event")
        time.sleep(0.05)
    return time.monotonic() - started


def lags(database, since_seq):
    """The lag of each event written after since_seq (seconds from commit to being written), sorted."""
    found = database.events.find({"seq": {"$gt": since_seq}}, {"committedAt": 1, "relayedAt": 1})
    return sorted((event["relayedAt"] - event["committedAt"]).total_seconds() for event in found)


def percentile(values, fraction):
    return values[min(len(values) - 1, int(len(values) * fraction))] if values else float("nan")


def last_seq(database):
    """The number of the last event written (the bench's events are all its one reseller's)."""
    found = database.events.find_one(sort=[("seq", -1)], projection={"seq": 1})
    return found["seq"] if found else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run")
    parser.add_argument("--concurrency", type=int, default=16, help="wrk connections")
    parser.add_argument("--output", default=str(ROOT / "docs/events-performance.md"))
    args = parser.parse_args()
    conf = config.from_environment()
    rows, notes = [], []
    with tempfile.TemporaryDirectory() as storage:
        database_server = EmbeddedDatabase(storage_path=storage).start()
        uri = database_server.uri.replace("/?", "/provisioning?")
        try:
            fixture = set_up(uri)
            database = MongoClient(uri, tz_aware=True).get_default_database()
            print(f"machine: {machine()}", flush=True)
            print(f"gunicorn: {conf['WEB_CONCURRENCY']} workers; wrk {args.concurrency} connections, "
                  f"{args.seconds} s a run", flush=True)
            with Gunicorn("wsgi:app", uri) as server:
                def creates(run_id):
                    return wrk(server, database_server.process.pid, "customer/create", "customer", args.concurrency,
                               args.seconds, run_id, reseller=fixture.reseller, password=fixture.password)

                creates("warm")  # every worker's first requests build its schemas and connections: not measured
                alone = creates("alone")
                rows.append(("creates, no relay", f"{alone['rps']:.0f}", f"{alone['p99_ms']:.1f}", "-", "-", "-",
                             "-"))
                print(f"creates alone: {alone['rps']:.0f}/s p99 {alone['p99_ms']:.1f} ms", flush=True)

                with Relay(uri) as relay:
                    took = caught_up(database)
                    notes.append(f"the relay wrote the backlog of the fixture and the runs before it "
                                 f"({database.events.estimated_document_count()} events) in {took:.1f} s")
                    before, started = last_seq(database), time.monotonic()
                    relay_ticks = process_tree_ticks(relay.process.pid)
                    beside = creates("beside")
                    during = time.monotonic() - started
                    written_during = last_seq(database) - before
                    after_load = caught_up(database)
                    relay_cpu = (process_tree_ticks(relay.process.pid) - relay_ticks) / os.sysconf("SC_CLK_TCK")
                    measured = lags(database, before)
                    rows.append(("creates, relay beside", f"{beside['rps']:.0f}", f"{beside['p99_ms']:.1f}",
                                 f"{written_during / during:.0f}", f"{percentile(measured, 0.5) * 1000:.0f}",
                                 f"{percentile(measured, 0.99) * 1000:.0f}", f"{after_load:.1f}"))
                    notes.append(f"the relay's own CPU: {relay_cpu / max(written_during, 1) * 1000:.2f} ms an event; no "
                                 "request waits for it, but on this machine it shares the cores with gunicorn and the "
                                 "database, whose work per event (the change stream's read, the batch's transaction) "
                                 "is what the creates lose beside it")
                    print(f"creates with the relay: {beside['rps']:.0f}/s p99 {beside['p99_ms']:.1f} ms; relay "
                          f"{written_during / during:.0f} events/s, lag p50 {percentile(measured, 0.5) * 1000:.0f} "
                          f"ms p99 {percentile(measured, 0.99) * 1000:.0f} ms, caught up {after_load:.1f} s after "
                          f"the load; relay CPU {relay_cpu / max(written_during, 1) * 1000:.2f} ms an event",
                          flush=True)

                backlog_from = database.events.estimated_document_count()
                piled = creates("piled")
                backlog = event_making_changes(database) - backlog_from
                with Relay(uri):
                    took = caught_up(database)
                rows.append(("backlog, relay started after", f"{piled['rps']:.0f}", f"{piled['p99_ms']:.1f}",
                             f"{backlog / took:.0f}", "-", "-", f"{took:.1f}"))
                print(f"catch-up: {backlog} events in {took:.1f} s: {backlog / took:.0f} events/s "
                      f"(from the relay's start, its lease and stream included)", flush=True)
        finally:
            database_server.stop()
    report = "\n".join([
        "# Events relay: throughput and lag",
        "",
        f"`make bench-events` on {machine()}; gunicorn {conf['WEB_CONCURRENCY']} workers, wrk {args.concurrency} "
        f"connections, {args.seconds} s a run, SecantusDB (embedded) as the database. Lag: from each event's "
        "committedAt (the change stream's wallTime of its change) to its relayedAt (the relay's write), both on the "
        "database's clock. Figures are SecantusDB's on this machine, not mongod's.",
        "",
        table(rows, ("run", "creates/s", "create p99 ms", "events/s", "lag p50 ms", "lag p99 ms",
                     "caught up after (s)")),
        "",
        *[f"- {note}" for note in notes],
        "",
    ])
    Path(args.output).write_text(report)
    print(report)


if __name__ == "__main__":
    main()
