"""The README's section "Events and webhooks" runs as written with its Node.js receiver in place of the Python one
(tests/system/test_readme.py runs the whole README, the Python receiver included): its console examples, one command
after another in one shell, against gunicorn and `provisioning events relay` on a database of the test's own."""
import json
import re
import subprocess
import uuid

import pytest
from pymongo import MongoClient

from scripts.embedded_db import answers as listening
from scripts.embedded_db import free_port
from tests.support.apps import CHEAP_ARGON2, app_for, create_reseller
from tests.support.relays import Relay
from tests.support.servers import ROOT, Gunicorn, eventually, tool

README_BASE = "http://127.0.0.1:8080"
README_RECEIVER_PORT = "9000"
PASSWORD = "s3cret-Reseller"


def section():
    text = (ROOT / "README.md").read_text()
    start = text.index("### Events and webhooks")
    return text[start:re.compile(r"\n##?#? ").search(text, start + 1).start()]


def blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", section(), re.S)


def commands():
    """The console examples' commands (a line after `$ ` and its continuations), in order."""
    found = []
    for block in blocks("console"):
        lines = block.splitlines()
        for number, line in enumerate(lines):
            if line.startswith("$ "):
                command = line[2:]
                following = number
                while command.endswith("\\"):
                    following += 1
                    command = command[:-1] + " " + lines[following].strip()
                found.append(command)
    return found


class Shell:
    """One bash for the whole example, so that its variables carry from one command to the next."""

    def __init__(self, cwd):
        # What a terminal would show beside the answers (curl's progress meter) goes to a file of its own.
        self.errors = open(cwd / "stderr.txt", "w")  # noqa: SIM115
        self.process = subprocess.Popen(["bash"], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.errors, text=True)

    def run(self, command):
        marker = f"end-{uuid.uuid4().hex}"
        self.process.stdin.write(f"{command}\necho {marker} $?\n")
        self.process.stdin.flush()
        output = []
        for line in self.process.stdout:
            if line.startswith(marker):
                return int(line.split()[1]), "".join(output)
            output.append(line)
        raise AssertionError(f"the shell ended during {command}")

    def close(self):
        self.process.stdin.close()
        self.process.terminate()
        self.process.wait(timeout=30)
        self.errors.close()


@pytest.mark.parametrize("receiver", ["js"])
def test_the_readme_webhook_example_runs_with_the_nodejs_receiver_too(spare_database, tmp_path, receiver):
    tool("jq", "apt-get install jq")
    uri = spare_database()
    create_reseller(app_for(uri), "acme", PASSWORD)
    port = str(free_port())
    [code] = blocks(receiver)
    (tmp_path / "receiver.py").write_text(code.replace(README_RECEIVER_PORT, port))
    if receiver == "js":
        (tmp_path / "receiver.js").write_text(code.replace(README_RECEIVER_PORT, port))
    answers = []
    with Gunicorn(MONGODB_URI=uri, ALLOW_PRIVATE_PUSH_TARGETS="on", **CHEAP_ARGON2) as server, Relay(uri), \
            MongoClient(uri) as client:
        events = client.get_default_database().events
        shell = Shell(tmp_path)
        try:
            for command in commands():
                command = command.replace(README_BASE, server.url("")).replace(README_RECEIVER_PORT, port)
                if command.endswith("&"):
                    # The receiver, in the background: its lines to a file the test reads; node for the js one.
                    started = command.removesuffix("&").strip()
                    if receiver == "js":
                        started = "node receiver.js"
                    command = f"{started} > received.txt 2> receiver-log.txt &"
                if "events/list" in command:
                    eventually(lambda: events.count_documents({}) >= 2, 60, "the relay wrote no events")
                if "webhook/test" in command:
                    eventually(lambda: listening("127.0.0.1", int(port)), 30, "the receiver did not start")
                status, output = shell.run(command)
                assert status == 0, (command, output, (tmp_path / "stderr.txt").read_text()[-2000:])
                if output.startswith("{"):
                    answers.append((command, json.loads(output)))
                if "name=hooked-shop" in command:
                    eventually(lambda: "customer.created" in received(tmp_path), 60, "the receiver got no event")
        finally:
            shell.close()
    assert all(answer["status"] == 0 for _, answer in answers), "\n".join(f"{c} -> {a}" for c, a in answers)
    listed = [answer for command, answer in answers if "events/list" in command]
    assert [event["type"] for event in listed[0]["events"]] == ["customer.created", "credits.changed"]
    assert [event["type"] for event in listed[1]["events"]] == ["credits.changed"] and listed[1]["next"] is None
    [tried] = [answer for command, answer in answers if "webhook/test" in command]
    assert tried["delivery"]["taken"] and tried["delivery"]["answerCode"] == 204
    # The credit change came before the webhook: it is not sent; the create after it is, and verified.
    assert [line.split()[0] for line in received(tmp_path).splitlines()] == ["webhook.test", "customer.created"]
    for command, answer in answers:
        print(f"$ {command}\n{json.dumps(answer, separators=(',', ':'))}")
    print(received(tmp_path))


def received(folder):
    path = folder / "received.txt"
    return path.read_text() if path.exists() else ""

