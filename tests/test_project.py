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


def test_environment_yml_lists_the_runtime_dependencies_with_their_ranges_and_installs_linkkit() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(dep): dep[len(_name(dep)):].replace(" ", "") for dep in project["dependencies"]}
    conda_names = {"python-duckdb": "duckdb"}
    have: dict[str, str] = {}
    pip_lines: list[str] = []
    section = ""
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if not line.startswith(" "):
            section = line.split(":")[0]
            continue
        if section != "dependencies":
            continue
        if line.startswith("      - "):  # the pip: list
            pip_lines.append(line.strip()[2:])
            continue
        match = re.match(r"  - ([A-Za-z0-9_.-]+)(.*)$", line)
        if match and match.group(1) not in ("python", "pip"):
            have[conda_names.get(match.group(1), match.group(1)).lower()] = match.group(2).replace(" ", "")
    assert have == wanted
    assert pip_lines == ["-e ."]


def test_lockfiles_pin_every_runtime_dependency_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for lock in ("runtime.txt", "test.txt"):
        text = (ROOT / "requirements" / lock).read_text()
        pinned = {m.group(1).lower().replace("_", "-") for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", text, re.M)}
        missing = {_name(dep) for dep in project["dependencies"]} - pinned
        assert not missing, f"{lock} lacks {missing}: run `make lock`"
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
        assert all("--hash=sha256:" in block for block in blocks if "==" in block), f"{lock}: a pin has no hash"


def test_license_is_an_spdx_expression() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make dashboard" in readme and "make test" in readme


def test_ci_runs_make_test() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_readme_benchmark_tables_are_what_results_json_says() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "readme_tables.py"), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
