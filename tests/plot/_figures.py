"""Helpers of the tests of echem.plot: analytic spectra, clipped texts, file headers."""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

FREQ = np.logspace(6, -1, 50)


def rc_parallel(freq: np.ndarray, r0: float, r1: float, c1: float) -> np.ndarray:
    """Analytic R0 + R1 || C1, Ω."""
    return r0 + r1 / (1 + 1j * 2 * np.pi * freq * r1 * c1)


def two_arcs(freq: np.ndarray) -> np.ndarray:
    """Analytic R0 + (R1 || CPE1) + (R2 || CPE2), Ω: the shape of the seed cell's spectra."""
    omega = 2 * np.pi * freq
    return (
        25.0
        + 48.0 / (1 + 48.0 * 4e-8 * (1j * omega) ** 0.9)
        + 140.0 / (1 + 140.0 * 2e-5 * (1j * omega) ** 0.9)
    )


def png_size(path) -> tuple[int, int]:
    """Width and height (pixels) of a PNG file, from its header (IHDR)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def clipped_texts(figure) -> list[str]:
    """The sides of ``figure`` past which something drawn reaches (labels, tick labels,
    titles, legends, annotations): what a reader would see cut off. Empty when nothing is."""
    figure.canvas.draw()
    drawn = figure.get_tightbbox(figure.canvas.get_renderer())  # inches
    width, height = figure.get_size_inches()
    tolerance = 0.5 / 72  # half a point
    sides = {
        "left": drawn.x0 < -tolerance,
        "bottom": drawn.y0 < -tolerance,
        "right": drawn.x1 > width + tolerance,
        "top": drawn.y1 > height + tolerance,
    }
    return [side for side, past in sides.items() if past]
