"""The operator commands as a person runs them (the provisioning console script make install makes): their own
process, quiet, one line when something is wrong, the service's own help, version and shell completion."""
import io
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app import logs
from scripts.embedded_db import free_port
from tests.support.servers import ROOT, environment

PROVISIONING = Path(sys.executable).parent / "provisioning"


def provisioning(*args, timeout=60, cwd=ROOT, **settings):
    """Run `provisioning ARGS` as an operator does; return (exit status, stdout, stderr)."""
    result = subprocess.run([str(PROVISIONING), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            env=environment(**settings))
    return result.returncode, result.stdout, result.stderr


def test_help_answers_at_once_and_quietly_with_the_database_down():
    started = time.monotonic()
    status, out, err = provisioning("--help", MONGODB_URI=f"mongodb://127.0.0.1:{free_port()}/p", MONGODB_TIMEOUT_MS=10000)
    assert status == 0 and "reseller" in out
    assert time.monotonic() - started < 5
    assert err == ""


def test_the_help_is_the_services_and_never_flasks(tmp_path):
    status, out, _ = provisioning("--help", cwd=tmp_path)
    assert status == 0 and out.startswith("Usage: provisioning ")
    assert "provisioning service" in out and "import" in out
    commands = {line.split()[0] for line in out.split("Commands:")[1].splitlines() if line.strip()}
    assert "flask" not in out.lower() and not {"routes", "shell", "run"} & commands
    status, _, err = provisioning("no-such-command", cwd=tmp_path)
    assert status == 2 and "Usage: provisioning" in err and "flask" not in err.lower()


def test_version_is_the_projects():
    from app.version import VERSION

    assert provisioning("--version")[:2] == (0, f"provisioning {VERSION}\n")


def test_shell_completion_completes_the_commands(tmp_path):
    status, script, _ = provisioning("completion", "bash", cwd=tmp_path)
    assert status == 0 and "_PROVISIONING_COMPLETE=bash_complete" in script
    result = subprocess.run([str(PROVISIONING)], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            env=environment(_PROVISIONING_COMPLETE="bash_complete", COMP_WORDS="provisioning res",
                                            COMP_CWORD="1"))
    assert "reseller" in result.stdout


def test_a_command_prints_its_answer_and_no_log_line(database_uri, db):
    status, out, err = provisioning("reseller", "create", "acme", MONGODB_URI=database_uri, RESELLER_PASSWORD="acme secret")
    assert (status, out, err) == (0, "created reseller acme (freeCredits 10)\n", "")


def test_a_command_with_the_database_down_says_so_in_one_line():
    status, _, err = provisioning("reseller", "list", MONGODB_URI=f"mongodb://127.0.0.1:{free_port()}/p",
                             MONGODB_TIMEOUT_MS=500)
    assert status == 1
    assert err.strip().splitlines() == ["Error: the database is unavailable (see MONGODB_URI)"]


def test_a_configuration_error_is_one_line_naming_every_bad_variable():
    status, _, err = provisioning("reseller", "list", PORT="eighty", LOG_LEVEL="LOUD")
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
