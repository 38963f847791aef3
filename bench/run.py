"""`make bench`: each endpoint under load beside its floors, measured side by side in one run.

Starts a fresh SecantusDB and gunicorn exactly as `make run` does (gunicorn.conf.py), drives each
endpoint with unique valid requests through wrk at several concurrencies, measures in the same run
the raw pymongo work of each endpoint, the argon2id hash rate and a bare Flask view, then fills the
collections and measures again. Prints the table and writes it to docs/performance.md.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

from argon2 import PasswordHasher, Type
from bson import ObjectId
from pymongo import MongoClient

import config
from app import create_app
from app.domain.commands import Credentials, CustomerRequest, NewCustomer, NewUser, UserRequest
from app.domain.model import Origin
from app.service_layer import creates, resellers
from scripts.embedded_db import EmbeddedDatabase, answers, free_port

ROOT = Path(__file__).resolve().parent.parent
RESELLER, PASSWORD = "bench", "bench-secret-1"
# Each measured run: (label, path, kind the wrk script sends, kind of floor it is held against).
RUNS = [
    ("customer/create", "customer/create", "customer", "customer"),
    ("customer/create + Idempotency-Key", "customer/create", "customer-keyed", "customer"),
    ("user/create", "user/create", "user", "user"),
    ("customer-user/create", "customer-user/create", "customer-user", "customer-user"),
    ("customer/get", "customer/get", "customer-get", "customer-get"),
    ("user/update", "user/update", "user-update", "user-update"),
]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BENCH = Origin(client="bench")
# The floors write into collections of their own with only the indexes the contract requires.
FLOOR_INDEXES = {"floor_customers": [("name", True), ("resellerId", False)],
                 "floor_users": [("username", True), ("customerId", False)],
                 "floor_credit_transactions": [("customerId", False)]}


def settings():
    """The configuration gunicorn and the app will run with (the environment's, as for make run)."""
    return config.from_environment()


class Gunicorn:
    """gunicorn with gunicorn.conf.py, on a port of its own, serving app_module."""

    def __init__(self, app_module, database_uri):
        self.port = free_port()
        self.env = {**os.environ, "PORT": str(self.port), "MONGODB_URI": database_uri, "PYTHONPATH": str(ROOT)}
        self.app_module = app_module

    def __enter__(self):
        command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
        self.process = subprocess.Popen(
            [*command, self.app_module], cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 60
        while len(self.workers()) < settings()["WEB_CONCURRENCY"] or not answers("127.0.0.1", self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"gunicorn did not start {self.app_module}")
            time.sleep(0.2)
        time.sleep(1)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=60)

    def workers(self):
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def cpu_ticks(self):
        total = 0
        for pid in self.workers():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total

    def peak_rss_mib(self):
        peaks = []
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks)


def wrk(server, path, kind, concurrency, seconds, customer_id, run_id, extra=""):
    """Drive one path with wrk; return its figures and the workers' CPU time per request."""
    ticks = server.cpu_ticks()
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s", "-s", str(ROOT / "bench/requests.lua")]
    command += [f"http://127.0.0.1:{server.port}", "--", path, kind, RESELLER, PASSWORD, customer_id, run_id, extra]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    cpu_ms = (server.cpu_ticks() - ticks) * 1000 / CLOCK_TICKS
    requests = max(figures["requests"], 1)
    return {
        "rps": figures["requests"] / (figures["duration_us"] / 1e6),
        "p50_ms": figures["p50_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "errors": figures["socket_errors"] + figures["non_2xx"],
        "cpu_ms": cpu_ms / requests,
        "rss_mib": server.peak_rss_mib(),
    }


def floor_worker(args):
    """One process of a floor run: threads looping over an endpoint's least work, in raw pymongo."""
    uri, kind, threads, seconds, ids, argon2, tag = args
    customer_id, user_id = ids
    client = MongoClient(uri)
    db = client.get_default_database()
    hasher = PasswordHasher(**argon2, type=Type.ID) if kind in ("user", "customer-user") else None
    latencies = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop(thread):
        mine = []
        count = 0
        while time.monotonic() < stop_at:
            count += 1
            unique = f"floor{tag}p{os.getpid()}t{thread}n{count}"
            started = time.perf_counter()
            floor_request(db, client, kind, unique, customer_id, user_id, hasher)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=loop, args=(number,)) for number in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    client.close()
    return latencies


def floor_request(db, client, kind, unique, customer_id, user_id, hasher):
    """The least work the contract makes one request of an endpoint do: read the reseller (its password check is
    remembered, as the service's is), for user/create read the customer, hash the new password, and insert what
    is created; customer-user/create writes its customer, credit entry and user in one transaction;
    customer/get reads the customer, user/update updates the user."""
    now = datetime.now(UTC)
    reseller = db.resellers.find_one({"name": RESELLER})
    if kind == "customer-get":
        db.customers.find_one({"_id": ObjectId(customer_id), "resellerId": reseller["_id"]})
        return
    if kind == "user-update":
        db.users.update_one({"_id": ObjectId(user_id), "resellerId": reseller["_id"]}, {"$set": {"contactName": unique}})
        return
    customer = {"_id": ObjectId(), "name": unique, "resellerId": reseller["_id"], "integrationId": "",
                "rotationAlgorithm": "MAX_ROTATION", "billingType": "PRE_PAID", "moCharge": 5, "credits": 0,
                "active": True, "createdAt": now}
    if kind == "customer":
        db.floor_customers.insert_one(customer)
        return
    user = {"_id": ObjectId(), "username": unique, "passwordHash": hasher.hash(f"user-pw-{unique}"),
            "resellerId": reseller["_id"], "email": f"{unique}@example.com", "swappingSourceAddressAllowed": False,
            "active": True, "createdAt": now}
    if kind == "user":
        db.customers.find_one({"_id": ObjectId(customer_id), "resellerId": reseller["_id"]})
        db.floor_users.insert_one({**user, "customerId": ObjectId(customer_id), "phoneNumber": "+48999444111"})
        return
    credit = {"customerId": customer["_id"], "amount": 10, "reason": "FREE_CREDITS", "createdAt": now}
    with client.start_session() as session, session.start_transaction():
        db.floor_customers.insert_one({**customer, "credits": 10}, session=session)
        db.floor_credit_transactions.insert_one(credit, session=session)
        db.floor_users.insert_one({**user, "customerId": customer["_id"]}, session=session)


def floor(uri, kind, concurrency, seconds, ids, argon2, tag):
    """The floor of one endpoint at one concurrency: as many processes as workers, as many threads in all as clients."""
    processes = min(concurrency, settings()["WEB_CONCURRENCY"])
    shares = [concurrency // processes + (1 if n < concurrency % processes else 0) for n in range(processes)]
    jobs = [(uri, kind, threads, seconds, ids, argon2, f"{tag}x{n}") for n, threads in enumerate(shares)]
    with get_context("spawn").Pool(processes) as pool:
        latencies = [latency for part in pool.map(floor_worker, jobs) for latency in part]
    return len(latencies) / seconds, statistics.median(latencies) * 1000


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


def fill(uri, reseller_id, customer_id, count):
    """Bulk-insert count customers and count users, as a reseller's migration would leave them."""
    db = MongoClient(uri).get_default_database()
    now = datetime.now(UTC)
    fake_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID).hash("x")
    created_by = {"action": "migration", "client": "bench"}
    batch = 10_000
    for start in range(0, count, batch):
        db.customers.insert_many(
            [{"name": f"fill-c{n}", "nameKey": f"fill-c{n}", "resellerId": reseller_id, "integrationId": "",
              "rotationAlgorithm": "MAX_ROTATION", "billingType": "POST_PAID", "moCharge": 0, "credits": 0,
              "active": True, "createdAt": now, "createdBy": created_by} for n in range(start, start + batch)],
            ordered=False,
        )
        db.users.insert_many(
            [{"username": f"fill-u{n}", "usernameKey": f"fill-u{n}", "passwordHash": fake_hash,
              "customerId": ObjectId(customer_id), "resellerId": reseller_id, "email": f"u{n}@example.com",
              "phoneNumber": "1", "swappingSourceAddressAllowed": False, "active": True, "createdAt": now,
              "createdBy": created_by} for n in range(start, start + batch)],
            ordered=False,
        )


def prepare_floors(uri):
    """The floors' collections, with the contract's indexes only."""
    db = MongoClient(uri).get_default_database()
    for collection, keys in FLOOR_INDEXES.items():
        for key, unique in keys:
            db[collection].create_index(key, unique=unique)


TARGETS = {"customer": 0.85, "user": 0.9, "customer-user": 0.9, "customer-get": 0.85, "user-update": 0.85}
PAGE_TARGET = 1.25
CPU_TARGET_MS = 1.0
GROWTH_TARGET = 1.1


def target_lines(results, filled, pages):
    """The issues' targets, each with the figure that meets or misses it."""
    lines = []
    if pages:
        first, deep = (pages[label]["p50_ms"] for label in pages)
        lines.append(f"- customer/list page {DEEP_PAGE} of a reseller with {filled // 1000}k customers: p50 {deep:.1f} ms, "
                     f"{deep / first:.2f} x page 1's {first:.1f} ms (target {PAGE_TARGET}): {verdict(deep / first <= PAGE_TARGET)}")
    for label, _, _, floor_kind in RUNS:
        at8 = results.get(("empty", label, 8))
        if at8:
            ratio = at8["rps"] / at8["floor_rps"]
            lines.append(f"- {label}: {ratio:.2f} x its floor (target {TARGETS[floor_kind]}): "
                         f"{verdict(ratio >= TARGETS[floor_kind])}; errors {at8['errors']}: {verdict(at8['errors'] == 0)}")
            if floor_kind == "customer":
                lines.append(f"- {label}: worker CPU {at8['cpu_ms']:.2f} ms per request (target {CPU_TARGET_MS}): "
                             f"{verdict(at8['cpu_ms'] <= CPU_TARGET_MS)}")
        growth = [results["filled", label, level]["p50_ms"] / results["empty", label, level]["p50_ms"]
                  for phase, name, level in results if phase == "filled" and name == label]
        filled_errors = sum(results["filled", label, level]["errors"] for phase, name, level in results
                            if phase == "filled" and name == label)
        if growth:
            lines.append(f"- {label}: p50 at {filled // 1000}k at most {max(growth):.2f} x empty (target {GROWTH_TARGET}): "
                         f"{verdict(max(growth) <= GROWTH_TARGET)}; errors {filled_errors}: {verdict(filled_errors == 0)}")
    return lines


def cpu_profile():
    """What `make profile` prints for customer/create, by package."""
    command = [sys.executable, str(ROOT / "bench/cpu_profile.py"), "--top", "0"]
    return subprocess.run(command, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          check=True).stdout


def verdict(met):
    return "met" if met else "MISSED"


def machine():
    """A line describing this machine."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return (f"{os.cpu_count()} cores ({cpu}), {memory_kib / 1024 / 1024:.0f} GiB, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def table(rows, headers):
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = ["| " + " | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)) + " |" for row in [headers, *rows]]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


LIST_PAGE = 50
DEEP_PAGE = 1000
PAGE_SAMPLES = 7


def list_pages(server, uri, reseller_id):
    """customer/list at page 1 and at page DEEP_PAGE of the filled reseller: the median of PAGE_SAMPLES requests,
    one at a time (a page can take seconds on SecantusDB, whose executor reads every index match before the limit)."""
    db = MongoClient(uri).get_default_database()
    skipped = min(LIST_PAGE * (DEEP_PAGE - 1), db.customers.count_documents({"resellerId": reseller_id}) - LIST_PAGE)
    deep_after = db.customers.find({"resellerId": reseller_id}, {"_id": 1}).sort("_id", 1).skip(skipped - 1).limit(1)
    after = str(next(iter(deep_after))["_id"])
    pages = {}
    for label, given in (("page 1", {}), (f"page {DEEP_PAGE}", {"after": after})):
        params = urllib.parse.urlencode({"resellerName": RESELLER, "resellerPassword": PASSWORD, "limit": LIST_PAGE,
                                         **given}).encode()
        latencies = []
        for _ in range(PAGE_SAMPLES):
            started = time.perf_counter()
            with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/services/rest/customer/list", params,
                                        timeout=60) as answer:
                assert len(json.loads(answer.read())["customers"]) == LIST_PAGE
            latencies.append(time.perf_counter() - started)
        pages[label] = {"p50_ms": statistics.median(latencies) * 1000}
        print(f"customer/list {label}: p50 {pages[label]['p50_ms']:.1f} ms", flush=True)
    return pages


def set_up(uri):
    """Indexes as `db upgrade` makes them, the bench reseller, and one customer of it; returns their ids."""
    app = create_app({"MONGODB_URI": uri})
    tools = app.extensions["provisioning"]
    list(tools.database_upgrade(rest=0).run())
    credentials = Credentials(RESELLER, PASSWORD)
    with tools.unit_of_work() as uow:
        resellers.create_reseller(RESELLER, PASSWORD, BENCH, free_credits=10, uow=uow, hasher=tools.hasher,
                                  clock=tools.clock)
        reseller = uow.resellers.named(RESELLER)
        request = CustomerRequest(credentials, NewCustomer("bench-customer"))
        customer = creates.create_customer(reseller, request, BENCH, None, uow=uow, clock=tools.clock)
        user = UserRequest(credentials, customer.customer_id, NewUser("bench-user", "user-pw", email="b@example.com",
                                                                      phone_number="1"))
        created = creates.create_user(reseller, user, BENCH, None, uow=uow, hasher=tools.hasher, clock=tools.clock)
    tools.database.client.close()
    return reseller.id, str(customer.customer_id), str(created.user_id)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each load run")
    parser.add_argument("--concurrency", default="1,8,32", help="comma-separated client counts")
    parser.add_argument("--fill", type=int, default=200_000, help="customers and users to add before measuring again")
    parser.add_argument("--output", default=str(ROOT / "docs/performance.md"))
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]
    conf = settings()
    argon2 = {"time_cost": conf["ARGON2_TIME_COST"], "memory_cost": conf["ARGON2_MEMORY_KIB"], "parallelism": conf["ARGON2_PARALLELISM"]}

    with tempfile.TemporaryDirectory() as storage:
        database = EmbeddedDatabase(storage_path=storage).start()
        uri = database.uri.replace("/?", "/provisioning?")
        try:
            reseller_id, customer_id, user_id = set_up(uri)
            prepare_floors(uri)
            print(f"machine: {machine()}", flush=True)
            print(f"gunicorn: {conf['WEB_CONCURRENCY']} workers x {conf['THREADS']} threads; argon2id {argon2}", flush=True)
            hashes = hash_rate(argon2, args.seconds)
            print(f"argon2id hash rate on {os.cpu_count()} cores: {hashes:.0f}/s", flush=True)

            bare = {}
            with Gunicorn("bench.bare_app:app", uri) as server:
                for level in levels:
                    bare[level] = wrk(server, "/services/rest/bare", "bare", level, args.seconds, customer_id, f"b{level}")
                    print(f"bare view c={level}: {bare[level]['rps']:.0f}/s", flush=True)

            floors = {}
            results = {}
            pages = None
            with Gunicorn("wsgi:app", uri) as server:
                for phase in ("empty", "filled") if args.fill else ("empty",):
                    if phase == "filled":
                        started = time.monotonic()
                        fill(uri, reseller_id, customer_id, args.fill)
                        print(f"filled {args.fill} customers and {args.fill} users in {time.monotonic() - started:.0f}s", flush=True)
                    for label, path, kind, floor_kind in RUNS:
                        for level in levels:
                            run_id = f"{phase[0]}{kind[:4]}{kind[-1]}{level}"
                            figures = wrk(server, f"/services/rest/{path}", kind, level, args.seconds, customer_id, run_id,
                                          user_id)
                            if phase == "empty":
                                if (floor_kind, level) not in floors:
                                    floors[floor_kind, level] = floor(uri, floor_kind, level, args.seconds,
                                                                      (customer_id, user_id), argon2, run_id)
                                figures["floor_rps"], figures["floor_p50"] = floors[floor_kind, level]
                            results[phase, label, level] = figures
                            print(f"{phase} {label} c={level}: {figures['rps']:.0f}/s p50 {figures['p50_ms']:.1f} ms "
                                  f"cpu {figures['cpu_ms']:.2f} ms", flush=True)
                    if phase == "filled":
                        pages = list_pages(server, uri, reseller_id)
        finally:
            database.stop()

    rows = []
    for label, *_ in RUNS:
        for level in levels:
            empty = results["empty", label, level]
            filled = results.get(("filled", label, level), {"p50_ms": float("nan"), "errors": "-"})
            rows.append([
                label, level, f"{empty['rps']:.0f}", f"{empty['p50_ms']:.1f}", f"{empty['p99_ms']:.1f}", empty["errors"],
                f"{empty['floor_rps']:.0f}", f"{empty['rps'] / empty['floor_rps']:.2f}", f"{empty['cpu_ms']:.2f}",
                f"{bare[level]['cpu_ms']:.2f}", f"{empty['rss_mib']:.0f}", f"{filled['p50_ms']:.1f}",
                f"{filled['p50_ms'] / empty['p50_ms']:.2f}", filled["errors"],
            ])
    headers = ["run", "clients", "req/s", "p50 ms", "p99 ms", "errors", "floor req/s", "ratio to floor",
               "worker CPU ms/req", "bare view CPU ms/req", "worker peak RSS MiB", f"p50 ms at {args.fill // 1000}k",
               "filled/empty p50", "errors filled"]
    targets = target_lines(results, args.fill, pages if args.fill else None)
    bare_rows = [[level, f"{bare[level]['rps']:.0f}", f"{bare[level]['p50_ms']:.1f}", f"{bare[level]['p99_ms']:.1f}",
                  f"{bare[level]['cpu_ms']:.2f}"] for level in levels]
    report = "\n\n".join([
        "# Performance",
        f"Measured by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Machine: {machine()}.",
        f"gunicorn as `make run` starts it (gunicorn.conf.py): {conf['WEB_CONCURRENCY']} workers x {conf['THREADS']} thread(s). "
        f"argon2id t={argon2['time_cost']}, m={argon2['memory_cost']} KiB, p={argon2['parallelism']}: "
        f"{hashes:.0f} hashes/s on {os.cpu_count()} cores. Each run lasts {args.seconds} s; wrk drives unique, valid "
        "form requests (the keyed run sends a fresh Idempotency-Key with each); database URIs use `retryWrites=false`.",
        "The floor of an endpoint is the least work the contract makes one request do, in raw pymongo with no HTTP "
        "and no validation, from as many processes as gunicorn has workers and as many threads as clients: "
        "customer/create reads the reseller and inserts the customer; user/create reads the reseller and the "
        "customer, hashes the new password and inserts the user; customer-user/create reads the reseller, hashes "
        "the password and writes the customer, its credit entry and the user in one transaction; customer/get reads "
        "the reseller and the customer; user/update reads the reseller and updates the user. The creates' floors "
        "write into collections with only the contract's indexes (name or username unique, resellerId or customerId).",
        table(rows, headers),
        "Targets (at 8 clients; the filled check at every level):",
        "\n".join(targets),
        "The bare Flask view (one POST view returning JSON) on the same gunicorn configuration:",
        table(bare_rows, ["clients", "req/s", "p50 ms", "p99 ms", "worker CPU ms/req"]),
        "Where a worker's CPU goes per customer/create (`make profile`: cProfile in-process, no gunicorn; the "
        "bare view's CPU above is gunicorn's and Flask's least share):",
        "```\n" + cpu_profile() + "```",
    ])
    print()
    print(report)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(report + "\n")
    print(f"\nwritten to {args.output}")


if __name__ == "__main__":
    main()
