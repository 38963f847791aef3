"""provisioning import customers FILE.csv --reseller NAME: batches, a result file beside the input, resumable after an
interruption without creating anything twice."""
import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.servers import ROOT, environment, eventually

HEADER = "customer,username,password,applyFreeCredits,email,phoneNumber,throughput\n"


def write_rows(path, rows):
    path.write_text(HEADER + "".join(f"{','.join(row)}\n" for row in rows))
    return path


def results(path):
    with path.open(newline="") as found:
        return list(csv.DictReader(found))


def test_import_creates_each_row_and_writes_a_result_per_row_beside_the_input(runner, reseller, db, tmp_path):
    source = write_rows(tmp_path / "customers.csv", [
        ("c1@acme", "u1@acme", "p1", "true", "a@b.com", "+48 1", "20"),
        ("c2@acme", "u2@acme", "p2", "maybe", "nope", "", ""),
        ("c3@other", "u3@acme", "p3", "false", "", "", ""),
        ("c4@acme", "u4@acme", "p4", "false", "", "", ""),
    ])
    result = runner.invoke(args=["import", "customers", str(source), "--reseller", "acme", "--batch-size", "2"])
    assert result.exit_code == 1, result.output
    assert "imported 4 rows" in result.output and "2 created, 2 refused" in result.output
    written = results(tmp_path / "customers.results.csv")
    assert [(row["line"], row["customer"], row["status"]) for row in written] == [
        ("2", "c1@acme", "0"), ("3", "c2@acme", "1"), ("4", "c3@other", "1"), ("5", "c4@acme", "0")]
    assert "applyFreeCredits: must be true or false" in written[1]["message"] and "email:" in written[1]["message"]
    user = db.users.find_one({"username": "u1@acme"})
    assert (str(user["_id"]), user["limits"], user["email"]) == (written[0]["userId"], {"throughput": 20}, "a@b.com")
    assert db.customers.find_one({"name": "c1@acme"})["credits"] == 10
    assert user["createdBy"]["client"].startswith("cli ")


def test_run_again_it_skips_what_was_created_and_creates_nothing_twice(runner, reseller, db, tmp_path):
    source = write_rows(tmp_path / "customers.csv", [(f"c{n}@acme", f"u{n}@acme", "p", "true", "", "", "")
                                                     for n in range(6)])
    assert runner.invoke(args=["import", "customers", str(source), "--reseller", "acme"]).exit_code == 0
    journal = tmp_path / "customers.results.csv"
    kept = results(journal)[:2]
    with journal.open("w", newline="") as cut:
        writer = csv.DictWriter(cut, list(kept[0]))
        writer.writeheader()
        writer.writerows(kept)
    again = runner.invoke(args=["import", "customers", str(source), "--reseller", "acme"])
    assert again.exit_code == 0, again.output
    assert "2 of 6 rows were created by an earlier run" in again.output
    written = results(journal)
    assert [row["message"] for row in written] == ["created"] * 2 + ["created before"] * 4
    assert db.customers.count_documents({}) == db.users.count_documents({}) == 6
    assert db.credit_transactions.count_documents({}) == 6


def test_a_dry_run_checks_each_row_and_creates_nothing(runner, reseller, db, tmp_path, customer_of):
    customer_of("c1@acme")
    source = write_rows(tmp_path / "customers.csv", [("c1@acme", "u1@acme", "p", "true", "", "", ""),
                                                     ("c2@acme", "u2@acme", "p", "true", "", "", "")])
    result = runner.invoke(args=["import", "customers", str(source), "--reseller", "acme", "--dry-run"])
    assert [row["status"] for row in results(tmp_path / "customers.dry-run.csv")] == ["3", "0"]
    assert result.exit_code == 1 and db.users.count_documents({}) == 0
    assert not (tmp_path / "customers.results.csv").exists()


def test_a_file_without_the_required_columns_or_an_unknown_reseller_is_one_line(runner, reseller, tmp_path):
    source = tmp_path / "bad.csv"
    source.write_text("name,user\nx,y\n")
    result = runner.invoke(args=["import", "customers", str(source), "--reseller", "acme"])
    assert result.exit_code == 1 and "has no column customer, username, password" in result.output
    good = write_rows(tmp_path / "good.csv", [("c1@acme", "u1@acme", "p", "true", "", "", "")])
    assert runner.invoke(args=["import", "customers", str(good), "--reseller", "ghost"]).output.strip() == \
        "Error: there is no reseller named ghost"


ROWS = 400


def test_ctrl_c_stops_the_import_and_running_it_again_finishes_it_once(database_uri, runner, reseller, db, tmp_path):
    """A real process, argon2 at its production cost so that the import takes seconds: interrupted once its first
    batches are written, it exits 130; run again, it creates the rest, and every row exactly once."""
    # Enough rows that a loaded machine cannot finish them all before the test has seen the first batch written.
    rows = [(f"c{n}@acme", f"u{n}@acme", "p", "true", "", "", "") for n in range(ROWS)]
    source = write_rows(tmp_path / "customers.csv", rows)
    command = [str(Path(sys.executable).parent / "provisioning"), "import", "customers", str(source), "--reseller",
               "acme", "--batch-size", "10", "--parallel", "1"]
    env = environment(MONGODB_URI=database_uri)
    # As on a terminal: Ctrl-C's signal handled by default, whatever the suite inherited (a shell's background job
    # starts with SIGINT ignored, and Python then leaves it ignored).
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    journal = tmp_path / "customers.results.csv"
    eventually(lambda: (journal.exists() and len(results(journal)) >= 10) or process.poll() is not None, 60,
               "no batch was written")
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted:" in err and "run the same command again" in err
    assert len(results(journal)) < ROWS
    started = time.monotonic()
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "imported" in again.stdout and time.monotonic() - started < 300
    assert [row["status"] for row in results(journal)] == ["0"] * ROWS
    assert db.customers.count_documents({}) == db.users.count_documents({}) == ROWS
    assert "Traceback" not in err
