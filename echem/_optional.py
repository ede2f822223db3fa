"""Optional dependencies: import one, or say which extra installs it."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingDependencyError", "require"]


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingDependencyError` naming ``echem[extra]``.

    Parameters
    ----------
    module
        The module to import (``"tifffile"``).
    extra
        The echem extra that installs it (``"ct"``).
    purpose
        What needs it, for the message (``"reading TIFF stacks"``).
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingDependencyError(
            f"{purpose} needs {module}, which is not installed: pip install 'echem[{extra}]'"
        ) from error
