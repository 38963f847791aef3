"""`make profile`: where the worker's CPU goes for one endpoint, by package, under cProfile.

Calls the WSGI application in-process (no HTTP server, so gunicorn's parsing is not in it: the bare view's
CPU in docs/performance.md is that part) with the same form body the benchmark sends, against a fresh
SecantusDB, and prints the CPU time each package spends per request, its own code only (tottime).
"""
import argparse
import cProfile
import io
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

from app import create_app
from bench.fixture import PASSWORD, RESELLER, set_up
from scripts.embedded_db import EmbeddedDatabase

ROOT = Path(__file__).resolve().parent.parent


def package_of(filename):
    """The package a profiled function belongs to: ours by folder, a library by name, else the standard library."""
    if filename == "~":
        return "C functions (socket calls, isinstance, ...)"
    path = Path(filename)
    if "site-packages" in path.parts:
        package = path.parts[path.parts.index("site-packages") + 1]
        return "werkzeug test client (not in production)" if path.name == "test.py" else package
    if path.is_relative_to(ROOT):
        return "/".join(path.relative_to(ROOT).parts[:2])
    return f"standard library: {path.stem}"


def body(kind, number, customer_id):
    """The form body the benchmark's wrk script sends for this kind of request."""
    credentials = f"resellerName={RESELLER}&resellerPassword={PASSWORD}"
    if kind == "customer":
        return f"{credentials}&name=profile-{number}&moCharge=5&billingType=PRE_PAID"
    if kind == "customer-get":
        return f"{credentials}&customerId={customer_id}"
    raise ValueError(kind)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="customer", choices=("customer", "customer-get"))
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--top", type=int, default=15, help="functions to list after the packages")
    args = parser.parse_args()
    path = {"customer": "/services/rest/customer/create", "customer-get": "/services/rest/customer/get"}[args.kind]
    database = EmbeddedDatabase().start()
    try:
        customer_id = set_up(database.uri).customer_id
        app = create_app({"MONGODB_URI": database.uri})
        client = app.test_client()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        for number in range(200):
            client.post(path, data=body(args.kind, f"warm-{number}", customer_id), headers=headers)
        profiler = cProfile.Profile(time.process_time)
        started = time.process_time()
        profiler.enable()
        for number in range(args.requests):
            answer = client.post(path, data=body(args.kind, number, customer_id), headers=headers)
            if answer.status_code not in (200, 201):
                sys.exit(f"request {number} answered {answer.status_code}: {answer.get_data(as_text=True)}")
        profiler.disable()
        cpu = (time.process_time() - started) / args.requests * 1000
        app.extensions["provisioning"].database.client.close()
    finally:
        database.stop()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    spent = defaultdict(float)
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():
        spent[package_of(filename)] += own
    total = sum(spent.values())
    print(f"{args.kind}: {args.requests} requests in-process, {cpu:.2f} ms CPU per request under cProfile "
          f"(the profiler itself adds to it; the shares are what matters)")
    print(f"{'package':<44} {'ms/req':>7} {'share':>6}")
    for package, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        if seconds / total >= 0.005:
            print(f"{package:<44} {seconds / args.requests * 1000:7.3f} {seconds / total:6.1%}")
    if args.top:
        print()
        stats.stream = sys.stdout
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
