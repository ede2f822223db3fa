"""The package's public surface: lazy imports, and names that submodules cannot shadow."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys

import pytest

import echem


@pytest.mark.parametrize("package", ["echem.eis", "echem.plot"])
def test_public_names_survive_importing_every_submodule(package):
    """A submodule named like a public function would replace it on the package once imported
    (``echem.eis.fit`` was once the module ``fit.py``, not the function)."""
    pkg = importlib.import_module(package)
    for module in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{package}.{module.name}")
    for name in pkg.__all__:
        value = getattr(pkg, name)
        assert not inspect.ismodule(value), f"{package}.{name} is a module"
        assert name in dir(pkg)


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no_such_thing"):
        echem.eis.no_such_thing  # noqa: B018
    with pytest.raises(AttributeError, match="no_such_thing"):
        echem.plot.no_such_thing  # noqa: B018
    with pytest.raises(AttributeError, match="no_such_thing"):
        echem.no_such_thing  # noqa: B018


def test_import_echem_is_cheap():
    """``import echem`` and ``echem.read`` load neither matplotlib, lmfit nor scipy."""
    code = (
        "import sys, echem; echem.formats(); "
        "print(sorted(m for m in ('matplotlib', 'lmfit', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_errors_are_value_errors():
    for name in (
        "EchemError",
        "ParseError",
        "UnsupportedFormatError",
        "CircuitError",
        "DataError",
        "FitError",
    ):
        assert issubclass(getattr(echem, name), ValueError)


def _core_dependencies() -> set[str]:
    """Import names of the core dependencies in pyproject.toml (``[project] dependencies``)."""
    import re
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    names = {
        re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0] for spec in project["project"]["dependencies"]
    }
    return {name.lower().replace("-", "_") for name in names}


def test_module_level_imports_are_stdlib_core_dependencies_or_echem():
    """Optional dependencies (tifffile, impedance.py, pyarrow, dask, ...) are imported inside
    the functions that need them (``echem._optional.require``), so that echem installs and
    imports with its core dependencies only."""
    import ast
    from pathlib import Path

    allowed = set(sys.stdlib_module_names) | _core_dependencies() | {"echem"}
    root = Path(echem.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:  # module level only; try/except ImportError blocks included
            nodes = [node, *ast.walk(node)] if isinstance(node, ast.Try) else [node]
            for item in nodes:
                if isinstance(item, ast.Import):
                    modules = [alias.name for alias in item.names]
                elif isinstance(item, ast.ImportFrom) and item.level == 0 and item.module:
                    modules = [item.module]
                else:
                    continue
                found += [(path.name, m) for m in modules if m.split(".")[0] not in allowed]
    assert found == []


def test_core_dependencies_leave_out_the_reference_and_narrow_libraries():
    """impedance.py (with altair) is a test/benchmark reference and an interop extra;
    tifffile serves CT stacks only (extra ``ct``)."""
    core = _core_dependencies()
    assert "impedance" not in core
    assert "tifffile" not in core
    assert {"numpy", "pandas", "scipy", "lmfit", "galvani", "matplotlib"} <= core


def test_a_missing_optional_dependency_names_its_extra(monkeypatch, tmp_path):
    from echem._optional import MissingDependencyError
    from echem.ct import read_stack

    monkeypatch.setitem(sys.modules, "tifffile", None)  # import tifffile -> ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'echem\[ct\]'"):
        read_stack(tmp_path / "stack.tif")
