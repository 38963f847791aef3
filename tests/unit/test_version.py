"""One version, pyproject.toml's, in every place that says it; a changelog that has an entry for it."""
import tomllib
from pathlib import Path

from app.version import VERSION

ROOT = Path(__file__).parent.parent.parent


def test_the_version_is_pyprojects_and_the_changelog_has_its_entry():
    with (ROOT / "pyproject.toml").open("rb") as project:
        assert tomllib.load(project)["project"]["version"] == VERSION
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{VERSION}] - " in changelog and "## [Unreleased]" in changelog


def test_the_license_is_the_one_pyproject_names():
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
