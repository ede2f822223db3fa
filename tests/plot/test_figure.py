"""echem/plot/_figure.py save(): any format matplotlib writes, by the suffix, at the dpi
asked (300 by default), well-formed, with the labels in the file, written atomically."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from plot._figures import FREQ, png_size, rc_parallel

from echem import DataError, plot
from echem.plot._figure import DEFAULT_DPI


@pytest.fixture
def axes():
    z = rc_parallel(FREQ, 10.0, 100.0, 1e-6)
    frame = pd.DataFrame({"freq_Hz": FREQ, "z_real_ohm": z.real, "z_imag_ohm": z.imag})
    return plot.nyquist(frame, area_cm2=0.5)


def test_png_at_300_dpi_by_default_and_at_the_dpi_asked(axes, tmp_path):
    figure = axes.figure
    width_in, height_in = figure.get_size_inches()
    path = plot.save(figure, tmp_path / "nyquist.png", close=False)
    assert DEFAULT_DPI == 300
    assert np.allclose(png_size(path), (width_in * 300, height_in * 300), atol=1)
    small = plot.save(figure, tmp_path / "small.png", dpi=100)
    assert np.allclose(png_size(small), (width_in * 100, height_in * 100), atol=1)


def test_svg_is_xml_and_carries_the_labels(axes, tmp_path):
    path = plot.save(axes, tmp_path / "nyquist.svg")  # the Axes a plot returned will do
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = path.read_text(encoding="utf-8")
    assert "$Z'$ / Ω·cm²" in text and "$-Z''$ / Ω·cm²" in text  # each string beside its outline
    assert float(root.get("width").removesuffix("pt")) == pytest.approx(
        axes.figure.get_figwidth() * 72
    )


def test_pdf_embeds_truetype_fonts_not_type3(axes, tmp_path):
    path = plot.save(axes.figure, tmp_path / "nyquist.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    fonts = set(re.findall(rb"/Subtype\s*/(Type3|TrueType|CIDFontType2|Type1)\b", data))
    assert fonts and b"Type3" not in fonts


def test_other_formats_by_suffix_and_unknown_ones_refused(axes, tmp_path):
    eps = plot.save(axes.figure, tmp_path / "nyquist.eps", close=False)
    assert eps.read_bytes().startswith(b"%!PS-Adobe")
    with pytest.raises(DataError, match=r"\.docx"):
        plot.save(axes.figure, tmp_path / "nyquist.docx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nyquist.eps"]  # nothing else left


def test_a_failed_write_leaves_no_file(axes, tmp_path, monkeypatch):
    figure = axes.figure

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(figure, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        plot.save(figure, tmp_path / "nyquist.png")
    assert not list(tmp_path.iterdir())
    assert np.isfinite(figure.get_figwidth())
