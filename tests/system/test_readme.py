"""Every example of README.md runs as written: its shell blocks, in order, in one bash session (so that a shell variable
one example sets is there for the next), against `make run` on a fresh embedded database, each command's output
compared with what the README shows after it.

What the README holds, as this test reads it:
- a shell block (```console, ```sh, ```bash, ```shell) is an example: lines beginning with `$ ` are commands (with
  their continuation lines, while bash finds the command incomplete: a trailing backslash, an open quote), the lines
  after a command up to the next one are its output, exactly;
- a block that cannot run here (it needs Docker, takes minutes, or is a synopsis) says so in an HTML comment on the
  line before its fence, `<!-- not run: the reason -->`; each is reported as a skip with its reason, never passed
  over in silence, and a shell block with no `$ ` prompt and no such comment fails the test;
- `<!-- run in the project folder -->` before a block runs it in the checkout (the bench scripts); the others run in
  a scratch folder of the test's own (the files they write stay out of the checkout).

How the session differs from a reader's terminal, each for a stated reason:
- `make run` is scripts/serve.py with a port and a database of its own (PORT, EMBEDDED_DB_PORT, EMBEDDED_DB_PATH, as
  the README says for a second `make run`): the README's `127.0.0.1:8080` is rewritten to that port in commands and
  outputs, and MONGODB_URI points the operator commands at that database (the README's "same default database");
- `ALLOW_PRIVATE_PUSH_TARGETS=on`, as the README's webhook example says, for its receiver on 127.0.0.1;
- one worker (WEB_CONCURRENCY=1): lists run in ObjectId order, and two objects made in one second by two worker
  processes may come in either order (the contract says so), which would make a list's output vary;
- `provisioning` is the .venv's (PATH, as `. .venv/bin/activate` does); curl is silent but shows errors, as it is on
  a terminal (its progress meter is for output that does not go to one); Python's output is unbuffered, so that a
  command's lines come in the order a terminal shows them; header lines lose their CR.

What may differ from the README's output (everything else must match exactly), by pattern (VARYING):
- object ids (24 hex digits): any id, but consistently: the README's id for one object is the same wherever it
  appears, and two objects never share one;
- request ids (32 hex digits), times (ISO 8601 with milliseconds, the CLI's `YYYY-MM-DD HH:MM:SS UTC`, an HTTP
  Date), the project's version (x.y.z), the operator's `cli user@host`, the figures of a timed run (seconds and
  rates of `import customers`), a delivery's `durationMs` and the relay's `lagSeconds`.

A block of code after `<!-- saved as NAME -->` is a file the reader saves: the session writes it to its folder when
it reaches it (the webhook receiver).
"""
from __future__ import annotations

import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scripts.embedded_db import free_port
from tests.support.servers import eventually, tool

ROOT = Path(__file__).parent.parent.parent
README = ROOT / "README.md"
SHELL_LANGUAGES = {"console", "sh", "bash", "shell"}
NOT_RUN = re.compile(r"<!--\s*not run:\s*(.+?)\s*-->")
IN_PROJECT = re.compile(r"<!--\s*run in the project folder\s*-->")
SAVED_AS = re.compile(r"<!--\s*saved as ([\w.-]+)\s*-->")
README_ADDRESSES = ("127.0.0.1:8080", "localhost:8080")
# How long one command may take (a server start-up on a loaded 2-core machine is the slowest).
COMMAND_SECONDS = 180

OBJECT_ID = "object id"
VARYING = {
    OBJECT_ID: r"\b[0-9a-f]{24}\b",
    "request id": r"\b[0-9a-f]{32}\b",
    "time": r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z",
    "time (CLI)": r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\b",
    "HTTP date": r"\b[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\b",
    "version": r"(?<![\w.])\d+\.\d+\.\d+(?![\w.])",
    "operator": r"(?<=\bcli )[^\s@]+@\S+",
    "seconds of a run": r"(?<= in )\d+\.\d(?= s \()",
    "rate of a run": r"\b\d+(?:\.\d)?(?= rows/s|/s\b)",
    "time taken": r'(?<="durationMs":)\d+(?:\.\d+)?',
    "lag": r'(?<="lagSeconds":)\d+(?:\.\d+)?',
}
VARYING_PATTERN = re.compile("|".join(f"(?P<g{index}>{pattern})" for index, pattern in enumerate(VARYING.values())))
KINDS = list(VARYING)


@dataclass
class Command:
    line: int  # of the README
    text: str
    expected: list[str] = field(default_factory=list)


@dataclass
class Block:
    line: int  # of its fence
    commands: list[Command]
    preamble: list[str]  # lines before its first command
    not_run: str | None = None
    in_project: bool = False
    saved_as: str | None = None  # a file the reader saves (a block of code), written when the session reaches it
    content: str = ""


def blocks_of(text: str) -> list[Block]:
    """The README's shell blocks, in order."""
    lines = text.splitlines()
    found = []
    index = 0
    while index < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[index])
        if not fence:
            index += 1
            continue
        end = next(number for number in range(index + 1, len(lines)) if lines[number].startswith("```"))
        before = next((lines[number] for number in range(index - 1, -1, -1) if lines[number].strip()), "")
        saved_as = SAVED_AS.search(before)
        if saved_as:
            found.append(Block(index + 1, [], [], saved_as=saved_as.group(1),
                               content="\n".join(lines[index + 1:end]) + "\n"))
        elif fence.group(1) in SHELL_LANGUAGES:
            not_run = NOT_RUN.search(before)
            body = lines[index + 1:end]
            first = next((number for number, line in enumerate(body) if line.startswith("$ ")), len(body))
            found.append(Block(index + 1, commands_of(body[first:], index + 2 + first),
                               [line for line in body[:first] if line.strip()],
                               not_run.group(1) if not_run else None, bool(IN_PROJECT.search(before))))
        index = end + 1
    return found


def commands_of(lines: list[str], first_line: int) -> list[Command]:
    """The `$ ` commands of a block with the output shown after each (trailing blank lines dropped)."""
    commands: list[Command] = []
    index = 0
    while index < len(lines):
        if not lines[index].startswith("$ "):
            commands[-1].expected.append(lines[index])
            index += 1
            continue
        command = Command(first_line + index, lines[index][2:])
        while incomplete(command.text) and index + 1 < len(lines):
            index += 1
            command.text += "\n" + lines[index]
        commands.append(command)
        index += 1
    for command in commands:
        while command.expected and not command.expected[-1].strip():
            command.expected.pop()
    return commands


def incomplete(command: str) -> bool:
    """Whether bash would wait for more of this command (a trailing backslash, an open quote or parenthesis)."""
    if command.endswith("\\"):
        return True
    checked = subprocess.run(["bash", "-n"], input=command, capture_output=True, text=True,
                             env={"LC_ALL": "C", "PATH": os.environ.get("PATH", "")})
    return checked.returncode != 0 and ("unexpected end of file" in checked.stderr
                                        or "unexpected EOF" in checked.stderr)


class Mismatch(AssertionError):
    pass


class Comparison:
    """Compares outputs with the README's, the varying values by pattern, object ids bound one to one."""

    def __init__(self):
        self.actual_of: dict[str, str] = {}  # a README object id -> the id it stands for in this run
        self.readme_of: dict[str, str] = {}

    def check(self, expected: list[str], actual: list[str]) -> None:
        if len(expected) != len(actual):
            raise Mismatch(f"{len(actual)} lines where the README shows {len(expected)}")
        for number, (shown, got) in enumerate(zip(expected, actual, strict=True), 1):
            pattern, ids = line_pattern(shown)
            matched = pattern.fullmatch(got)
            if matched is None:
                raise Mismatch(f"line {number} differs")
            for group, readme_id in ids:
                self.bind(readme_id, matched.group(group))

    def bind(self, readme_id: str, actual_id: str) -> None:
        bound = self.actual_of.setdefault(readme_id, actual_id)
        if bound != actual_id:
            raise Mismatch(f"the README's id {readme_id} stood for {bound} before, here for {actual_id}")
        named = self.readme_of.setdefault(actual_id, readme_id)
        if named != readme_id:
            raise Mismatch(f"{actual_id} is shown as {named} before, here as {readme_id}")


def line_pattern(shown: str) -> tuple[re.Pattern[str], list[tuple[str, str]]]:
    """A README output line as a regular expression: its text exactly, the varying values by their pattern; and the
    group of each object id it shows."""
    parts, ids, position = [], [], 0
    for found in VARYING_PATTERN.finditer(shown):
        kind = KINDS[int(found.lastgroup[1:])]
        parts.append(re.escape(shown[position:found.start()]))
        if kind == OBJECT_ID:
            group = f"id{len(ids)}"
            ids.append((group, found.group()))
            parts.append(f"(?P<{group}>{VARYING[kind]})")
        else:
            parts.append(f"(?:{VARYING[kind]})")
        position = found.end()
    parts.append(re.escape(shown[position:]))
    return re.compile("".join(parts)), ids


class Session:
    """One bash process; each command's output (stdout and stderr, as a terminal shows them) goes to a file of its
    own, and a line of the session's own says when the command is done."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.folder = folder
        self.process = subprocess.Popen(["bash", "--noprofile", "--norc"], cwd=folder, env=env, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.count = 0

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put("")

    def run(self, command: str, where: Path) -> list[str]:
        self.count += 1
        output = self.folder / f".output-{self.count}"
        done = f"--- done {uuid.uuid4().hex}"
        assert self.process.stdin is not None
        self.process.stdin.write(f"cd {shlex.quote(str(where))}\n{{ {command}\n}} >{shlex.quote(str(output))} 2>&1 "
                                 f"</dev/null\nprintf '%s\\n' {shlex.quote(done)}\n")
        self.process.stdin.flush()
        said = []
        while True:
            try:
                line = self.lines.get(timeout=COMMAND_SECONDS)
            except queue.Empty:
                raise AssertionError(f"no end of the command within {COMMAND_SECONDS} s: {command}") from None
            if line.rstrip("\n") == done:
                break
            assert line, f"the shell ended: {''.join(said)}"
            said.append(line)
        assert not said, f"the shell itself said: {''.join(said)}"
        text = output.read_text(encoding="utf-8", errors="replace")
        return [line.rstrip("\r") for line in text.rstrip("\n").split("\n")] if text.strip("\n") else []

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


class MakeRun:
    """scripts/serve.py as `make run` starts it, with nothing configured: on a fresh embedded database."""

    def __init__(self, folder: Path):
        self.port, self.database_port = free_port(), free_port()
        self.database_uri = f"mongodb://127.0.0.1:{self.database_port}/provisioning?retryWrites=false"
        self.env = {**os.environ, "PORT": str(self.port), "EMBEDDED_DB_PORT": str(self.database_port),
                    "EMBEDDED_DB_PATH": str(folder / "db"), "WEB_CONCURRENCY": "1", "PYTHONPATH": str(ROOT),
                    "ALLOW_PRIVATE_PUSH_TARGETS": "on"}
        self.env.pop("MONGODB_URI", None)
        self.log = folder / "make-run.log"

    def __enter__(self) -> MakeRun:
        with self.log.open("w") as log:
            self.process = subprocess.Popen([sys.executable, "scripts/serve.py"], cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT)
        eventually(lambda: self.healthy() or self.process.poll() is not None, 120, "make run did not start")
        assert self.process.poll() is None, self.log.read_text()
        return self

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/services/rest/health", timeout=5) as answer:
                return answer.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)


def session_environment(server: MakeRun, folder: Path) -> dict[str, str]:
    """A reader's shell after `make install` and `. .venv/bin/activate`, next to `make run` (see the module's text)."""
    curl_home = folder / "curl"
    curl_home.mkdir()
    (curl_home / ".curlrc").write_text("silent\nshow-error\n")
    keep = ("HOME", "USER", "LOGNAME", "LANG", "TZ")
    return {**{name: os.environ[name] for name in keep if name in os.environ},
            "PATH": os.pathsep.join((str(Path(sys.executable).parent), os.environ.get("PATH", ""))),
            "MONGODB_URI": server.database_uri, "CURL_HOME": str(curl_home), "PYTHONUNBUFFERED": "1",
            "LC_ALL": "C.UTF-8"}


def on_port(text: str, port: int) -> str:
    for address in README_ADDRESSES:
        text = text.replace(address, f"127.0.0.1:{port}")
    return text


BLOCKS = blocks_of(README.read_text(encoding="utf-8"))


def test_every_shell_block_of_the_readme_is_an_example_or_says_why_it_is_not_run():
    unmarked = [block.line for block in BLOCKS
                if block.not_run is None and block.saved_as is None and (not block.commands or block.preamble)]
    assert not unmarked, (f"README.md lines {unmarked}: shell blocks with lines before their first `$ ` command, or "
                          "none, and no <!-- not run: the reason --> before them")


@pytest.mark.parametrize("block", [block for block in BLOCKS if block.not_run],
                         ids=lambda block: f"README line {block.line}")
def test_a_readme_block_marked_not_run_is_reported_with_its_reason(block):
    pytest.skip(f"README.md line {block.line} not run: {block.not_run}")


def test_the_readme_examples_give_the_output_the_readme_shows(tmp_path):
    tool("jq", "apt-get install jq")
    tool("curl", "apt-get install curl")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    runnable = [block for block in BLOCKS if block.not_run is None]
    assert sum(len(block.commands) for block in runnable) > 0
    comparison = Comparison()
    failures, passed = [], 0
    with MakeRun(tmp_path) as server:
        session = Session(scratch, session_environment(server, tmp_path))
        try:
            for block in runnable:
                if block.saved_as:
                    (scratch / block.saved_as).write_text(block.content, encoding="utf-8")
                for command in block.commands:
                    actual = session.run(on_port(command.text, server.port), ROOT if block.in_project else scratch)
                    expected = [on_port(line, server.port) for line in command.expected]
                    try:
                        comparison.check(expected, actual)
                        passed += 1
                    except Mismatch as mismatch:
                        failures.append(f"README.md line {command.line}: {mismatch}\n$ {command.text}\n"
                                        f"--- the README shows\n" + "\n".join(expected) +
                                        "\n--- the command gave\n" + "\n".join(actual))
        finally:
            session.close()
    print(f"{passed} README commands gave the output shown; {len(failures)} did not")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(("shown", "given"), [
    ('{"id":"6b09622a3ae8efd6c2ed8dcf","status":0}', '{"id":"6b0ffe04622c610b99c90993","status":1}'),
    ('active       true', 'active       false'),
    ('{"status":0,"version":"1.0.0"}', '{"status":0,"version":"1.0.0","database":"up"}'),
])
def test_an_output_that_differs_from_the_readme_fails_the_comparison(shown, given):
    with pytest.raises(Mismatch):
        Comparison().check([shown], [given])


def test_one_readme_id_must_stand_for_one_object_throughout():
    comparison = Comparison()
    comparison.check(['{"id":"6b09622a3ae8efd6c2ed8dcf"}'], ['{"id":"6b0ffe04622c610b99c90993"}'])
    comparison.check(['customer 6b09622a3ae8efd6c2ed8dcf'], ['customer 6b0ffe04622c610b99c90993'])
    with pytest.raises(Mismatch):
        comparison.check(['customer 6b09622a3ae8efd6c2ed8dcf'], ['customer 6b0ffe04622c610b99c90994'])
    with pytest.raises(Mismatch):
        comparison.check(['user 6b09622ddc8d59e063ed8dcf'], ['user 6b0ffe04622c610b99c90993'])


def test_varying_values_match_by_pattern_only():
    comparison = Comparison()
    comparison.check(['{"createdAt":"2026-11-27T10:57:46.115Z","requestId":"3936463d34494601ad3fd99e697e4438"}'],
                     ['{"createdAt":"2027-01-02T03:04:05.678Z","requestId":"0123456789abcdef0123456789abcdef"}'])
    with pytest.raises(Mismatch):
        comparison.check(['{"createdAt":"2026-11-27T10:57:46.115Z"}'], ['{"createdAt":"yesterday"}'])
