"""Figure plumbing shared by the plotting modules: lazy pyplot, new axes, atomic saving."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from echem._atomic import atomic_path

__all__ = ["pyplot", "new_axes", "new_figure", "clear_artists", "save"]


def _headless() -> bool:
    """True on a Linux/BSD machine without a display (and outside a Jupyter kernel)."""
    if sys.platform.startswith(("win", "darwin")):
        return False
    if "ipykernel" in sys.modules:
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def pyplot() -> Any:
    """``matplotlib.pyplot``, imported on first use; Agg when there is no display.

    The backend is only forced when the user has not chosen one (``MPLBACKEND``).
    """
    import matplotlib

    if _headless() and not os.environ.get("MPLBACKEND"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def new_figure(figsize: tuple[float, float], layout: str | None = "constrained") -> Any:
    """A new pyplot figure (constrained layout unless ``layout=None``)."""
    return pyplot().figure(figsize=figsize, layout=layout)


def new_axes(ax: Any, figsize: tuple[float, float] = (5.0, 4.0)) -> Any:
    """``ax`` itself, or fresh axes on a new figure when ``ax`` is None."""
    if ax is not None:
        return ax
    return new_figure(figsize).add_subplot()


def clear_artists(ax: Any) -> None:
    """Empty ``ax`` of what was drawn (lines, texts, patches, collections, legend) and reset
    its data limits, autoscaling and colour cycle, keeping its ticks, scales and labels.

    Drawing into the emptied axes gives what new axes would show, without the cost of
    building axes and ticks again (:meth:`~matplotlib.axes.Axes.clear` rebuilds the ticks).
    """
    for artist in (*ax.lines, *ax.texts, *ax.patches, *ax.collections, *ax.images):
        artist.remove()
    if ax.get_legend() is not None:
        ax.get_legend().remove()
    ax.relim()
    ax.set_autoscale_on(True)
    ax.set_prop_cycle(None)


def save(
    figure: Any,
    path: str | os.PathLike[str],
    *,
    dpi: int = 120,
    close: bool = True,
    **savefig_options: Any,
) -> Path:
    """Write ``figure`` to ``path`` completely or not at all, then close it.

    The format follows the extension of ``path`` (png, pdf, svg, ...); ``savefig_options``
    go to :meth:`matplotlib.figure.Figure.savefig` (e.g. ``pil_kwargs`` for PNG).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    file_format = path.suffix.lstrip(".").lower() or "png"
    try:
        with atomic_path(path) as temporary:
            figure.savefig(temporary, format=file_format, dpi=dpi, **savefig_options)
    finally:
        if close:
            pyplot().close(figure)
    return path
