"""medpath's modules import each other without a circle, and never import Streamlit (issue 23, item 3).

The graph is built from the source (``ast``), not by importing: every ``import medpath...`` and
``from medpath... import ...`` counts, at module level and inside functions alike (an import hidden in a function to
dodge a circle is still an edge), and so does ``from medpath import module``. A circle is printed as the path of
modules that closes it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "medpath"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path, module: str) -> set[str]:
    """Every module named by an import statement anywhere in the file (relative imports resolved)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # "from medpath import stats"
    return found


def import_graph() -> dict[str, set[str]]:
    """medpath module -> the medpath modules it imports (a module importing ``medpath.a.b`` imports ``medpath.a``
    too, as Python runs the package first)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = set()
        for target in _imports(path, name):
            parts = target.split(".")
            for k in range(1, len(parts) + 1):
                prefix = ".".join(parts[:k])
                if prefix in modules and prefix != name:
                    edges.add(prefix)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of the graph as a path that starts and ends at the same module, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_the_graph_sees_imports_inside_functions_and_packages(tmp_path):
    source = tmp_path / "example.py"
    source.write_text(
        "from medpath import stats\nimport medpath.figures.svg\nfrom . import sibling\n\n\n"
        "def later():\n    from medpath.pipeline.cells.values import month_label\n",
        encoding="utf-8",
    )
    found = _imports(source, "medpath.figures.example")
    assert {"medpath.stats", "medpath.figures.svg", "medpath.figures.sibling", "medpath.pipeline.cells.values"} <= found
    graph = import_graph()
    assert "medpath.pipeline.map.profile" in graph["medpath.pipeline.layout.layouts"]  # at module level
    assert "medpath.analysis" in graph["medpath.cli"]  # inside a function
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circle_in_medpath():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_medpath_never_imports_streamlit():
    hits = [
        f"{name}: {target}"
        for name, path in _modules().items()
        for target in sorted(_imports(path, name))
        if target == "streamlit" or target.startswith("streamlit.")
    ]
    assert hits == []
