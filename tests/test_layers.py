"""The integration's modules import each other in layers, without cycles.

Every import counts, those under TYPE_CHECKING too: a cycle there is still a
cycle a reader has to untangle.
"""

import ast
from pathlib import Path

import pytest

INTEGRATION = Path(__file__).parent.parent / "custom_components" / "sendblue"
# Modules Home Assistant loads as platforms; only the top (__init__) may use them.
PLATFORMS = {"event", "notify", "sensor", "device_trigger", "diagnostics", "repairs"}


def _module_name(path: Path) -> str:
    """Return a module's dotted name inside the integration (api.client, data...)."""
    parts = path.relative_to(INTEGRATION).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts) or "__init__"


def _imports(path: Path) -> set[str]:
    """Return the integration modules a module imports, at any place in it."""
    name = _module_name(path)
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    if name == "__init__":
        package = []
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
        target = [*base, *(node.module.split(".") if node.module else [])]
        if node.module:
            found.add(".".join(target) or "__init__")
        else:
            found.update(".".join([*target, alias.name]) for alias in node.names)
    return {module for module in found if module in MODULES} - {name}


MODULES = {_module_name(path) for path in INTEGRATION.rglob("*.py")}
GRAPH = {_module_name(path): _imports(path) for path in INTEGRATION.rglob("*.py")}


def _cycle() -> list[str] | None:
    """Return one import cycle, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for dependency in sorted(GRAPH[module]):
            if state.get(dependency) == 1:
                return [*stack[stack.index(dependency) :], dependency]
            if dependency not in state and (found := visit(dependency)):
                return found
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_graph_is_read() -> None:
    """The scan sees the imports it should (or the other tests prove nothing)."""
    assert "data" in GRAPH["coordinator"]
    assert "api" in GRAPH["data"]
    assert "api.models" in GRAPH["api.client"]
    assert {"coordinator", "notify"} <= GRAPH["__init__"]


def test_no_import_cycles() -> None:
    """No module imports, directly or not, a module that imports it."""
    assert _cycle() is None


def test_cycles_are_found() -> None:
    """The cycle search finds a cycle when there is one."""
    GRAPH["data"].add("coordinator")
    try:
        cycle = _cycle()
        assert cycle is not None
        assert cycle[0] == cycle[-1]
        assert set(cycle) == {"coordinator", "data"}
    finally:
        GRAPH["data"].discard("coordinator")


@pytest.mark.parametrize("module", sorted(MODULES - PLATFORMS - {"__init__"}))
def test_nothing_below_the_platforms_imports_one(module: str) -> None:
    """Platforms sit on top: the parts they use never import them back."""
    assert GRAPH[module] & PLATFORMS == set()


def test_client_library_imports_nothing_of_the_integration() -> None:
    """api/ could move to PyPI unchanged."""
    for module, imports in GRAPH.items():
        if module == "api" or module.startswith("api."):
            assert all(i == "api" or i.startswith("api.") for i in imports), module
