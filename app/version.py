"""The service's version, as pyproject.toml gives it: read from the checkout beside this package (make run, the tests),
else from the installed distribution's metadata."""
import tomllib
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "provisioning-service"
PYPROJECT = Path(__file__).parent.parent / "pyproject.toml"


def version() -> str:
    if PYPROJECT.is_file():
        with PYPROJECT.open("rb") as project:
            return tomllib.load(project)["project"]["version"]
    return metadata.version(DISTRIBUTION)


VERSION = version()
