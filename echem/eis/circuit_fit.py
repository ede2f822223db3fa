"""Fit an equivalent circuit to an impedance spectrum, without a hand-made initial guess.

Strategy (see :mod:`echem.eis.guess` and :mod:`echem.eis.optimise`):

1. initial values from the data: high-frequency intercept, arcs (apex frequency, size, width)
   from the distribution of relaxation times, low-frequency tail; matched to the circuit's
   elements in order, with alternative assignments (other peaks, split/merged arcs, other
   CPE exponents, permutations of unlike blocks);
2. a multi-start stage: these starts plus random perturbations in ln p are scored in one
   vectorised evaluation, the best few refined by short batched Levenberg-Marquardt runs in
   the search coordinates (ln p for positive quantities, p for exponents), the best
   *distinct* results run to convergence;
3. arc moves from that optimum (:func:`echem.eis.guess.arc_moves`): each arc block in turn
   relocated across the spectrum, or an arc split in two, as they are and with the
   resistances re-balanced by NNLS; the best of each family refined, kept if better (a
   local optimum that wastes a block on a sliver of the tail while a small arc is missed);
4. a final lmfit polish (Levenberg-Marquardt) from that optimum in natural units, which gives
   the :class:`lmfit.minimizer.MinimizerResult`, standard errors and correlations.

For circuits of resistors and ``p(R,C)``/``p(R,CPE)`` blocks in series the Jacobian is
analytic (:mod:`echem.eis.rc_model`), otherwise forward differences in one batched call.

Weightings are documented in :mod:`echem.eis.weighting`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import lmfit
import numpy as np
import pandas as pd

from ..errors import DataError, FitError
from .circuit import Circuit
from .guess import (
    arc_moves,
    candidate_starts,
    like_block_permutations,
    order_arcs,
    refit_amplitudes,
)
from .interop import is_impedance_py, merged_inputs
from .optimise import FULL, Problem, batch_lm, multistart
from .rc_model import rc_series_model
from .result import FitResult
from .sweeps import checked_spectrum, first_time_s
from .verdict import (
    Covariance,
    couple_exponents,
    covariance,
    judge,
    noise,
    parameter_verdicts,
    physical_limits,
    referred,
)
from .weighting import weights

__all__ = ["check_options", "fit_circuit", "prepare_data", "spectrum_of_frame"]

#: Options of :func:`fit` beyond the named keywords, with their defaults.
OPTIONS: dict[str, Any] = {
    "seed": 0,  # seed of the random perturbations (results are reproducible)
    "n_random": 24,  # random perturbations around the best data-driven starts
    "n_short": 16,  # starts given a short local refinement
    "n_full": 4,  # distinct short refinements run to convergence
    "n_moves": 1,  # arc moves of the optimum (relocate/split an arc) refined per family; 0: none
    "n_hops": 0,  # rounds of perturbing the optimum and refining again (3: more robust, ~1.6x slower)
    "multistart": True,  # False: refine only the first start (the given or guessed values)
}

_FRAME_COLUMNS = ("freq_Hz", "z_real_ohm", "z_imag_ohm")


# ---------------------------------------------------------------------------------------
# data


def spectrum_of_frame(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Frequencies (Hz), complex impedance (Ω) and the spectrum's time (s, or None) of a
    canonical frame (``freq_Hz``, ``z_real_ohm``, ``z_imag_ohm``; ``time_s`` if present).

    Raises
    ------
    echem.DataError
        A canonical column is missing.
    """
    missing = [c for c in _FRAME_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            f"the frame has no column(s) {', '.join(missing)}; expected the canonical "
            f"{', '.join(_FRAME_COLUMNS)} (see echem.read)"
        )
    freq = pd.to_numeric(df["freq_Hz"], errors="coerce").to_numpy(dtype=float)
    z = pd.to_numeric(df["z_real_ohm"], errors="coerce").to_numpy(dtype=float) + 1j * pd.to_numeric(
        df["z_imag_ohm"], errors="coerce"
    ).to_numpy(dtype=float)
    return freq, z, first_time_s(df)


def prepare_data(
    freq_Hz: Any, z: Any, f_range: tuple[float | None, float | None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Validated 1-D float frequencies (Hz) and complex impedance (Ω) within ``f_range``.

    Raises
    ------
    echem.DataError
        Mismatched lengths, NaN/inf, non-positive or duplicate frequencies, or no point left
        in ``f_range``.
    """
    f, zz = checked_spectrum(freq_Hz, z)
    if f_range is not None:
        lo, hi = f_range
        keep = np.ones(len(f), bool)
        if lo is not None:
            keep &= f >= lo
        if hi is not None:
            keep &= f <= hi
        if not keep.any():
            raise DataError(
                f"no point within f_range={f_range!r} (data span {f.min():.4g}–{f.max():.4g} Hz)"
            )
        f, zz = f[keep], zz[keep]
    return f, zz


# ---------------------------------------------------------------------------------------
# parameters


def _names_mapping(
    circuit: Circuit, mapping: Mapping[str, Any] | None, what: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in (mapping or {}).items():
        canon = circuit.canonical_name(name)
        if canon in out:
            raise FitError(f"{what}: {name!r} given twice (as {canon})")
        out[canon] = value
    return out


def _batch_model(
    circuit: Circuit, omega: np.ndarray, n_params: int
) -> Callable[[np.ndarray], np.ndarray]:
    """``model(P)``: (K, n_params) parameter sets -> (K, F) impedance, vectorised if possible."""
    compiled = circuit.compile()

    def looped(p: np.ndarray) -> np.ndarray:
        return np.array([compiled(row, omega) for row in p], dtype=complex).reshape(
            len(p), len(omega)
        )

    def broadcast(p: np.ndarray) -> np.ndarray:
        out = compiled(p.T[..., None], omega)
        return np.broadcast_to(out, (len(p), len(omega)))

    probe = np.array([[p.default for p in circuit.parameters]] * 2, dtype=float)
    probe[1] *= 1.1
    probe[1] = np.clip(
        probe[1], [p.lower for p in circuit.parameters], [p.upper for p in circuit.parameters]
    )
    try:
        with np.errstate(all="ignore"):
            ok = np.allclose(broadcast(probe), looped(probe), rtol=1e-12, equal_nan=True)
    except Exception:  # noqa: BLE001 - any failure means: not broadcastable
        ok = False
    return broadcast if ok else looped


def check_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The fit options (:data:`OPTIONS`) with ``options`` over the defaults.

    Raises
    ------
    echem.FitError
        An option that is not one of :data:`OPTIONS`.
    """
    unknown = set(options) - set(OPTIONS)
    if unknown:
        raise FitError(
            f"unknown fit option(s) {', '.join(sorted(unknown))}; known: {', '.join(OPTIONS)}"
        )
    return {**OPTIONS, **options}


def fit_circuit(
    freq_raw: Any,
    z_raw: Any,
    circuit: str | Circuit,
    *,
    initial: Mapping[str, float] | None = None,
    fixed: Mapping[str, float] | Iterable[str] | None = None,
    bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
    weighting: str = "modulus",
    f_range: tuple[float | None, float | None] | None = None,
    time_s: float | None = None,
    **options: Any,
) -> FitResult:
    """Fit the given ``circuit`` to a spectrum (the work of :func:`echem.eis.fit` once the
    circuit is known): arguments as there, ``freq_raw`` (Hz) and ``z_raw`` (Ω) as given
    (validated here), ``time_s`` the spectrum's time (s) kept on the result."""
    opts = check_options(options)
    if is_impedance_py(circuit):  # an impedance.py model: its circuit, values and constants
        circuit, initial, fixed = merged_inputs(circuit, initial, fixed)
    circuit = circuit if isinstance(circuit, Circuit) else Circuit(str(circuit))
    freq, zz = prepare_data(freq_raw, z_raw, f_range)
    sigma_re, sigma_im = weights(zz, weighting)

    names = circuit.param_names
    specs = circuit.parameters
    n_all = len(names)
    init = _names_mapping(circuit, initial, "initial")
    if fixed is None:
        fixed_map: dict[str, float] = {}
    elif isinstance(fixed, Mapping):
        fixed_map = {k: float(v) for k, v in _names_mapping(circuit, fixed, "fixed").items()}
    else:
        fixed_map = {}
        for name in fixed:
            canon = circuit.canonical_name(name)
            if canon not in init:
                raise FitError(
                    f"fixed parameter {name!r} has no value: give it in initial= or pass fixed as a mapping"
                )
            fixed_map[canon] = float(init[canon])
    lower = np.array([p.lower for p in specs], dtype=float)
    upper = np.array([p.upper for p in specs], dtype=float)
    for name, (lo, hi) in _names_mapping(circuit, bounds, "bounds").items():
        i = names.index(name)
        lower[i] = lower[i] if lo is None else float(lo)
        upper[i] = upper[i] if hi is None else float(hi)
        if not lower[i] < upper[i]:
            raise FitError(f"bounds of {name}: lower {lower[i]!r} must be below upper {upper[i]!r}")
    for name, value in {**init, **fixed_map}.items():
        i = names.index(name)
        if not np.isfinite(float(value)):
            raise FitError(f"{name}: value {value!r} is not finite")
        if name not in fixed_map and not lower[i] <= float(value) <= upper[i]:
            raise FitError(
                f"initial {name}={value!r} outside its bounds [{lower[i]!r}, {upper[i]!r}]"
            )

    free = np.array([i for i, n in enumerate(names) if n not in fixed_map], dtype=int)
    if len(free) == 0:
        raise FitError("every parameter is fixed: nothing to fit")
    if len(freq) < len(free):
        raise DataError(
            f"{len(freq)} points for {len(free)} free parameters of {circuit}: "
            "need at least as many points as free parameters"
        )

    omega = 2 * np.pi * freq
    model = _batch_model(circuit, omega, n_all)
    starts = candidate_starts(freq, zz, circuit)
    if fixed_map or bounds:  # constraints may tell like blocks apart: try every order of them
        starts = like_block_permutations(circuit, starts)
    for name, value in {**fixed_map}.items():
        starts[:, names.index(name)] = value
    user = None
    if init:  # the caller's start: data-driven values where it gives none
        user = starts[0].copy()
        for name, value in init.items():
            user[names.index(name)] = float(value)
    log = np.array([specs[i].log for i in free], dtype=bool)
    model_jac = rc_series_model(circuit, omega)

    def problem_from(base: np.ndarray) -> Problem:
        """The CNLS problem, its search box (for log parameters) centred on ``base``."""
        return Problem(
            model=model,
            z=zz,
            sigma_re=sigma_re,
            sigma_im=sigma_im,
            base=base.copy(),
            free=free,
            log=log,
            lower=lower[free],
            upper=upper[free],
            model_jac=model_jac,
        )

    warm = user is not None and not opts["multistart"]
    problem = problem_from(user if warm else starts[0])
    x_starts = problem.to_internal(starts[:, free])

    def moves(x: np.ndarray) -> list[np.ndarray]:
        """Arc moves from the optimum ``x``, as they are and with amplitudes re-balanced."""
        families = arc_moves(circuit, freq, zz, problem.to_natural(x))
        if not fixed_map:  # re-balancing would change fixed resistances
            families += [
                refit_amplitudes(circuit, omega, zz, sigma_re, sigma_im, model, f) for f in families
            ]
        out = []
        for family in families:
            family = family.copy()
            for name, value in fixed_map.items():
                family[:, names.index(name)] = value
            out.append(problem.to_internal(family[:, free]))
        return out

    if opts["multistart"]:
        # the data-driven search runs exactly as without initial=; the caller's start is
        # refined on its own beside it and wins only with a lower chi-square, so initial=
        # never makes a fit worse (it used to join the starts and crowd the data-driven ones
        # out of the refinement slots, and centre the search box on itself)
        x_best, c_best = multistart(
            problem,
            x_starts,
            n_random=int(opts["n_random"]),
            n_short=int(opts["n_short"]),
            n_full=int(opts["n_full"]),
            n_hops=int(opts["n_hops"]),
            moves=moves,
            n_moves=int(opts["n_moves"]),
            seed=opts["seed"],
        )
        p_found = problem.to_natural(x_best)
        if user is not None:
            own = problem_from(user)
            x_own, c_own = batch_lm(own, own.to_internal(user[free])[None, :], **FULL)
            problem.nfev += own.nfev
            if c_own[0] < c_best:
                p_found = own.to_natural(x_own[0])
    else:  # a local refinement of the first start: the caller's, else the data's
        x0 = problem.to_internal((user if warm else starts[0])[free])
        p_found = problem.to_natural(problem.refine(x0)[0])
    fixed_idx = [names.index(name) for name in fixed_map]
    p_best = order_arcs(circuit, p_found, lower=lower, upper=upper, fixed=fixed_idx)
    lm = _polish(problem, names, p_best, lower, upper, free)
    return _result(
        circuit,
        freq,
        zz,
        names,
        free,
        lm,
        problem,
        weighting,
        tuple(fixed_map),
        time_s,
        lower,
        upper,
    )


def _polish(
    problem: Problem,
    names: Sequence[str],
    p_best: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    free: np.ndarray,
) -> lmfit.minimizer.MinimizerResult:
    """Levenberg-Marquardt from the optimum: lmfit result with covariance, in natural units.

    lmfit maps a bounded parameter to an internal one (``sqrt((p - min + 1)**2 - 1)`` for a
    lower bound only), which keeps ``p - min`` only to about 2e-16 in *absolute* terms: a
    capacitance of 1e-13 F loses digits, and one below 1e-16 F becomes 0. The free parameters
    are therefore fitted as ``u = p / s`` with ``s`` their starting magnitude (u ≈ 1), and
    the result is converted back (values, bounds, stderr, covariance).
    """
    names = list(names)
    free_idx = np.asarray(free)  # ascending: lmfit's order of the varied parameters
    scale = np.ones(len(names))
    start = np.clip(p_best, lower, upper)
    nonzero = np.isfinite(start) & (start != 0)
    scale[free_idx] = np.where(nonzero[free_idx], np.abs(start[free_idx]), 1.0)
    is_free = np.zeros(len(names), dtype=bool)
    is_free[free_idx] = True
    params = lmfit.Parameters()
    for i, name in enumerate(names):
        if is_free[i]:
            params.add(
                name, value=start[i] / scale[i], min=lower[i] / scale[i], max=upper[i] / scale[i]
            )
        else:  # no bounds: lmfit would clip a fixed value given outside them
            params.add(name, value=float(p_best[i]), vary=False)
    z, s_re, s_im, model = problem.z, problem.sigma_re, problem.sigma_im, problem.model

    def natural(pars: lmfit.Parameters) -> np.ndarray:
        return np.array([pars[n].value for n in names], dtype=float) * scale

    def residual(pars: lmfit.Parameters) -> np.ndarray:
        p = natural(pars)
        problem.nfev += 1
        d = model(p[None, :])[0] - z
        return np.concatenate([d.real / s_re, d.imag / s_im])

    def jacobian(pars: lmfit.Parameters) -> np.ndarray:
        """Analytic if available, else forward differences (one batched call); d/du = s d/dp."""
        return _natural_jacobian(problem, natural(pars), free_idx, upper) * scale[free_idx]

    minimizer = lmfit.Minimizer(residual, params, nan_policy="propagate")
    lm = minimizer.minimize(method="leastsq", ftol=1e-10, xtol=1e-10, Dfun=jacobian, col_deriv=0)
    # the Jacobian handed to leastsq is a closure: kept in call_kws, it made the result (and a
    # FitResult, and a fit_series table) impossible to pickle
    lm.call_kws.pop("Dfun", None)
    _unscale(lm, names, free_idx, scale, lower, upper)
    return lm


def _unscale(
    lm: lmfit.minimizer.MinimizerResult,
    names: list[str],
    free_idx: np.ndarray,
    scale: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> None:
    """Convert the scaled free parameters of ``lm`` (u = p/s) back to natural units, in place."""
    for i in free_idx:
        par = lm.params[names[i]]
        value, err = par.value * scale[i], par.stderr
        par.set(min=-np.inf, max=np.inf)
        par.set(value=value, min=lower[i], max=upper[i])
        if err is not None:
            par.stderr = err * scale[i]
    free_scale = scale[free_idx]  # lm.var_names are the free names, in this order
    if lm.covar is not None:
        lm.covar = np.asarray(lm.covar) * np.outer(free_scale, free_scale)
    lm.init_vals = list(np.asarray(lm.init_vals, dtype=float) * free_scale)
    lm.init_values = {
        name: value * s for (name, value), s in zip(lm.init_values.items(), free_scale, strict=True)
    }
    # lmfit's bound-transformed internal coordinates of the natural values and bounds
    lm.last_internal_values = np.array([lm.params[n].setup_bounds() for n in lm.var_names])
    _set_uncertainties(lm)


def _set_uncertainties(lm: lmfit.minimizer.MinimizerResult) -> None:
    """``lm.uvars`` (correlated ufloats, lmfit's convention) from the values and ``lm.covar``."""
    names = list(lm.var_names)
    values = [float(lm.params[n].value) for n in names]
    if lm.covar is None or not names:
        lm.uvars = None
        return
    from uncertainties import correlated_values

    try:
        lm.uvars = dict(zip(names, correlated_values(values, np.asarray(lm.covar)), strict=True))
    except (ValueError, np.linalg.LinAlgError):  # not a covariance matrix (not positive)
        lm.uvars = None


def _result(
    circuit: Circuit,
    freq: np.ndarray,
    z: np.ndarray,
    names: Sequence[str],
    free: np.ndarray,
    lm: lmfit.minimizer.MinimizerResult,
    problem: Problem,
    weighting: str,
    fixed: tuple[str, ...],
    time_s: float | None,
    lower: np.ndarray,
    upper: np.ndarray,
) -> FitResult:
    values = {n: float(lm.params[n].value) for n in names}
    p = np.array([values[n] for n in names], dtype=float)
    cov = covariance(
        lambda idx: _natural_jacobian(problem, p, idx, np.full(len(p), np.inf)),
        names,
        p,
        free,
        lower,
        upper,
        float(lm.redchi),
        limits=physical_limits(circuit, p, free, upper),
    )
    stderr = {n: float("nan") for n in names} | cov.stderr
    correl = pd.DataFrame(np.nan, index=list(names), columns=list(names))
    if cov.names:
        sd = np.sqrt(np.diag(cov.matrix))
        with np.errstate(divide="ignore", invalid="ignore"):
            correl.loc[cov.names, cov.names] = cov.matrix / np.outer(sd, sd)
    for n in (names[i] for i in free):
        correl.loc[n, n] = 1.0
    _write_back(lm, cov, stderr, correl)
    judged = referred(circuit, values, cov, stderr, correl.to_numpy(), freq)
    determined, reasons = parameter_verdicts(
        names,
        values,
        judged.stderr,
        judged.correl,
        list(names),
        cov.why_nan,
        fixed,
        referred_Hz=judged.frequency_Hz,
    )
    couple_exponents(circuit, determined, reasons)
    fit_noise = noise(freq, z, circuit.impedance(freq, p), len(free))
    problems = judge(
        circuit, freq, z, values, stderr, determined, reasons, cov.degenerate, fit_noise
    )
    return FitResult(
        circuit=circuit,
        freq_Hz=freq,
        z=z,
        values=values,
        stderr=stderr,
        correl=correl,
        chisqr=float(lm.chisqr),
        redchi=float(lm.redchi),
        aic=float(lm.aic),
        bic=float(lm.bic),
        nfev=int(problem.nfev),
        success=bool(lm.success),
        message=str(lm.message),
        weighting=weighting,
        fixed=fixed,
        time_s=time_s,
        determined=determined,
        reasons=reasons,
        referred={
            name: (f, judged.stderr[name] / abs(values[name]))
            for name, f in judged.frequency_Hz.items()
        },
        problems=tuple(problems),
        noise=fit_noise.sigma,
        residual_level=fit_noise.sigma_fit,
        kk=fit_noise.kk,
        lmfit_result=lm,
    )


def _write_back(
    lm: lmfit.minimizer.MinimizerResult,
    cov: Covariance,
    stderr: dict[str, float],
    correl: pd.DataFrame,
) -> None:
    """The verdict's covariance into the lmfit result, so that both say the same."""
    for name in lm.var_names:
        par = lm.params[name]
        err = stderr[name]
        par.stderr = err if np.isfinite(err) else None
        par.correl = (
            {o: float(correl.loc[name, o]) for o in cov.names if o != name}
            if name in cov.names
            else None
        )
    complete = len(cov.names) == len(lm.var_names)
    if complete:
        order = [cov.names.index(n) for n in lm.var_names]
        lm.covar = cov.matrix[np.ix_(order, order)]
    else:
        lm.covar = None
    lm.errorbars = complete
    _set_uncertainties(lm)


def _natural_jacobian(
    problem: Problem, p: np.ndarray, idx: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """Weighted residual Jacobian (2F, len(idx)) in natural units w.r.t. the parameters ``idx``.

    Analytic if the problem has one, else forward differences (one batched model call),
    stepping away from ``upper``.
    """
    s_re, s_im, z = problem.sigma_re, problem.sigma_im, problem.z
    if problem.model_jac is not None:
        problem.nfev += 1
        dz = problem.model_jac(p[None, :])[1][0][idx].T
        return np.concatenate([dz.real / s_re[:, None], dz.imag / s_im[:, None]])
    pf = p[idx]
    h = 1e-7 * np.where(pf != 0, np.abs(pf), 1.0)
    h = np.where(pf + h > upper[idx], -h, h)  # step away from an upper bound
    sets = np.repeat(p[None, :], len(idx) + 1, axis=0)
    sets[1 + np.arange(len(idx)), idx] += h
    problem.nfev += len(sets)
    d = problem.model(sets) - z
    r = np.concatenate([d.real / s_re, d.imag / s_im], axis=-1)
    return ((r[1:] - r[0]) / h[:, None]).T
