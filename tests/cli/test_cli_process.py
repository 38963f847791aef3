"""The operator commands as a person runs them: their own process, quiet, one line when something is wrong."""
import io
import subprocess
import sys
import time

import pytest

from app import logs
from scripts.embedded_db import free_port
from tests.support.servers import ROOT, environment


def flask(*args, timeout=60, **settings):
    """Run `flask --app wsgi ARGS` as an operator does; return (exit status, stdout, stderr)."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=timeout, env=environment(**settings))
    return result.returncode, result.stdout, result.stderr


def test_help_answers_at_once_and_quietly_with_the_database_down():
    started = time.monotonic()
    status, out, err = flask("--help", MONGODB_URI=f"mongodb://127.0.0.1:{free_port()}/p", MONGODB_TIMEOUT_MS=10000)
    assert status == 0 and "reseller" in out
    assert time.monotonic() - started < 5
    assert err == ""


def test_a_command_prints_its_answer_and_no_log_line(database_uri, db):
    status, out, err = flask("reseller", "create", "acme", MONGODB_URI=database_uri, RESELLER_PASSWORD="acme secret")
    assert (status, out, err) == (0, "created reseller acme (freeCredits 10)\n", "")


def test_a_command_with_the_database_down_says_so_in_one_line():
    status, _, err = flask("reseller", "list", MONGODB_URI=f"mongodb://127.0.0.1:{free_port()}/p",
                             MONGODB_TIMEOUT_MS=500)
    assert status == 1
    assert err.strip().splitlines() == ["Error: the database is unavailable (see MONGODB_URI)"]


def test_a_configuration_error_is_one_line_naming_every_bad_variable():
    status, _, err = flask("reseller", "list", PORT="eighty", LOG_LEVEL="LOUD")
    assert status == 1
    [line] = err.strip().splitlines()
    assert line.startswith("provisioning: configuration: ") and "PORT=" in line and "LOG_LEVEL=" in line


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("given, deployment, stream, chosen", [
    ("auto", "development", Terminal(), "text"),
    ("auto", "development", io.StringIO(), "json"),
    ("auto", "production", Terminal(), "json"),
    ("json", "development", Terminal(), "json"),
    ("text", "production", io.StringIO(), "text"),
])
def test_the_log_format_follows_the_setting_or_whether_a_person_reads_it(given, deployment, stream, chosen):
    assert logs.chosen_format(given, deployment, stream) == chosen


def test_the_readmes_command_form_runs_from_anywhere(database_uri, db, tmp_path):
    result = subprocess.run([str(ROOT / "provisioning"), "reseller", "list"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, env=environment(MONGODB_URI=database_uri))
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.split()[:4] == ["NAME", "ACTIVE", "FREE", "CREDITS"]
