"""The sandbox's shape: a separate program (imports nothing else from linkkit), routes that hold callables,
one package per service with models (no HTTP) and thin responses."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import linkkit.sandbox
from linkkit.sandbox import urls

SANDBOX = Path(linkkit.sandbox.__file__).parent
SERVICES = ("login_kit", "shop_auth", "shop_api", "seller_center", "control")


def _imports(path: Path) -> list[str]:
    """Absolute module names a file imports (relative imports resolved against its package)."""
    package = ("linkkit.sandbox." + ".".join(path.relative_to(SANDBOX).parent.parts)).rstrip(".")
    out: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                out.append(".".join(base + ([node.module] if node.module else [])))
            else:
                out.append(node.module or "")
    return out


@pytest.mark.parametrize("path", sorted(SANDBOX.rglob("*.py")), ids=lambda p: str(p.relative_to(SANDBOX)))
def test_sandbox_imports_nothing_else_from_linkkit(path: Path) -> None:
    outside = [m for m in _imports(path) if m.split(".")[0] == "linkkit" and not m.startswith("linkkit.sandbox")]
    assert outside == []


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_models_responses_and_routes(service: str) -> None:
    folder = SANDBOX / service
    assert {"models.py", "responses.py", "urls.py"} <= {p.name for p in folder.iterdir()}
    http = [
        m for m in _imports(folder / "models.py") if m.startswith(("tornado", "requests", "http", "urllib.request"))
    ]
    assert http == [], "models hold state and rules, no HTTP"
    assert not any(m.endswith(".wire") for m in _imports(folder / "models.py"))


def test_routes_reference_callables_of_their_service() -> None:
    assert len(urls.ROUTES) == 32
    for route in urls.ROUTES:
        for method, handler in route.methods.items():
            assert callable(handler) and not isinstance(handler, str), (route.pattern, method)
            params = list(inspect.signature(handler).parameters)
            assert params == ["backend", "req"], (route.pattern, method)


def test_no_module_over_600_lines_except_the_world_table() -> None:
    sizes = {str(p.relative_to(SANDBOX)): len(p.read_text().splitlines()) for p in SANDBOX.rglob("*.py")}
    assert {name: n for name, n in sizes.items() if n > 600 and name != "world.py"} == {}
