"""The automatic choice of circuit: ``fit(spectrum, "auto")`` (echem/eis/model_choice.py).

Spectra of known structure (the generator is the element formulas of impedance.py, through
``Circuit``); the choice must find their arcs, tail and inductance, and explain itself.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from echem.eis import Circuit, FitResult, fit, fit_many, fit_series
from echem.eis.model_choice import (
    CANDIDATE_COLUMNS,
    KEEP_MARGIN,
    Assessment,
    Candidate,
    choose,
    inductance_score,
    read_evidence,
    series_events,
)
from echem.errors import FitError

FREQ = np.logspace(6, -1, 57)  # 1 MHz - 0.1 Hz, 8 points per decade


def spectrum(circuit: str, values: dict, noise: float = 0.01, seed: int = 0) -> np.ndarray:
    z = Circuit(circuit).impedance(FREQ, values)
    rng = np.random.default_rng(seed)
    return z + noise * np.abs(z) * (rng.normal(size=z.size) + 1j * rng.normal(size=z.size))


def arc(i: int, r: float, f0: float, n: float) -> dict:
    """R and Q of an R||CPE arc with its apex at f0 (Hz)."""
    return {f"R{i}": r, f"CPE{i}_Q": (1 / (2 * np.pi * f0)) ** n / r, f"CPE{i}_n": n}


ONE = {"R0": 20.0} | arc(1, 200.0, 1e3, 0.9)
TWO = {"R0": 20.0} | arc(1, 100.0, 3e4, 0.9) | arc(2, 300.0, 30.0, 0.85)
THREE = (
    {"R0": 20.0} | arc(1, 100.0, 1e5, 0.9) | arc(2, 300.0, 300.0, 0.85) | arc(3, 200.0, 1.0, 0.9)
)
TWO_ARCS = "R0-p(R1,CPE1)-p(R2,CPE2)"

#: name -> (true circuit, values, the chosen candidate expected)
CASES = {
    "one arc": ("R0-p(R1,CPE1)", ONE, Candidate(1)),
    "two arcs": (TWO_ARCS, TWO, Candidate(2)),
    "three arcs": ("R0-p(R1,CPE1)-p(R2,CPE2)-p(R3,CPE3)", THREE, Candidate(3)),
    "Warburg tail": (TWO_ARCS + "-W1", TWO | {"W1": 150.0}, Candidate(2, "W")),
    "inductive": ("L0-" + TWO_ARCS, TWO | {"L0": 3e-6}, Candidate(2, "", True)),
    "blocking": (
        TWO_ARCS + "-CPE3",
        TWO | {"CPE3_Q": 1e-3, "CPE3_n": 0.9},
        Candidate(2, "CPE"),
    ),
}


@pytest.fixture(scope="module")
def chosen() -> dict[str, FitResult]:
    return {
        name: fit(FREQ, spectrum(circuit, values), "auto")
        for name, (circuit, values, _) in CASES.items()
    }


@pytest.mark.parametrize("name", list(CASES))
def test_the_right_circuit_is_chosen(chosen, name):
    _, values, expected = CASES[name]
    result = chosen[name]
    assert str(result.circuit) == str(Circuit(expected.circuit))
    assert result.ok
    for key in ("R0", "R1", "R2", "R3"):  # the resistances, within 5 % of the truth
        if key in values:
            assert result.values[key] == pytest.approx(values[key], rel=0.05), key


def test_the_candidates_table_explains_the_choice(chosen):
    result = chosen["Warburg tail"]
    table = result.candidates
    assert list(table.columns) == list(CANDIDATE_COLUMNS)
    assert table["chosen"].sum() == 1
    row = table[table["chosen"]].iloc[0]
    assert row["circuit"] == str(result.circuit) and row["reason"].startswith("chosen: ")
    assert (table["reason"].str.len() > 0).all()
    assert table["circuit"].is_unique
    # every circuit tried is a candidate: R0, arcs, an optional L0 and tail
    assert {Candidate(2), Candidate(1, "W"), Candidate(3, "W")} <= {
        Candidate(int(r.arcs), r.tail, bool(r.inductance)) for r in table.itertuples()
    }
    assert set(table["tail"]) == {"", "W", "Wo", "Ws", "CPE"}  # the open end: every tail
    # BIC for complex least squares (GUIDE section 9), from the table's own chi2 and k
    values = 2 * len(FREQ)
    bic = values * np.log(table["chisqr"] / values) + table["k"] * np.log(values)
    np.testing.assert_allclose(table["bic"], bic, rtol=1e-9)
    np.testing.assert_allclose(table["delta_bic"], table["bic"] - row["bic"], atol=1e-9)
    assert result.choice.startswith(f"{result.circuit} chosen from {len(table)} candidate")
    assert "may not close" in result.choice
    # describes_data is the verdict's own variance-ratio test (said in words in its problems)
    misfit = table["problems"].str.contains("the circuit does not describe the data")
    assert misfit.any() and (table["describes_data"] == ~misfit).all()
    assert (table["ok"] == (table["problems"] == "")).all()


def test_the_inductance_score_predicts_what_an_inductance_gains():
    """Rao's score statistic is the first-order drop of chi2/s2 that L would bring: compare
    with the drop the two fits actually show."""
    z = spectrum("L0-" + TWO_ARCS, TWO | {"L0": 3e-6})
    without, with_l = fit(FREQ, z, TWO_ARCS), fit(FREQ, z, "L0-" + TWO_ARCS)
    s2 = without.chisqr / (2 * len(FREQ) - 7)
    drop = (without.chisqr - with_l.chisqr) / s2
    assert drop > 20
    assert inductance_score(without) == pytest.approx(drop, rel=0.3)
    plain = fit(FREQ, spectrum(TWO_ARCS, TWO), TWO_ARCS)
    assert inductance_score(plain) < 4  # no inductance: a chi2(1) draw


def test_a_single_rc_never_gets_two_arcs():
    values = {"R0": 10.0, "R1": 100.0, "C1": 1e-6}
    for seed in range(2):
        result = fit(FREQ, spectrum("R0-p(R1,C1)", values, seed=seed), "auto")
        assert len(result.circuit.structure.arcs) == 1, seed
        assert result.values["R1"] == pytest.approx(100.0, rel=0.05)
        bigger = result.candidates[result.candidates["arcs"] > 1]
        assert len(bigger) and not bigger["chosen"].any()


def test_noise_does_not_change_the_choice(chosen):
    circuits = {
        str(fit(FREQ, spectrum(TWO_ARCS, TWO, seed=seed), "auto").circuit) for seed in (1, 2)
    }
    assert circuits == {str(chosen["two arcs"].circuit)}


def test_the_same_answer_run_after_run(chosen):
    again = fit(FREQ, spectrum(TWO_ARCS, TWO), "auto")
    first = chosen["two arcs"]
    assert str(again.circuit) == str(first.circuit)
    assert again.values == first.values
    pd.testing.assert_frame_equal(again.candidates, first.candidates)
    assert again.choice == first.choice


def test_the_drt_start_never_makes_a_candidate_worse(chosen):
    result = chosen["two arcs"]
    alone = fit(FREQ, spectrum(TWO_ARCS, TWO), TWO_ARCS)
    assert result.chisqr <= alone.chisqr * (1 + 1e-9)


def test_json_round_trip_keeps_the_candidates(chosen):
    import json

    result = chosen["inductive"]
    back = FitResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert back.choice == result.choice
    pd.testing.assert_frame_equal(back.candidates, result.candidates, check_dtype=False)
    plain = FitResult.from_dict(
        json.loads(json.dumps(fit(FREQ, spectrum(TWO_ARCS, TWO), TWO_ARCS).to_dict()))
    )
    assert plain.candidates is None and plain.choice == ""


def test_auto_refuses_parameter_names():
    for option in ({"initial": {"R0": 1.0}}, {"fixed": {"R0": 1.0}}, {"bounds": {"R0": (0, 1)}}):
        with pytest.raises(FitError, match="auto"):
            fit(FREQ, spectrum(TWO_ARCS, TWO), "auto", **option)


def test_auto_from_a_frame_keeps_time_and_f_range():
    z = spectrum("R0-p(R1,CPE1)", ONE)
    frame = pd.DataFrame(
        {
            "time_s": 5.0 + np.arange(FREQ.size),
            "freq_Hz": FREQ,
            "z_real_ohm": z.real,
            "z_imag_ohm": z.imag,
        }
    )
    result = fit(frame, "auto", f_range=(1.0, None))
    assert result.time_s == 5.0
    assert result.freq_Hz.min() >= 1.0 and len(result.freq_Hz) == int((FREQ >= 1.0).sum())


# ---------------------------------------------------------------------------------------
# the rule of choice, on hand-made assessments (no fitting)


def judged(arcs: int, k: int, bic: float, *, describes: bool, determined: bool) -> Assessment:
    ok = describes and determined
    result = SimpleNamespace(
        ok=ok,
        problems=() if ok else ("a problem",),
        residual_level=0.01 if describes else 0.05,
        noise=0.01,
        reasons={"R0": "" if determined else "stderr 80 % of its value"},
        fixed=(),
        circuit=Circuit("R0"),
        values={"R0": 1.0},
        freq_Hz=np.array([1.0, 10.0]),
    )
    return Assessment(Candidate(arcs), result, "", k, bic, describes, determined)


def test_an_undetermined_circuit_loses_to_a_smaller_one_that_describes_the_data():
    small = judged(1, 4, 0.0, describes=True, determined=True)
    big = judged(2, 7, -50.0, describes=True, determined=False)
    index, reasons, sentence = choose([big, small])
    assert index == 1
    assert "fewer parameters describes the data" in reasons[0]
    assert sentence.startswith("R0-p(R1,CPE1) chosen from 2")
    # ... and even when the smaller one is not fully ok but describes the data
    small_not_ok = judged(1, 4, 0.0, describes=True, determined=False)
    assert choose([big, small_not_ok])[0] == 1


def test_bic_decides_among_ok_circuits_and_ties_go_to_fewer_parameters():
    one = judged(1, 4, 0.0, describes=True, determined=True)
    two = judged(2, 7, -12.0, describes=True, determined=True)
    assert choose([one, two])[0] == 1
    tie = judged(2, 7, 0.0, describes=True, determined=True)
    assert choose([tie, one])[0] == 1


def test_without_a_describing_circuit_the_determined_one_wins():
    determined = judged(1, 4, 0.0, describes=False, determined=True)
    undetermined = judged(3, 10, -100.0, describes=False, determined=False)
    index, _, sentence = choose([undetermined, determined])
    assert index == 1 and "no circuit describes the data" in sentence


def test_the_previous_circuit_is_kept_within_the_margin():
    one = judged(1, 4, 0.0, describes=True, determined=True)
    two = judged(2, 7, -(KEEP_MARGIN - 1), describes=True, determined=True)
    assert choose([one, two])[0] == 1
    index, reasons, _ = choose([one, two], previous=one.candidate.circuit)
    assert index == 0 and "previous spectrum" in reasons[0]
    much_better = judged(2, 7, -(KEEP_MARGIN + 1), describes=True, determined=True)
    assert choose([one, much_better], previous=one.candidate.circuit)[0] == 1


def test_a_failed_fit_is_never_chosen():
    failed = Assessment(Candidate(3), None, "too few points", 0, math.inf, False, False)
    one = judged(1, 4, 0.0, describes=False, determined=False)
    index, reasons, _ = choose([failed, one])
    assert index == 1 and reasons[0] == "fit failed: too few points"
    with pytest.raises(FitError, match="no candidate circuit could be fitted"):
        choose([failed])


# ---------------------------------------------------------------------------------------
# many spectra, and a series


def frame_of(z: np.ndarray, time_s: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "time_s": time_s + np.arange(FREQ.size),
            "freq_Hz": FREQ,
            "z_real_ohm": z.real,
            "z_imag_ohm": z.imag,
        }
    )


def test_fit_series_keeps_its_circuit_and_reports_an_arc_appearing():
    one = "R0-p(R1,CPE1)"
    sweeps = [
        frame_of(spectrum(one, ONE, seed=1), 0.0),
        frame_of(spectrum(one, ONE, seed=2), 100.0),
        frame_of(
            spectrum(
                TWO_ARCS, {"R0": 20.0} | arc(1, 200.0, 1e3, 0.9) | arc(2, 150.0, 0.5, 0.9), seed=3
            ),
            200.0,
        ),
    ]
    table = fit_series(sweeps, "auto", kk=False)
    assert list(table["arcs"]) == [1, 1, 2]
    # "warm" is a claim that the previous values gave the fit: it must end lower than the
    # data-driven fit of the same circuit (it said "warm" whenever the circuit was kept)
    for row in table.itertuples():
        alone = fit(sweeps[row.Index], row.circuit).chisqr
        if row.start == "warm":
            assert row.result.chisqr < alone * (1 - 1e-9), row.Index
        chosen_row = row.result.candidates[row.result.candidates["chosen"]].iloc[0]
        assert (chosen_row["start"] == "previous spectrum") == (row.start == "warm")
    assert table["start"].iloc[0] == "auto" and table["start"].iloc[2] == "auto"
    assert table["circuit_event"].iloc[:2].tolist() == ["", ""]
    event = table["circuit_event"].iloc[2]
    assert event.startswith("an arc appeared (1 -> 2 arcs, new apex")
    apex = float(event.split("new apex ")[1].split(" Hz")[0])
    assert apex == pytest.approx(0.5, rel=0.2)  # the new arc, not the old one at 1 kHz
    assert list(table.columns).index("circuit_event") < list(table.columns).index("error")


def test_series_events_name_a_vanishing_arc_and_a_tail(chosen):
    events = series_events([chosen["three arcs"], None, chosen["Warburg tail"]])
    assert events[:2] == ["", ""]
    assert events[2].startswith("an arc vanished (3 -> 2 arcs, it had its apex at ")
    apex = float(events[2].split("apex at ")[1].split(" Hz")[0])
    assert apex == pytest.approx(1.0, rel=0.3)  # the 1 Hz arc of THREE, which TWO lacks
    assert "the low-frequency tail changed (none -> diffusion)" in events[2]


def test_fit_many_auto_one_row_per_spectrum():
    table = fit_many(
        [(FREQ, spectrum(TWO_ARCS, TWO)), (FREQ[:2], np.ones(2))], "auto", progress=False
    )
    assert table.loc[0, "error"] is None and table.loc[0, "result"].candidates is not None
    assert "R2" in table.columns
    assert table.loc[1, "result"] is None and "DataError" in table.loc[1, "error"]


# ---------------------------------------------------------------------------------------
# spectra without an arc (review of issue 13)


def _noisy(z: np.ndarray, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return z + 0.01 * np.abs(z) * (rng.normal(size=z.size) + 1j * rng.normal(size=z.size))


#: name -> (true circuit, values, chosen circuit, {parameter: true value})
NO_ARC = {
    "resistor": ("R0", {"R0": 50.0}, "R0", {"R0": 50.0}),
    "R and blocking CPE": (
        "R0-CPE1",
        {"R0": 20.0, "CPE1_Q": 1e-5, "CPE1_n": 0.9},
        "R0-CPE1",
        {"R0": 20.0, "CPE1_Q": 1e-5, "CPE1_n": 0.9},
    ),
    "R and Warburg": ("R0-W1", {"R0": 20.0, "W1": 100.0}, "R0-W1", {"R0": 20.0, "W1": 100.0}),
    "R and L": ("R0-L1", {"R0": 5.0, "L1": 1e-3}, "L0-R0", {"R0": 5.0, "L0": 1e-3}),
}


@pytest.mark.parametrize("name", list(NO_ARC))
def test_a_spectrum_without_an_arc_gets_no_arc(name):
    """A resistor, a blocking electrode, a bare Warburg, an inductive cable: the old choice
    always gave at least one arc, e.g. R1 = 5e8 ohm (undetermined) for the blocking CPE and
    R1 = 2.4e14 ohm with n = 0.5 for the Warburg; the issue promises never more arcs than
    the data hold."""
    truth, values, expected, recovered = NO_ARC[name]
    result = fit(FREQ, _noisy(Circuit(truth).impedance(FREQ, values)), "auto")
    assert str(result.circuit) == expected
    assert result.ok and not result.circuit.structure.arcs
    for key, value in recovered.items():
        assert result.values[key] == pytest.approx(value, rel=0.05), key
    assert result.candidates["arcs"].min() == 0
    evidence = result.choice.split(". ")[-1]  # what the DRT shows, in words: peaks, not arcs
    assert evidence.startswith("The DRT has ") and " arc" not in evidence
    # a hint, not a verdict: R + L closes at low frequency, its noise DRT put 13 % beyond
    assert "does not close" not in evidence


def test_a_pure_capacitor_is_a_blocking_cpe_with_its_series_resistance_undetermined():
    z = _noisy(Circuit("C0").impedance(FREQ, {"C0": 1e-6}))
    result = fit(FREQ, z, "auto")
    assert str(result.circuit) == "R0-CPE1"
    assert result.values["CPE1_Q"] == pytest.approx(1e-6, rel=0.05)
    assert result.values["CPE1_n"] == pytest.approx(1.0, abs=0.02)
    assert not result.determined["R0"]  # a capacitor has no series resistance to measure


def test_noise_ripples_of_the_drt_are_not_counted_as_arcs():
    """A flat 50 ohm spectrum with 1 % noise: the DRT's ripples (about 0.3 ohm) counted as
    one or two arcs; an arc of 2 ohm (four noise levels) still counts."""
    flat = [read_evidence(FREQ, _noisy(np.full(FREQ.size, 50.0 + 0j), seed)) for seed in range(4)]
    assert [e.arcs for e in flat] == [0, 0, 0, 0]
    small = Circuit("R0-p(R1,CPE1)").impedance(FREQ, {"R0": 50.0} | arc(1, 2.0, 1e3, 0.9))
    assert read_evidence(FREQ, _noisy(small)).arcs == 1


def test_three_points_choose_among_the_circuits_they_can_hold():
    """Too few points for one arc (4 parameters): the old choice raised 'no candidate circuit
    could be fitted'; the circuits without an arc fit, and the verdict says what is wrong."""
    freq = np.logspace(5, -1, 3)
    z = Circuit("R0-p(R1,CPE1)").impedance(freq, {"R0": 20.0} | arc(1, 200.0, 100.0, 0.9))
    result = fit(freq, z, "auto")
    assert not result.circuit.structure.arcs and not result.ok
    failed = result.candidates[result.candidates["rank"] == 5]
    assert len(failed) and failed["problems"].str.contains("3 points for").all()


def test_the_reason_never_claims_the_lowest_bic_for_a_circuit_that_has_not():
    """Among circuits that do not describe the data, the parsimony rule may choose one whose
    BIC is up to PARSIMONY above the lowest: the sentence said "it has the lowest BIC"."""
    small = judged(1, 4, 0.0, describes=False, determined=True)
    big = judged(2, 7, -1.5, describes=False, determined=True)
    index, reasons, sentence = choose([big, small])
    assert index == 1
    assert "lowest BIC" not in reasons[1].split("within")[0]
    assert "every parameter of it is determined" in sentence
    assert "fewest parameters" in sentence and "1.5 lower" in sentence


def test_series_events_count_every_arc_that_appears_or_vanishes(chosen):
    """Three arcs to one: the event said "an arc vanished" and named one apex."""
    one = fit(FREQ, spectrum("R0-p(R1,CPE1)", {"R0": 20.0} | arc(1, 100.0, 1e5, 0.9)), "auto")
    vanished, appeared = series_events([chosen["three arcs"], one, chosen["three arcs"]])[1:]
    assert vanished.startswith("2 arcs vanished (3 -> 1 arcs, they had their apexes at ")
    listed = vanished.split("apexes at ")[1].split(")")[0]
    apexes = [float(f.removesuffix(" Hz")) for f in listed.split(", ")]
    assert apexes == pytest.approx([300.0, 1.0], rel=0.3)  # THREE's arcs that ONE lacks
    assert appeared.startswith("2 arcs appeared (1 -> 3 arcs, new apexes ")


def test_the_kept_previous_circuit_is_not_said_to_be_lower_than_itself():
    """The previous circuit with the lowest BIC, a smaller one within PARSIMONY: it is kept,
    and the reason named the kept circuit itself as the lower one ("..., 0 lower")."""
    one = judged(1, 4, 0.0, describes=True, determined=True)
    two = judged(2, 7, -1.0, describes=True, determined=True)
    assert choose([one, two])[0] == 0  # parsimony
    index, reasons, _ = choose([one, two], previous=two.candidate.circuit)
    assert index == 1 and "previous spectrum's circuit" in reasons[1]
    assert "0 lower" not in reasons[1] and "lowest BIC" in reasons[1]


def test_auto_is_asked_for_in_one_spelling_everywhere():
    """fit() took "AUTO" or " auto " for the choice while fit_series took only "auto": a
    series given "Auto" was fitted sweep by sweep with no stable choice, no circuit_event
    column and no word of it."""
    z = spectrum("R0-p(R1,CPE1)", ONE)
    for spelling in ("AUTO", " auto ", "Auto"):
        with pytest.raises(FitError, match='"auto" exactly'):
            fit(FREQ, z, spelling)
    table = fit_series([frame_of(z, 0.0)], "Auto", kk=False)
    assert table["result"].isna().all() and table["error"].str.contains('"auto" exactly').all()


@pytest.mark.parametrize("n", [0.9, 0.7])
def test_a_blocking_electrode_is_found_before_the_candidates_run_out(n):
    """R0-CPE1 (seed 4): the arc fitted below the band calls for a series CPE, but the tails
    were tried in a fixed order (W, Wo, Ws, CPE) and the 16 fits ran out before R0-CPE1; the
    choice was R0-p(R1,CPE1) with R1 undetermined."""
    values = {"R0": 20.0, "CPE1_Q": 1e-5, "CPE1_n": n}
    result = fit(FREQ, _noisy(Circuit("R0-CPE1").impedance(FREQ, values), seed=4), "auto")
    assert str(result.circuit) == "R0-CPE1" and result.ok
    assert result.values["CPE1_n"] == pytest.approx(n, abs=0.02)
