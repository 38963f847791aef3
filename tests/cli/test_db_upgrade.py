"""db upgrade as an operator runs it: one line per thing done, and the progress of long steps (a bar on a terminal,
lines when piped)."""
import io

from bson import ObjectId
from rich.console import Console

from app.cli.progress import Shown, progress_line
from app.domain.upgrades import Note, Progress


def test_db_upgrade_says_the_database_is_up_to_date_and_shows_its_backfills_progress(runner, db):
    db.customers.insert_many([{"name": f"old{number}", "nameKey": f"old{number}", "resellerId": ObjectId()}
                              for number in range(5)])
    db.upgrades.delete_many({})
    result = runner.invoke(args=["db", "upgrade", "--batch-size", "2", "--rest", "0"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "customers: look-alike keys: 5 of 5 documents (100%)" in " ".join(lines)
    assert lines[-1].startswith("database ") and lines[-1].endswith(" is up to date")
    assert db.customers.count_documents({"keyRules": {"$exists": False}}) == 0


def test_progress_lines_tell_how_far_and_how_long_is_left():
    assert progress_line("users: keys", 250, 1000, 5.0) == \
        "users: keys: 250 of 1000 documents (25%), 50/s, about 15 s left"
    assert progress_line("users: keys", 1000, 1000, 20.0) == "users: keys: 1000 of 1000 documents (100%), 50/s"


def test_on_a_terminal_progress_is_a_bar_and_notes_go_above_it(monkeypatch):
    written = io.StringIO()
    monkeypatch.setattr("app.cli.progress.Console", lambda **options: Console(file=written, force_terminal=True,
                                                                              width=100))
    with Shown(terminal=True) as shown:
        shown.show(Progress("customers: look-alike keys", 0, 10))
        shown.show(Note("customers: created index nameKey3_1"))
        shown.show(Progress("customers: look-alike keys", 10, 10))
    output = written.getvalue()
    assert "customers: created index nameKey3_1" in output and "10/10" in output
