"""fit_report shows the fit's verdict: "NOT ok" and the undetermined values, under the fitted
values (in the report's values panel, where they cover no data)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from echem.eis import fit  # noqa: E402
from echem.eis.circuit import Circuit  # noqa: E402
from echem.plot import fit_report  # noqa: E402

FREQ = np.logspace(6, -1, 50)


def _texts(figure) -> list[str]:
    return [t.get_text() for ax in figure.axes for t in ax.texts]


def test_an_undetermined_fit_is_annotated_and_a_good_one_is_not():
    rng = np.random.default_rng(0)
    z = Circuit("R0-p(R1,CPE1)").impedance(FREQ, [10.0, 100.0, 1e-6, 0.9])
    z = z + 0.01 * np.abs(z) * (rng.normal(size=50) + 1j * rng.normal(size=50))
    good = fit_report(fit(FREQ, z, "R0-p(R1,CPE1)"))
    assert good.get_suptitle().endswith("ok") and not any("NOT ok" in t for t in _texts(good))
    too_much = fit(FREQ, z, "R0-R3-p(R1,CPE1)")
    figure = fit_report(too_much, figure=good)  # a reused figure shows the new verdict only
    assert "NOT ok" in figure.get_suptitle()
    (box,) = [t for t in _texts(figure) if t.startswith("NOT ok")]
    assert "R0 and R3 are degenerate" in " ".join(box.split())
    values_panel = next(ax for ax in figure.axes if ax.get_label() == "values")
    assert any(t.get_text().startswith("NOT ok") for t in values_panel.texts)
    assert not any(t.get_text().startswith("NOT ok") for t in figure.axes[0].texts)
    import matplotlib.pyplot as plt

    plt.close("all")
