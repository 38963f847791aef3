"""Clients generated from the OpenAPI document work for every operation it has, against a real server: a Python client
(openapi-python-client) and a TypeScript client (@hey-api/openapi-ts, compiled with tsc, run with Node). The
operations come from the document itself, so an endpoint added later is called too; the test fails for an operation
that a client cannot call or that does not answer 2xx.

Each operation is called once, in the order create, read, change, suspend, resume, revoke, with its body made from
the document's own example: names made fresh for the creates, the ids and names of what earlier calls created for
the others (an operation "xCreate" answering an id gives "xId").
"""
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.support.apps import CHEAP_ARGON2
from tests.support.servers import ROOT, Gunicorn, tool

CREDENTIALS = {"resellerName": "acme", "resellerPassword": "s3cret-Reseller"}
PACKAGE = "provisioning_client"
TYPESCRIPT = ROOT / "clients" / "typescript"
# The order operations are called in, by the verb their operationId ends with (others between reads and changes).
ORDER = ("Create", "Import", "Get", "List", "Transactions", "Update", "Credit", "Test", "Suspend", "Resume",
         "Revoke", "Delete")
# Ids whose parameter is named otherwise than after their create.
ALIASES = {"apikeyId": "keyId"}
NAMES = ("name", "customer", "username")


def rank(operation_id):
    verb = next((verb for verb in ORDER if operation_id.endswith(verb)), None)
    return ORDER.index(verb) if verb else ORDER.index("Transactions")


def operations_of(document):
    """Every operation of the document: (operationId, method, path, body example or None), in calling order."""
    found = [(operation["operationId"], method, path,
              operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("example"))
             for path, item in document["paths"].items() for method, operation in item.items()]
    return sorted(found, key=lambda operation: rank(operation[0]))


class Calls:
    """The bodies of the calls, made from the examples with what earlier calls created."""

    def __init__(self, client_name):
        self.known = {}
        self.client_name = client_name

    def body(self, operation_id, example):
        if example is None:
            return None
        creating = operation_id.endswith(("Create", "Import"))
        return {key: self.value(key, value, creating) for key, value in {**example, **CREDENTIALS}.items()}

    def value(self, key, value, creating):
        if key == "rows":
            return [{name: self.value(name, cell, True) for name, cell in row.items()} for row in value]
        if key in NAMES:
            if creating:
                fresh = f"{self.client_name}-{uuid.uuid4().hex[:10]}"
                return f"{fresh}@acme" if "@" in str(value) else fresh
            return self.known.get(key, value)
        if key == "reference":
            return uuid.uuid4().hex
        return self.known.get(key, value) if key.endswith("Id") else value

    def learn(self, operation_id, body, answer):
        """Keep the ids and names a create made, for the calls after it."""
        if not operation_id.endswith("Create") or not isinstance(answer, dict) or "id" not in answer:
            return
        made = re.sub(r"Create$", "", operation_id)
        if made == "customerUser":
            self.known.update({"customerId": answer["customerId"], "userId": answer["id"]})
        else:
            key = f"{made}Id"
            self.known[ALIASES.get(key, key)] = answer["id"]
        for name in NAMES:
            if body and name in body:
                self.known[{"customer": "name"}.get(name, name)] = body[name]


@pytest.fixture(scope="module")
def server(database_uri):
    with Gunicorn(MONGODB_URI=database_uri, **CHEAP_ARGON2) as gunicorn:
        yield gunicorn


@pytest.fixture(scope="module")
def document(server):
    with urllib.request.urlopen(server.url("/services/rest/openapi.json"), timeout=30) as answer:
        return json.load(answer)


@pytest.fixture
def acme(make_reseller):
    make_reseller(CREDENTIALS["resellerName"], CREDENTIALS["resellerPassword"])


@pytest.fixture(scope="module")
def python_client(document, tmp_path_factory):
    """The package openapi-python-client generates from the document (no warning allowed), importable."""
    folder = tmp_path_factory.mktemp("python")
    (folder / "openapi.json").write_text(json.dumps(document))
    (folder / "config.json").write_text(json.dumps({"post_hooks": [], "package_name_override": PACKAGE}))
    generator = tool("openapi-python-client", "make install")
    result = subprocess.run([generator, "generate", "--path", str(folder / "openapi.json"), "--config",
                             str(folder / "config.json"), "--meta", "none", "--output-path", str(folder / PACKAGE),
                             "--fail-on-warning"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    models = len(list((folder / PACKAGE / "models").glob("*.py")))
    assert models < 100, f"{models} model files: the document makes a model of what should be one"
    sys.path.insert(0, str(folder))
    yield importlib.import_module(PACKAGE)
    sys.path.remove(str(folder))
    for name in [name for name in sys.modules if name == PACKAGE or name.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def python_call(package, document, operation_id, method, path, body, base_url):
    """Call an operation with the generated Python package: its module of that name, its body model; the answer's
    HTTP status and parsed body (as a dict)."""
    found = list((Path(package.__file__).parent / "api").glob(f"*/{snake(operation_id)}.py"))
    assert found, f"the generated Python client has no module for {operation_id}"
    module = importlib.import_module(f"{PACKAGE}.api.{found[0].parent.name}.{found[0].stem}")
    client = package.Client(base_url=base_url)
    kwargs = {}
    if body is not None:
        schema = document["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        model = getattr(importlib.import_module(f"{PACKAGE}.models"), schema["$ref"].rsplit("/", 1)[1])
        kwargs["body"] = model.from_dict(body)
    response = module.sync_detailed(client=client, **kwargs)
    assert response.parsed is not None, f"{operation_id}: the client could not read its answer {response.content!r}"
    return response.status_code, response.parsed.to_dict()


def test_the_python_client_calls_every_operation_of_the_document(server, document, python_client, acme):
    calls, passed = Calls("py"), []
    for operation_id, method, path, example in operations_of(document):
        body = calls.body(operation_id, example)
        status, answer = python_call(python_client, document, operation_id, method, path, body, server.url(""))
        assert 200 <= status < 300, (operation_id, status, answer)
        calls.learn(operation_id, body, answer)
        passed.append(operation_id)
    print(f"{len(passed)} operations passed: {', '.join(passed)}")
    assert len(passed) == len(operations_of(document))


@pytest.fixture(scope="module")
def typescript_client(document, tmp_path_factory):
    """The client @hey-api/openapi-ts generates from the document, compiled by tsc with the runner and a typed check
    (installed by make install from clients/typescript's lockfile)."""
    node = tool("node", "apt-get install nodejs")
    if not (TYPESCRIPT / "node_modules" / ".bin" / "openapi-ts").exists():
        if os.environ.get("CI"):
            pytest.fail("the TypeScript generator is not installed; make install installs it (npm ci)")
        pytest.skip("the TypeScript generator is not installed: run make install")
    folder = tmp_path_factory.mktemp("typescript")
    for name in ("runner.ts", "typed.ts", "tsconfig.json", "package.json"):
        shutil.copy(TYPESCRIPT / name, folder / name)
    (folder / "node_modules").symlink_to(TYPESCRIPT / "node_modules")
    (folder / "openapi.json").write_text(json.dumps(document))
    generated = subprocess.run([str(TYPESCRIPT / "node_modules" / ".bin" / "openapi-ts"), "-i", "openapi.json", "-o",
                                "generated", "-c", "@hey-api/client-fetch", "--no-log-file", "--silent"], cwd=folder,
                               capture_output=True, text=True, timeout=300)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    compiled = subprocess.run([str(TYPESCRIPT / "node_modules" / ".bin" / "tsc"), "-p", "."], cwd=folder,
                              capture_output=True, text=True, timeout=300)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    return node, folder / "build" / "runner.js"


def test_the_typescript_client_calls_every_operation_of_the_document(server, document, typescript_client, acme):
    node, runner = typescript_client
    calls, passed = Calls("ts"), []
    for operation_id, _, _, example in operations_of(document):
        body = calls.body(operation_id, example)
        result = subprocess.run([node, str(runner), server.url(""), operation_id], input=json.dumps(body),
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, (operation_id, result.stderr)
        answer = json.loads(result.stdout)
        assert 200 <= answer["status"] < 300, (operation_id, answer)
        calls.learn(operation_id, body, answer["data"])
        passed.append(operation_id)
    print(f"{len(passed)} operations passed: {', '.join(passed)}")
    assert len(passed) == len(operations_of(document))
