"""`make upgrade-trial`: `db upgrade` on a filled database, as a release would run it on production.

A database as the previous release left it (a million customers by default: look-alike keys without the rules that
made them, change histories on the documents, idempotency fingerprints of the old kind), with an index another
component added. The trial upgrades it twice, while a writer keeps trying to insert duplicates of names and of
idempotency keys, and prints the upgrade's own progress lines, its time, and what the writer saw:

1. this release's upgrade, with, beside it, a next generation of the look-alike rules and a changed definition of the
   idempotency index (as a later release would bring): built beside the old indexes, then the backfills;
2. the contract of that generation: its predecessor's index and field removed.

Not one duplicate may get in at any moment, and the other component's index must be there at the end.
"""
import argparse
import io
import random
import sys
import threading
import time
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bson import ObjectId
from pymongo import InsertOne, MongoClient
from pymongo.errors import DuplicateKeyError, PyMongoError

from app.adapters import backfills, indexes
from app.adapters.upgrade import MongoUpgrade
from app.cli.progress import Shown
from app.domain import names
from scripts.embedded_db import EmbeddedDatabase

ROOT = Path(__file__).parent.parent
BATCH = 10_000
FOREIGN_INDEX = "billingAccount_1"


def zero_is_o(name):
    """The next generation's rules, for the trial: generation 2's, with the digit 0 read as the letter o."""
    return names.lookalike_key(name).replace("0", "o")


def fill(database, count, rng):
    """Customers as the previous release wrote them, and the indexes it had (by their names)."""
    resellers = [ObjectId() for _ in range(50)]
    now = datetime.now(UTC)
    for start in range(0, count, BATCH):
        documents = []
        for number in range(start, min(start + BATCH, count)):
            name = f"customer-{number}"
            document = {"name": name, "nameKey": name, "resellerId": rng.choice(resellers), "integrationId": "",
                        "rotationAlgorithm": "MAX_ROTATION", "billingType": "PRE_PAID", "moCharge": 0,
                        "credits": 10, "active": True, "createdAt": now,
                        "createdBy": {"action": "customer.create", "client": "192.0.2.1"},
                        "billingAccount": f"acct-{number}"}
            if number % 10 == 0:
                document["history"] = [{"action": "customer.update", "at": now - timedelta(minutes=minutes),
                                        "client": "192.0.2.1", "fields": ["moCharge"]} for minutes in range(3)]
            if number % 10 == 5:
                document["idempotency"] = {"key": f"key-{number}", "fingerprint": "0" * 64}
            documents.append(InsertOne(document))
        database.customers.bulk_write(documents, ordered=False)
        print(f"filled {min(start + BATCH, count)} of {count}", flush=True)
    customers = database.customers
    customers.create_index("name", name="name_1", unique=True)
    customers.create_index("nameKey", name="nameKey_1", unique=True)
    customers.create_index([("resellerId", 1), ("_id", 1)], name="resellerId_1__id_1")
    customers.create_index([("resellerId", 1), ("idempotency.key", 1)], name="resellerId_1_idempotency.key_1",
                           unique=True, partialFilterExpression={"idempotency.key": {"$exists": True}})
    customers.create_index("billingAccount", name=FOREIGN_INDEX)


class Writer:
    """Keeps trying to insert a duplicate name and a duplicate idempotency key while the upgrade runs."""

    def __init__(self, uri, reseller_of_key):
        self._client = MongoClient(uri)
        self._customers = self._client.get_default_database().customers
        self._reseller = reseller_of_key
        self.refused = 0
        self.admitted = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._client.close()

    def _run(self):
        while not self._stop.is_set():
            for duplicate in ({"name": "customer-7", "nameKey": "customer-7-again"},
                              {"name": "customer-7-again", "nameKey": "customer-7", "nameKey3": "customer-7"},
                              {"name": "other-5", "nameKey": "other-5", "resellerId": self._reseller,
                               "idempotency": {"key": "key-5"}}):
                try:
                    self._customers.insert_one(dict(duplicate))
                    self.admitted.append(duplicate)
                except DuplicateKeyError:
                    self.refused += 1
                except PyMongoError:
                    pass
            self._stop.wait(0.05)


def upgrade(database, pace):
    """Run db upgrade as the CLI does, piped: its progress lines as printed, and how long it took."""
    printed = io.StringIO()
    started = time.monotonic()
    with redirect_stdout(printed), Shown(terminal=False) as shown:
        for event in MongoUpgrade(database, pace=pace).run():
            shown.show(event)
    return printed.getvalue(), time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--rest", type=float, default=0.25)
    parser.add_argument("--output", default=str(ROOT / "docs/upgrade-trial.md"))
    parser.add_argument("--contract-only", action="store_true",
                        help="run only the contract on the database a stopped trial's expand left; its report is "
                             "appended to --output")
    args = parser.parse_args()
    server = EmbeddedDatabase(storage_path=str(ROOT / "var" / "upgrade-trial")).start()
    uri = server.uri.replace("/?", "/trial?")
    report = [f"# db upgrade on a filled database\n\n`make upgrade-trial` ({args.documents} customers, batches of "
              f"{args.batch_size}, resting {args.rest} of each batch's time), on SecantusDB, {datetime.now(UTC):%Y-%m-%d}."
              " The figures are SecantusDB's; mongod builds indexes and applies updates faster.\n"]
    try:
        with MongoClient(uri, tz_aware=True) as client:
            database = client.get_default_database()
            if args.contract_only:
                report = [Path(args.output).read_text(encoding="utf-8")]
            else:
                database.client.drop_database(database.name)
                started = time.monotonic()
                fill(database, args.documents, random.Random(20261202))
                report.append(f"Filled in {time.monotonic() - started:.0f} s.\n")
            reseller_of_key = database.customers.find_one({"idempotency.key": "key-5"})["resellerId"]
            pace = backfills.Pace(args.batch_size, args.rest)
            wanted = indexes.wanted_indexes
            names.LOOKALIKE_GENERATIONS = {2: names.lookalike_key, 3: zero_is_o}
            names.LOOKALIKE_RULES = 3
            replacement = indexes.index("resellerId", "idempotency.key", name="resellerId_1_idempotency.key_1_v2",
                                        unique=True, partialFilterExpression={"idempotency.key": {"$type": "string"}},
                                        replaces=("resellerId_1_idempotency.key_1",))

            def next_release():
                found = wanted()
                found["customers"] = [replacement if one.name == "resellerId_1_idempotency.key_1" else one
                                      for one in found["customers"]]
                return found

            indexes.wanted_indexes = next_release
            phases = (("1. Expand: this release, and a next generation of the look-alike rules beside it, and a "
                       "changed idempotency index", lambda: None),
                      ("2. Contract: the old generation removed", contract))
            for title, prepare in phases[1:] if args.contract_only else phases:
                prepare()
                with Writer(uri, reseller_of_key) as writer:
                    printed, seconds = upgrade(database, pace)
                report.append(f"## {title}\n\n{seconds:.0f} s. While it ran, a writer's duplicates: "
                              f"{writer.refused} refused, {len(writer.admitted)} admitted.\n\n```\n{printed}```\n")
                print(report[-1], flush=True)
                if writer.admitted:
                    sys.exit(f"a duplicate got in: {writer.admitted[:3]}")
            present = database.customers.index_information()
            report.append(f"At the end: `{FOREIGN_INDEX}` (another component's) is there: {FOREIGN_INDEX in present}; "
                          f"indexes: {', '.join(sorted(present))}.\n")
            if FOREIGN_INDEX not in present:
                sys.exit("the other component's index was dropped")
    finally:
        server.stop()
    Path(args.output).write_text("\n".join(report), encoding="utf-8")
    print(f"wrote {args.output}")


def contract():
    names.LOOKALIKE_GENERATIONS = {3: zero_is_o}
    names.RETIRED_LOOKALIKE_GENERATIONS = (2,)


if __name__ == "__main__":
    main()
