"""The server's modules import each other without cycles, at the top of the module.

A cycle is what pushes an import into a function (to run after both modules exist),
and an import inside a function hides a dependency from the reader: both are refused
here, reading the source (not importing it), so the report names file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "server" / "plaudit_server"
# Imports that may stay inside a function, and why.
ALLOWED_LOCAL: dict[tuple[str, str], str] = {
    # Alembic's env.py runs inside Alembic, not as part of the package.
    ("plaudit_server.migrations.env", "*"): "Alembic's entry point",
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "versions" in path.parts:
            continue  # migrations: each one stands alone
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _resolve(module: str, node: ast.ImportFrom) -> str:
    base = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        base = base.rpartition(".")[0]
    return f"{base}.{node.module}" if node.module else base


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The package's modules an import statement loads, by name."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name in MODULES]
    source = _resolve(module, node) if node.level else node.module or ""
    if source not in MODULES:
        return []
    # ``from pkg import name``: the submodule ``pkg.name`` if there is one, else pkg.
    return sorted(
        {f"{source}.{a.name}" if f"{source}.{a.name}" in MODULES else source for a in node.names}
    )


def _top_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.Try) or (
            isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test)
        ):
            found += [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return found


def _graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = {
            target
            for node in _top_level_imports(tree)
            for target in _targets(module, node)
            if target != module
        }
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _is_package_of(module: str, target: str) -> bool:
    """A package's ``__init__`` importing its own submodules is how packages work (the
    reverse, a submodule taking a name from its package's ``__init__``, is a cycle)."""
    return target.startswith(module + ".")


def test_no_import_cycles() -> None:
    graph = {
        module: {t for t in targets if not _is_package_of(module, t)}
        for module, targets in _graph().items()
    }
    assert _cycles(graph) == []


def test_no_imports_inside_functions() -> None:
    hidden = []
    for module, path in MODULES.items():
        if (module, "*") in ALLOWED_LOCAL:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                    hidden.append(f"{where}: {ast.unparse(node)}")
    assert hidden == []


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": {"a"}, "c": {"c"}}, [["a", "b"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(
    edges: dict[str, set[str]], expected: list[list[str]]
) -> None:
    assert _cycles(edges) == expected


def test_the_graph_sees_relative_and_package_imports() -> None:
    graph = _graph()
    assert "plaudit_server.cache.faststore" in graph["plaudit_server.cache.reads"]
    assert "plaudit_server.extensions" in graph["plaudit_server.cache.reads"]
    assert "plaudit_server.cache" in graph["plaudit_server.api.public"]
