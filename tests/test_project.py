"""The project's promises about itself: public surface, environment.yml in step, README commands."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import linkkit

ROOT = Path(__file__).resolve().parents[1]


def test_all_is_sorted_and_importable() -> None:
    assert linkkit.__all__ == sorted(linkkit.__all__)
    for name in linkkit.__all__:
        assert getattr(linkkit, name) is not None


def test_readme_documents_the_public_surface() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("LinkService", "Settings", "Role", "LinkStatus", "LinkkitError"):
        assert name in readme, f"README does not mention linkkit.{name}"


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_runtime_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(dep) for dep in project["dependencies"]}
    conda_names = {"python-duckdb": "duckdb"}
    have = set()
    in_dependencies = False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if not line.startswith(" "):
            in_dependencies = line.startswith("dependencies:")
            continue
        match = re.match(r"\s+- ([A-Za-z0-9_.-]+)", line)
        if in_dependencies and match and match.group(1) not in ("python", "pip"):
            have.add(conda_names.get(match.group(1), match.group(1)).lower())
    assert have == wanted


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make dashboard" in readme and "make test" in readme


def test_ci_runs_make_test() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
