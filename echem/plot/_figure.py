"""Figure plumbing shared by the plotting modules: lazy pyplot, styled new figures, saving."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from echem._atomic import atomic_path
from echem.plot._style import SAVE_RC, styled

__all__ = ["pyplot", "new_axes", "new_figure", "clear_artists", "save", "DEFAULT_DPI"]

#: Resolution of raster files (PNG, JPEG, TIFF) when none is given: print quality.
DEFAULT_DPI = 300


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
    """A new pyplot figure (constrained layout unless ``layout=None``) in echem's style
    (:mod:`echem.plot._style`); ``figsize`` in inches."""
    with styled():
        return pyplot().figure(figsize=figsize, layout=layout)


def new_axes(ax: Any, figsize: tuple[float, float]) -> Any:
    """``ax`` itself, or fresh axes on a new figure of ``figsize`` (inches) when ``ax`` is None."""
    if ax is not None:
        return ax
    figure = new_figure(figsize)
    with styled():
        return figure.add_subplot()


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
    dpi: float = DEFAULT_DPI,
    close: bool = True,
    **savefig_options: Any,
) -> Path:
    """Write ``figure`` to ``path`` completely or not at all, then close it.

    Parameters
    ----------
    figure
        A matplotlib Figure (or anything with ``.figure``, e.g. the Axes a plot returned).
    path
        The file; its extension picks the format: any matplotlib writes (``png``, ``svg``,
        ``pdf``, ``eps``, ``tif``, ...); none means PNG. PDF and PS embed TrueType fonts;
        SVG draws text as outlines (:data:`echem.plot._style.SAVE_RC`).
    dpi
        Resolution of raster formats, dots per inch (default 300, print quality); vector
        formats ignore it except for embedded images.
    close
        Close the figure after writing it.
    savefig_options
        Passed to :meth:`matplotlib.figure.Figure.savefig` (e.g. ``pil_kwargs`` for PNG).

    Returns
    -------
    pathlib.Path
        The written file.
    """
    import matplotlib

    figure = getattr(figure, "figure", figure)
    path = Path(path)
    file_format = path.suffix.lstrip(".").lower() or "png"
    supported = figure.canvas.get_supported_filetypes()
    if file_format not in supported:
        from echem.errors import DataError

        raise DataError(
            f"{path.name}: matplotlib cannot write .{file_format} files "
            f"(it writes {', '.join(sorted(supported))})"
        )
    try:
        with atomic_path(path) as temporary, matplotlib.rc_context(SAVE_RC):
            figure.savefig(temporary, format=file_format, dpi=dpi, **savefig_options)
    finally:
        if close:
            pyplot().close(figure)
    return path
