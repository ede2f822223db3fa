"""The result of an equivalent-circuit fit: values, uncertainties, quality, and a JSON round trip."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .arc_table import arcs as arcs_table
from .circuit import Circuit
from .verdict import format_hz

__all__ = ["FitResult"]


def _json_float(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _from_json(x: float | None) -> float:
    return float("nan") if x is None else float(x)


#: The problem of a result read from a JSON that holds no verdict (written before echem
#: judged fits): nothing says that the circuit describes the data or that the data
#: determine its parameters, so the result is not ``ok``.
NO_VERDICT = (
    "no verdict: the result was saved without one (before echem judged fits); "
    "fit the spectrum again to know whether the data determine its parameters"
)


@dataclass(eq=False)
class FitResult:
    """An equivalent-circuit fit of one spectrum (see :func:`echem.eis.fit`).

    Attributes
    ----------
    circuit
        The fitted circuit.
    freq_Hz, z
        The data used (after ``f_range``): frequencies (Hz) and complex impedance (Ω).
    values, stderr
        Parameter name -> best value and one-standard-deviation uncertainty (natural units,
        from the covariance matrix redχ² (JᵀJ)⁻¹). NaN only for a reason that ``reasons``
        states: fixed, exactly on a bound (the others keep their uncertainty given the pinned
        ones), or degenerate (JᵀJ singular: only a combination of parameters enters the
        model). See :mod:`echem.eis.verdict`.
    correl
        Correlation matrix of the free parameters (DataFrame, parameter x parameter).
    chisqr, redchi, aic, bic
        Weighted χ², χ²/(2N − n_free), Akaike and Bayesian information criteria
        (lmfit's definitions, with 2N real residuals).
    nfev
        Model evaluations spent (all starts).
    success, message
        lmfit's meaning: the final Levenberg-Marquardt stage reported convergence, and its
        message. It says nothing about whether the circuit suits the data: see ``ok``.
    weighting
        ``"unit"``, ``"modulus"`` or ``"proportional"`` (:mod:`echem.eis.weighting`).
    fixed
        Names of the parameters held fixed.
    time_s
        Time of the first point of the spectrum when fitted from a frame with ``time_s``.
    determined
        Parameter name -> True when the data determine it (finite stderr at most 50 % of the
        value, not on a bound, not fully correlated with another; :mod:`echem.eis.verdict`).
    reasons
        Parameter name -> why it is not determined, in words ("" when it is).
    referred
        CPE Q -> (frequency, Hz; relative stderr there): Q is judged by the CPE's admittance
        at the measured frequency where the spectrum fixes it best, not at 1 rad/s (whose
        stderr, in ``stderr``, depends on the unit of frequency): :func:`echem.eis.verdict.referred`.
    problems
        Plain sentences: undetermined parameters, degenerate ones, arcs outside the measured
        band, residuals beyond the noise Lin-KK finds, an inductive band the circuit cannot
        describe, a spectrum that fails Lin-KK. Empty exactly when ``ok``.
    noise
        The spectrum's noise as Lin-KK estimates it: rms relative residual per real component
        (NaN when Lin-KK could not run, or left fewer than
        :data:`echem.eis.verdict.MIN_NOISE_DOF` degrees of freedom: the noise is then unknown).
    residual_level
        The same rms for the fit's residuals ((Z − Ẑ)/|Z|, per real component, for k free
        parameters).
    kk
        The Lin-KK result behind ``noise`` (None after :meth:`from_dict`).
    lmfit_result
        The :class:`lmfit.minimizer.MinimizerResult` of the final stage (None after
        :meth:`from_dict` or when it could not be transferred from a worker process).
    candidates, choice
        With ``fit(spectrum, "auto")``: every circuit tried (a DataFrame: cost, criterion,
        verdict, ``chosen`` and the ``reason``) and the choice in a sentence
        (:mod:`echem.eis.model_choice`); None and "" for a given circuit.
    """

    circuit: Circuit
    freq_Hz: np.ndarray
    z: np.ndarray
    values: dict[str, float]
    stderr: dict[str, float]
    correl: pd.DataFrame
    chisqr: float
    redchi: float
    aic: float
    bic: float
    nfev: int
    success: bool
    message: str
    weighting: str
    fixed: tuple[str, ...] = ()
    time_s: float | None = None
    determined: dict[str, bool] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    referred: dict[str, tuple[float, float]] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    noise: float = float("nan")
    residual_level: float = float("nan")
    kk: Any = field(default=None, repr=False)
    lmfit_result: Any = field(default=None, repr=False)
    candidates: pd.DataFrame | None = field(default=None, repr=False)
    choice: str = ""

    @property
    def ok(self) -> bool:
        """True when the circuit describes the data and the data determine every fitted
        parameter: ``problems`` is empty (:mod:`echem.eis.verdict`)."""
        return not self.problems

    @property
    def parameters(self) -> pd.DataFrame:
        """One row per parameter: ``value``, ``stderr``, ``rel_stderr``, ``unit``,
        ``determined`` and ``reason`` (index: the parameter names)."""
        units = {p.name: p.unit for p in self.circuit.parameters}
        rows = []
        for name, value in self.values.items():
            err = self.stderr.get(name, float("nan"))
            rows.append(
                {
                    "name": name,
                    "value": value,
                    "stderr": err,
                    "rel_stderr": abs(err / value) if value else float("nan"),
                    "unit": units.get(name, ""),
                    "determined": bool(self.determined.get(name, False)),
                    "reason": self.reasons.get(name, ""),
                }
            )
        return pd.DataFrame(rows).set_index("name")

    # model --------------------------------------------------------------------------------
    def predict(self, freq_Hz: np.ndarray | float) -> np.ndarray:
        """Model impedance (Ω, complex) at ``freq_Hz`` (Hz) with the fitted values."""
        f = np.atleast_1d(np.asarray(freq_Hz, dtype=float))
        return np.asarray(self.circuit.impedance(f, self.values), dtype=complex)

    @property
    def residuals(self) -> np.ndarray:
        """Relative residuals (Z − Ẑ)/|Z| at the fitted points (complex)."""
        return (self.z - self.predict(self.freq_Hz)) / np.abs(self.z)

    @property
    def arcs(self) -> pd.DataFrame:
        """Arcs with effective capacitance and physical role: :func:`echem.eis.arc_table.arcs`."""
        return arcs_table(self)

    @property
    def param_names(self) -> tuple[str, ...]:
        """Parameter names in circuit order."""
        return tuple(self.values)

    # text ---------------------------------------------------------------------------------
    def summary(self) -> str:
        """A human-readable report: circuit, quality, and each parameter ± stderr."""
        lines = [
            f"Circuit: {self.circuit}",
            f"Points: {len(self.freq_Hz)} ({self.freq_Hz.min():.4g}–{self.freq_Hz.max():.4g} Hz), "
            f"weighting: {self.weighting}",
            f"chi-square: {self.chisqr:.6g}   reduced: {self.redchi:.6g}   "
            f"AIC: {self.aic:.6g}   BIC: {self.bic:.6g}",
            f"success: {self.success} ({self.message}), {self.nfev} model evaluations",
            f"residuals: {100 * self.residual_level:.3g} % of |Z|, noise (Lin-KK): "
            f"{100 * self.noise:.3g} %",
        ]
        if self.time_s is not None:
            lines.append(f"time: {self.time_s:.6g} s")
        units = {p.name: p.unit for p in self.circuit.parameters}
        width = max(len(n) for n in self.values) if self.values else 4
        lines.append(
            f"{'name':<{width}}  {'value':>12}  {'stderr':>11}  {'rel.':>8}  {'unit':<10}  determined"
        )
        for name, value in self.values.items():
            err = self.stderr.get(name, float("nan"))
            if name in self.fixed:
                err_text, rel_text = "fixed", ""
            elif math.isfinite(err):
                err_text = f"{err:.4g}"
                rel_text = f"{100 * abs(err / value):.3g}%" if value else ""
            else:
                err_text, rel_text = "n/a", ""
            if name in self.fixed:
                verdict = ""
            elif self.determined.get(name, False):
                verdict = "yes"
                if name in self.referred:  # a CPE's Q: judged where the spectrum fixes it
                    f, relative = self.referred[name]
                    verdict += f" ({100 * relative:.3g} % at {format_hz(f)})"
            else:
                verdict = f"no: {self.reasons.get(name, '')}"
            lines.append(
                f"{name:<{width}}  {value:>12.6g}  {err_text:>11}  {rel_text:>8}  "
                f"{units.get(name, ''):<10}  {verdict}".rstrip()
            )
        if self.ok:
            lines.append("ok: the circuit describes the data and every parameter is determined")
        else:
            lines.append("NOT ok:")
            lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    # serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (non-finite numbers as None); inverse of :meth:`from_dict`."""
        return {
            "circuit": str(self.circuit),
            "freq_Hz": [float(f) for f in self.freq_Hz],
            "z_real_ohm": [float(v) for v in self.z.real],
            "z_imag_ohm": [float(v) for v in self.z.imag],
            "values": {k: float(v) for k, v in self.values.items()},
            "stderr": {k: _json_float(v) for k, v in self.stderr.items()},
            "correl": {
                "names": list(self.correl.columns),
                "matrix": [[_json_float(v) for v in row] for row in self.correl.to_numpy()],
            },
            "chisqr": _json_float(self.chisqr),
            "redchi": _json_float(self.redchi),
            "aic": _json_float(self.aic),
            "bic": _json_float(self.bic),
            "nfev": int(self.nfev),
            "success": bool(self.success),
            "message": str(self.message),
            "weighting": self.weighting,
            "fixed": list(self.fixed),
            "time_s": None if self.time_s is None else _json_float(self.time_s),
            "determined": {k: bool(v) for k, v in self.determined.items()},
            "reasons": dict(self.reasons),
            "referred": {
                k: [_json_float(f), _json_float(r)] for k, (f, r) in self.referred.items()
            },
            "problems": list(self.problems),
            "ok": self.ok,
            "noise": _json_float(self.noise),
            "residual_level": _json_float(self.residual_level),
            "candidates": None
            if self.candidates is None
            else json.loads(
                self.candidates.to_json(orient="split", index=False, double_precision=15)
            ),
            "choice": self.choice,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], elements: Any = None) -> FitResult:
        """Rebuild a result from :meth:`to_dict` output (``lmfit_result`` is None).

        ``elements``: the circuit's own elements (``Circuit(text, elements=...)``), which JSON
        cannot carry (their impedance is a function); without them such a circuit's text is
        an unknown element type.
        """
        names = list(d["correl"]["names"])
        matrix = np.array(
            [[_from_json(v) for v in row] for row in d["correl"]["matrix"]], dtype=float
        ).reshape(len(names), len(names))
        return cls(
            circuit=Circuit(d["circuit"], elements=elements),
            freq_Hz=np.asarray(d["freq_Hz"], dtype=float),
            z=np.asarray(d["z_real_ohm"], dtype=float)
            + 1j * np.asarray(d["z_imag_ohm"], dtype=float),
            values={k: float(v) for k, v in d["values"].items()},
            stderr={k: _from_json(v) for k, v in d["stderr"].items()},
            correl=pd.DataFrame(matrix, index=names, columns=names),
            chisqr=_from_json(d["chisqr"]),
            redchi=_from_json(d["redchi"]),
            aic=_from_json(d["aic"]),
            bic=_from_json(d["bic"]),
            nfev=int(d["nfev"]),
            success=bool(d["success"]),
            message=str(d["message"]),
            weighting=str(d["weighting"]),
            fixed=tuple(d.get("fixed", ())),
            time_s=None if d.get("time_s") is None else float(d["time_s"]),
            determined={k: bool(v) for k, v in d.get("determined", {}).items()},
            reasons=dict(d.get("reasons", {})),
            referred={
                k: (_from_json(f), _from_json(r)) for k, (f, r) in d.get("referred", {}).items()
            },
            problems=tuple(d["problems"]) if "problems" in d else (NO_VERDICT,),
            noise=_from_json(d.get("noise")),
            residual_level=_from_json(d.get("residual_level")),
            lmfit_result=None,
            candidates=None
            if d.get("candidates") is None
            else pd.DataFrame(d["candidates"]["data"], columns=d["candidates"]["columns"]),
            choice=str(d.get("choice", "")),
        )
