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
