"""Lazy public names for a package whose functions live in submodules (PEP 562).

A package lists ``name -> submodule`` in a table; the submodule is imported the first
time the name is looked up, so that ``import echem`` stays cheap (no matplotlib, scipy
or lmfit until they are needed).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` for ``package``.

    Parameters
    ----------
    package
        The package's ``__name__``.
    exports
        Public name -> name of the submodule of ``package`` that defines it. A public
        name must not also be a submodule's name: importing that submodule would
        replace the attribute on the package.

    Returns
    -------
    (__getattr__, __dir__)
        Assign both at module level in the package's ``__init__``.
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__
