"""echem.eis imports only downward: no module imports one that (directly or not) imports it back,
at module level or inside a function (GUIDE §2: no import cycles, no shims)."""

from __future__ import annotations

import ast
from pathlib import Path

import echem.eis

PACKAGE = Path(echem.eis.__file__).parent


def _imports(path: Path) -> set[str]:
    """Modules of echem.eis that ``path`` imports anywhere (top level or in a function)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                base = node.module or ""
            elif (node.module or "").startswith("echem.eis."):
                base = node.module.removeprefix("echem.eis.")
            elif node.module == "echem.eis" or (node.level == 1 and not node.module):
                base = ""
            else:
                continue
            if base:
                found.add(base.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_no_import_cycles_in_eis():
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    graph = {m: _imports(PACKAGE / f"{m}.py") & modules for m in modules}
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, module, target]))
            if target not in state:
                visit(target, [*path, module])
        state[module] = 2

    for module in sorted(modules):
        if module not in state:
            visit(module, [])


def test_the_cycle_detector_sees_a_cycle(tmp_path):
    """The check above can fail: a two-module cycle written through function-level imports."""
    (tmp_path / "a.py").write_text("def f():\n    from .b import g\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("from .a import f\n", encoding="utf-8")
    assert _imports(tmp_path / "a.py") == {"b"} and _imports(tmp_path / "b.py") == {"a"}
