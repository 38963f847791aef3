"""The layers import downwards only: nothing below the web layer knows Flask, the domain knows no database, the
service layer knows its collaborators only by their ports, and the CLI works through the service layer as the
endpoints do."""
import ast
from pathlib import Path

import pytest

APP = Path(__file__).parent.parent.parent / "app"
WEB = ("flask", "werkzeug", "marshmallow", "app.web", "app.cli")
FORBIDDEN = {
    "domain": (*WEB, "pymongo", "argon2", "app.adapters", "app.service_layer", "app.bootstrap"),
    "service_layer": (*WEB, "pymongo", "argon2", "app.adapters", "app.bootstrap"),
    "adapters": (*WEB, "app.service_layer", "app.bootstrap"),
    "bootstrap.py": WEB,
    "logs.py": WEB,
    "cli": ("flask", "werkzeug", "marshmallow", "app.web", "app.adapters"),
}


def imported_modules(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def modules_of(layer):
    found = APP / layer
    return sorted(found.rglob("*.py")) if found.is_dir() else [found]


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_from_the_layers_above_it(layer):
    offending = [(path.name, module) for path in modules_of(layer) for module in imported_modules(path)
                 if any(module == banned or module.startswith(banned + ".") for banned in FORBIDDEN[layer])]
    assert offending == []


@pytest.mark.parametrize("path, module", [("web/endpoint.py", "flask"), ("cli/common.py", "app.bootstrap"),
                                          ("adapters/mongo.py", "pymongo")])
def test_the_rule_sees_an_import_where_there_is_one(path, module):
    assert any(found == module or found.startswith(module + ".") for found in imported_modules(APP / path))
