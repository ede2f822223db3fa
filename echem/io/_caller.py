"""Warnings from inside a reader, attributed to the code that called ``echem.read``.

A reader warns from several call depths (a helper of a helper); a fixed ``stacklevel``
points into echem for some of them. :func:`warn` walks out of the ``echem.io`` frames
(and ``echem.read``, the top-level shortcut) instead, so that the warning names the
caller's line, whatever the depth.
"""

from __future__ import annotations

import sys
import warnings

__all__ = ["warn"]

#: Frames of these modules are skipped: ``echem`` (``echem.read``) and ``echem.io``.
_SKIPPED = frozenset({"echem", "echem.io"})


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn(message, category)`` at the first frame outside the readers."""
    level = 2  # stacklevel 2: the frame that called warn()
    frame = sys._getframe(1)
    while frame is not None and _inside(str(frame.f_globals.get("__name__", ""))):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


def _inside(module: str) -> bool:
    return module in _SKIPPED or module.startswith("echem.io.")
