"""`import customers FILE.csv --reseller NAME`: customers with their first users from a CSV file, in batches, with
progress, a result file beside the input, and resumable: run again after an interruption (Ctrl-C, a crash, the
database gone), it skips the rows its result file says were created, and a row created whose result was not yet
written is answered by its Idempotency-Key (derived from the row), never created twice."""
from __future__ import annotations

import csv
import io
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import click
from pymongo.errors import ConnectionFailure, ExecutionTimeout

import config
from app.cli.common import operator, tools
from app.cli.progress import Shown
from app.domain.commands import CustomerUserRequest
from app.domain.exceptions import BatchOutOfTime, Taken
from app.domain.model import Created, IdempotencyKey
from app.domain.rows import COLUMNS, REQUIRED, RowRefused, import_row
from app.domain.upgrades import Progress
from app.service_layer import idempotency, imports, lookups

imports_group = click.Group("import", help="Bulk imports from files.")
RESULT_COLUMNS = ("line", "customer", "username", "status", "customerId", "userId", "message")
TASK = "customers"
# Exit statuses: 1 an error (or a row refused), 130 interrupted (as a shell reports Ctrl-C).
INTERRUPTED = 130
# The messages of the statuses a row's result may have (as the API words them).
MESSAGES = {3: "a customer with this name already exists", 4: "a user with this username already exists",
            7: "created before from another row: this row's key was used with other parameters",
            8: "the first import of this row is still running; run the import again"}


def result_path(source: Path, dry_run: bool) -> Path:
    """The result file beside the input: customers.csv -> customers.results.csv (.dry-run.csv for a dry run)."""
    return source.with_name(f"{source.stem}.{'dry-run' if dry_run else 'results'}.csv")


def row_key(secret: bytes, reseller_name: str, request: CustomerUserRequest) -> IdempotencyKey:
    """A row's own Idempotency-Key: from its customer and username (two spaces: no caller's key, nor a batch row's,
    has them), with the fingerprint of the row's parameters (a row changed since it was created is status 7)."""
    key = f"cli-import {request.customer.name} {request.user.username}"
    return idempotency.keyed(secret, key, "customer-user/import", request, reseller_name)


def done_before(path: Path) -> dict[int, dict[str, str]]:
    """The rows a result file says were created, by line (a journal: the last result of a line counts)."""
    if not path.exists():
        return {}
    results: dict[int, dict[str, str]] = {}
    with path.open(newline="", encoding="utf-8") as journal:
        for result in csv.DictReader(journal):
            if result.get("line", "").isdigit():
                results[int(result["line"])] = result
    return {line: result for line, result in results.items() if result.get("status") == "0"}


def read_rows(source: Path) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """The file's rows with their line numbers, and the columns it has that no row parameter has."""
    text = source.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise click.ClickException(f"{source.name} has no column {', '.join(missing)} (its header row names the "
                                   f"columns: {', '.join(COLUMNS)})")
    rows = [(reader.line_num, {key: value for key, value in row.items() if key is not None}) for row in reader]
    return rows, [column for column in header if column not in COLUMNS]


def result_of(line: int, row: dict[str, str], outcome: object) -> dict[str, str]:
    """A row's line in the result file."""
    result = {"line": str(line), "customer": row.get("customer", ""), "username": row.get("username", "")}
    if isinstance(outcome, Created):
        return {**result, "status": "0", "customerId": str(outcome.customer_id), "userId": str(outcome.user_id),
                "message": "created before" if outcome.replayed else "created"}
    if outcome is imports.DRY_RUN_PASSED:
        return {**result, "status": "0", "message": "would be created"}
    if isinstance(outcome, RowRefused):
        problems = "; ".join(f"{column}: {', '.join(messages)}" for column, messages in sorted(outcome.errors.items()))
        return {**result, "status": "1", "message": problems}
    if isinstance(outcome, BatchOutOfTime):
        return {**result, "status": "98", "message": "not attempted"}
    status = {"CustomerExists": 3, "UserExists": 4, "IdempotencyKeyReused": 7, "IdempotencyKeyInFlight": 8}[
        type(outcome).__name__]
    existing = f" (its id: {outcome.existing})" if isinstance(outcome, Taken) and outcome.existing else ""
    return {**result, "status": str(status), "message": MESSAGES[status] + existing}


@imports_group.command("customers")
@click.argument("source", metavar="FILE.csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--reseller", "reseller_name", required=True, help="the reseller the customers are created for")
@click.option("--batch-size", type=click.IntRange(1, 1000), default=100, show_default=True,
              help="rows done (and their results written) at a time")
@click.option("--parallel", type=click.IntRange(1, 64), default=config.usable_cpus(), show_default="the CPUs",
              help="rows done at once (argon2 hashes each new password: one per CPU keeps them all busy)")
@click.option("--apply-free-credits", type=click.BOOL, default=None,
              help="true or false, for the rows without applyFreeCredits")
@click.option("--dry-run", is_flag=True, help="check every row as the import would, and create nothing")
def import_customers(source, reseller_name, batch_size, parallel, apply_free_credits, dry_run):
    """Create customers with their first users from FILE.csv (a header row naming customer-user/create's parameters:
    customer, username, password, applyFreeCredits, contactName, email, phoneNumber and the sending limits), for a
    reseller. The result of each row goes to FILE.results.csv; run the same command again after an interruption and
    it goes on where it stopped, creating nothing twice."""
    service = tools()
    rows, unknown = read_rows(source)
    if unknown:
        click.echo(f"note: ignored the columns {', '.join(unknown)} (not parameters of a row)", err=True)
    try:
        with service.unit_of_work() as uow:
            reseller = lookups.reseller_named(reseller_name, uow=uow)
    except (ConnectionFailure, ExecutionTimeout):
        raise click.ClickException("the database is unavailable (see MONGODB_URI)") from None
    if reseller is None:
        raise click.ClickException(f"there is no reseller named {reseller_name}")
    if not reseller.active:
        raise click.ClickException(f"reseller {reseller.name} is disabled: enable it first")
    results_file = result_path(source, dry_run)
    done = {} if dry_run else done_before(results_file)
    to_do = [(line, row) for line, row in rows if line not in done]
    if done:
        click.echo(f"{len(done)} of {len(rows)} rows were created by an earlier run ({results_file.name}); "
                   f"going on with the other {len(to_do)}", err=True)
    origin = operator()

    def one(line_and_row):
        line, row = line_and_row
        try:
            parsed = import_row(row, reseller=reseller.name, password_min_length=service.user_password_min_length,
                                apply_free_credits=apply_free_credits)
        except RowRefused as refused:
            return line, row, refused
        request = CustomerUserRequest(None, parsed.customer, parsed.user, parsed.apply_free_credits, dry_run)
        key = row_key(service.idempotency_secret, reseller.name, replace(request, dry_run=False))
        with service.unit_of_work() as uow:
            outcome = imports.import_one(reseller, request, origin, key, uow=uow, hasher=service.hasher,
                                         clock=service.clock)
        return line, row, outcome

    started = time.monotonic()
    finished: list[dict[str, str]] = []
    with results_file.open("a", newline="", encoding="utf-8") as journal:
        writer = csv.DictWriter(journal, RESULT_COLUMNS)
        if journal.tell() == 0:
            writer.writeheader()
        pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="import")
        try:
            with Shown() as shown:
                shown.show(Progress(TASK, len(done), len(rows), "rows"))
                for first in range(0, len(to_do), batch_size):
                    batch = [result_of(*made) for made in pool.map(one, to_do[first:first + batch_size])]
                    writer.writerows(batch)
                    journal.flush()
                    os.fsync(journal.fileno())
                    finished += batch
                    shown.show(Progress(TASK, len(done) + len(finished), len(rows), "rows"))
        except KeyboardInterrupt:
            pool.shutdown(wait=True, cancel_futures=True)
            click.echo(f"\ninterrupted: {len(done) + len(finished)} of {len(rows)} rows done; run the same command "
                       "again to go on (nothing is created twice)", err=True)
            sys.exit(INTERRUPTED)
        except (ConnectionFailure, ExecutionTimeout):
            pool.shutdown(wait=False, cancel_futures=True)
            raise click.ClickException(f"the database is unavailable (see MONGODB_URI): {len(done) + len(finished)} of "
                                       f"{len(rows)} rows done; run the same command again to go on") from None
        pool.shutdown()
    tidy(results_file, rows, done, finished)
    seconds = time.monotonic() - started
    refused = [result for result in finished if result["status"] != "0"]
    rate = len(finished) / seconds if seconds > 0 else 0.0
    what = "checked" if dry_run else "imported"
    click.echo(f"{what} {len(finished)} rows in {seconds:.1f} s ({rate:.1f} rows/s): "
               f"{len(finished) - len(refused)} {'would be created' if dry_run else 'created'}, {len(refused)} refused"
               f"{f', {len(done)} created before' if done else ''}; results in {results_file.name}")
    if refused:
        sys.exit(1)


def tidy(results_file: Path, rows: list[tuple[int, dict[str, str]]], done: dict[int, dict[str, str]],
         finished: list[dict[str, str]]) -> None:
    """Rewrite the result file (a journal while the import runs) as one line per row of the input, in its order."""
    latest = {**done, **{int(result["line"]): result for result in finished}}
    temporary = results_file.with_name(results_file.name + ".tmp")
    with temporary.open("w", newline="", encoding="utf-8") as tidied:
        writer = csv.DictWriter(tidied, RESULT_COLUMNS)
        writer.writeheader()
        writer.writerows(latest[line] for line, _ in rows if line in latest)
        tidied.flush()
        os.fsync(tidied.fileno())
    temporary.replace(results_file)
