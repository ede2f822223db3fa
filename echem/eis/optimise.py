"""The search behind :func:`echem.eis.fit`: transformed parameters, multi-start, local refinement.

Free parameters flagged ``log`` (resistances, capacitances, time constants...) are searched as
:math:`\\ln p`, the others (CPE exponents) as they are. Many starting points (data-driven and
perturbed, see :mod:`echem.eis.guess`) are scored in one vectorised model evaluation; the best
few are refined together by a short batched Levenberg-Marquardt run (:func:`batch_lm`), the
best distinct results of those run to convergence, then structural moves of the optimum
(``moves``) and optional random hops are tried. :meth:`Problem.refine` (trust-region
:func:`scipy.optimize.least_squares`) refines a single start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

__all__ = ["Problem", "multistart"]

#: Limits of ln p for log parameters without finite bounds (keeps exp() finite).
_LN_MIN, _LN_MAX = np.log(1e-300), np.log(1e300)

#: Half-width (decades) of the search box of log parameters around the first start.
SEARCH_DECADES = 8.0

#: Marquardt damping: divided by LAMBDA_DOWN after an accepted step, times LAMBDA_UP after a rejected one.
LAMBDA_DOWN, LAMBDA_UP = 3.0, 4.0

#: Settings of :func:`batch_lm` for the short refinements that rank starts.
SHORT = {"max_iter": 30, "tol": 1e-6}
#: ... and for the refinements to convergence (the lmfit polish of :func:`echem.eis.fit`
#: finishes the job, so χ² need not be settled beyond ~1e-5 relative here).
FULL = {"max_iter": 500, "tol": 1e-10, "stall_window": 10, "stall_tol": 1e-5, "catch_up": 30.0}

#: Two points closer than this in every search coordinate (ln p or p) are the same optimum.
SAME_POINT = 0.05

#: A short refinement is continued to convergence only if it lowers the best χ² by more
#: than this (relative): smaller gains are the same optimum reached again.
MIN_GAIN = 1e-6


@dataclass
class Problem:
    """A weighted CNLS problem over the free parameters.

    Parameters
    ----------
    model
        ``model(P)`` with ``P`` of shape (K, n_all) natural parameter sets -> (K, F) complex.
    z
        Data (Ω), shape (F,).
    sigma_re, sigma_im
        Weights of the real and imaginary residuals (see :mod:`echem.eis.weighting`).
    base
        All parameters (natural units); the fixed ones keep these values.
    free
        Indices of the free parameters.
    log
        Per free parameter: searched as ln p.
    lower, upper
        Natural bounds of the free parameters.
    model_jac
        Optional analytic ``model_jac(P) -> (Z (K, F), dZ/dp (K, n_all, F))``; without it
        the Jacobian is taken by forward differences.
    """

    model: Callable[[np.ndarray], np.ndarray]
    z: np.ndarray
    sigma_re: np.ndarray
    sigma_im: np.ndarray
    base: np.ndarray
    free: np.ndarray
    log: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    nfev: int = field(default=0)
    model_jac: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None

    def __post_init__(self) -> None:
        self.log = self.log & (self.lower >= 0)
        with np.errstate(divide="ignore"):
            lo = np.where(self.log, np.log(np.maximum(self.lower, 0)), self.lower)
            hi = np.where(self.log, np.log(self.upper), self.upper)
        # log parameters are searched within SEARCH_DECADES of their starting value: a
        # resistance 1e-10 of the data's scale is zero, and an unbounded ln p -> -inf valley
        # only slows the search (the final polish uses the true bounds).
        centre = np.log(np.maximum(self.base[self.free], 1e-300))
        box = SEARCH_DECADES * np.log(10)
        lo = np.where(self.log, np.maximum(lo, centre - box), lo)
        hi = np.where(self.log, np.minimum(hi, centre + box), hi)
        self.x_lower = np.where(self.log, np.clip(lo, _LN_MIN, _LN_MAX), lo)
        self.x_upper = np.where(self.log, np.clip(hi, _LN_MIN, _LN_MAX), hi)

    # transforms -----------------------------------------------------------------------
    def to_internal(self, p_free: np.ndarray) -> np.ndarray:
        """Natural free values -> search coordinates (ln p where ``log``), clipped to bounds."""
        p = np.asarray(p_free, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(self.log, np.log(np.maximum(p, 1e-300)), p)
        return np.clip(x, self.x_lower, self.x_upper)

    def to_natural(self, x: np.ndarray) -> np.ndarray:
        """Search coordinates (..., n_free) -> full natural parameter sets (..., n_all)."""
        x = np.asarray(x, dtype=float)
        p = np.broadcast_to(self.base, x.shape[:-1] + self.base.shape).copy()
        p[..., self.free] = np.where(self.log, np.exp(x), x)
        return p

    # residuals ------------------------------------------------------------------------
    def residuals(self, x: np.ndarray) -> np.ndarray:
        """Weighted residuals of parameter sets ``x`` (K, n_free) -> (K, 2F)."""
        x2 = np.atleast_2d(x)
        self.nfev += x2.shape[0]
        with np.errstate(all="ignore"):
            d = self.model(self.to_natural(x2)) - self.z
            r = np.concatenate([d.real / self.sigma_re, d.imag / self.sigma_im], axis=-1)
        r[~np.isfinite(r)] = 1e150
        return r

    def residuals_jac(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Residuals (K, 2F) and their analytic Jacobian (K, n_free, 2F) in search coordinates."""
        x2 = np.atleast_2d(x)
        self.nfev += x2.shape[0]
        p = self.to_natural(x2)
        with np.errstate(all="ignore"):
            zm, dz = self.model_jac(p)
            d = zm - self.z
            r = np.concatenate([d.real / self.sigma_re, d.imag / self.sigma_im], axis=-1)
            # d/d(ln p) = p d/dp
            dzf = dz[:, self.free] * np.where(self.log, p[:, self.free], 1.0)[:, :, None]
            jac = np.concatenate([dzf.real / self.sigma_re, dzf.imag / self.sigma_im], axis=-1)
        r[~np.isfinite(r)] = 1e150
        jac[~np.isfinite(jac)] = 0.0
        return r, jac

    def cost(self, x: np.ndarray) -> np.ndarray:
        """χ² of each parameter set (K,)."""
        r = self.residuals(x)
        return np.einsum("ij,ij->i", r, r)

    def _fun(self, x: np.ndarray) -> np.ndarray:
        return self.residuals(x[None, :])[0]

    def _jac(self, x: np.ndarray) -> np.ndarray:
        h = 1e-7 * np.maximum(1.0, np.abs(x))
        # step away from an upper bound
        h = np.where(x + h > self.x_upper, -h, h)
        xs = np.vstack([x, x + np.diag(h)])
        r = self.residuals(xs)
        return ((r[1:] - r[0]) / h[:, None]).T

    def refine(self, x0: np.ndarray, max_nfev: int | None = None, tol: float = 1e-10):
        """Trust-region least squares from ``x0``; returns (x, χ², scipy result)."""
        x0 = np.clip(x0, self.x_lower, self.x_upper)
        # least_squares needs strictly feasible starts
        span = np.where(np.isfinite(self.x_upper - self.x_lower), self.x_upper - self.x_lower, 1.0)
        x0 = np.clip(x0, self.x_lower + 1e-10 * span, self.x_upper - 1e-10 * span)
        res = least_squares(
            self._fun,
            x0,
            jac=self._jac,
            bounds=(self.x_lower, self.x_upper),
            method="trf",
            x_scale=1.0,
            ftol=tol,
            xtol=tol,
            gtol=tol,
            max_nfev=max_nfev,
        )
        return res.x, 2.0 * float(res.cost), res


def perturb(problem: Problem, x: np.ndarray, n: int, rng: np.random.Generator, scale: float = 1.0):
    """``n`` random neighbours of ``x`` (search coordinates): ±``scale`` in ln p, ±0.1·scale in linear ones."""
    step = np.where(problem.log, scale, 0.1 * scale)
    xs = x + rng.normal(size=(n, len(x))) * step
    return np.clip(xs, problem.x_lower, problem.x_upper)


def batch_lm(
    problem: Problem,
    x0: np.ndarray,
    *,
    max_iter: int = 200,
    tol: float = 1e-10,
    stall_window: int = 10,
    stall_tol: float = 1e-5,
    catch_up: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Levenberg-Marquardt on many starts at once (search coordinates, projected on the bounds).

    Every iteration evaluates the residuals and Jacobians (analytic when the problem has
    ``model_jac``, else forward differences) of all active starts in one vectorised call,
    then solves the damped normal equations
    :math:`(J^T J + \lambda\,\mathrm{diag}(J^T J))\,\delta = -J^T r` for each start
    (Marquardt, J. SIAM 1963, 11, 431). A step is accepted when it lowers χ²; λ shrinks by 3 on
    success and grows by 4 on failure. A start stops when a step gains less than ``tol``
    (relative), or when χ² fell by less than ``stall_tol`` (relative) over ``stall_window``
    iterations: a difference far below the noise (a 1 % noise level makes χ² ≈ 1e-4 · 2N, so
    1e-5 of it is 1e-3 of one standard deviation of χ²). With ``catch_up``, a start also
    stops when it is above the best start by more than ``catch_up`` times what it gained over
    the last window: at that pace it would not catch up within ``catch_up`` more windows (a
    start creeping along a flat valley otherwise keeps the whole batch iterating).

    Returns
    -------
    x, chisqr
        Final points (K, n_free) and their χ² (K,).
    """
    x = np.array(np.atleast_2d(x0), dtype=float)
    k, n = x.shape
    lo, hi = problem.x_lower, problem.x_upper
    x = np.clip(x, lo, hi)
    lam = np.full(k, 1e-3)
    active = np.ones(k, bool)
    max_step = np.where(problem.log, 3.0, 0.3)
    eye = np.eye(n)

    def resid_jac(xa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if problem.model_jac is not None:
            return problem.residuals_jac(xa)
        ka = len(xa)
        h = 1e-7 * np.maximum(1.0, np.abs(xa))
        h = np.where(xa + h > hi, -h, h)
        shifted = xa[:, None, :] + h[:, None, :] * eye  # (ka, n, n)
        r_all = problem.residuals(np.concatenate([xa, shifted.reshape(ka * n, n)]))
        r0 = r_all[:ka]
        jac = (r_all[ka:].reshape(ka, n, -1) - r0[:, None, :]) / h[:, :, None]  # (ka, n, m)
        return r0, jac

    def normal_equations(rows: np.ndarray) -> None:
        """J^T J, J^T r and the Marquardt scaling of ``rows`` (kept until they move)."""
        ja = jac[rows]
        a_all[rows] = np.einsum("kim,kjm->kij", ja, ja)
        g_all[rows] = np.einsum("kim,km->ki", ja, r[rows])
        diag = np.einsum("kii->ki", a_all[rows])
        d_all[rows] = np.maximum(diag, 1e-12 * (diag.sum(axis=1)[:, None] + 1e-300))

    r, jac = resid_jac(x)
    a_all, g_all, d_all = np.empty((k, n, n)), np.empty((k, n)), np.empty((k, n))
    normal_equations(np.arange(k))
    cost = np.einsum("ij,ij->i", r, r)
    ref_cost = cost.copy()
    for it in range(1, max_iter + 1):
        idx = np.flatnonzero(active)
        if len(idx) == 0:
            break
        g, d = g_all[idx], d_all[idx]
        damped = a_all[idx] + (lam[idx, None] * d)[:, :, None] * eye
        # active set: a variable on a bound that the gradient pushes outwards stays put
        xa = x[idx]
        pinned = ((xa <= lo) & (g > 0)) | ((xa >= hi) & (g < 0))
        if pinned.any():
            keep = ~pinned
            damped = np.where(keep[:, :, None] & keep[:, None, :], damped, 0.0)
            damped = damped + pinned[:, :, None] * eye
            g = np.where(keep, g, 0.0)
        try:
            step = -np.linalg.solve(damped, g[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = -g / np.maximum(lam[idx, None] * d, 1e-300)
        step = np.where(np.isfinite(step), step, 0.0)
        step = np.clip(step, -max_step, max_step)
        x_new = np.clip(x[idx] + step, lo, hi)
        r_new = problem.residuals(x_new)
        c_new = np.einsum("ij,ij->i", r_new, r_new)
        better = c_new < cost[idx]
        gain = (cost[idx] - c_new) / np.maximum(c_new, 1e-300)
        moved = np.max(np.abs(x_new - x[idx]), axis=1)
        acc = idx[better]
        rej = idx[~better]
        lam[acc] = np.maximum(lam[acc] / LAMBDA_DOWN, 1e-12)
        lam[rej] *= LAMBDA_UP
        if len(acc):
            x[acc] = x_new[better]
            cost[acc] = c_new[better]
            r_acc, j_acc = resid_jac(x[acc])
            r[acc], jac[acc] = r_acc, j_acc
            normal_equations(acc)
        done = np.zeros(len(idx), bool)
        done |= better & ((gain < tol) | (moved < tol))
        done |= lam[idx] > 1e12
        active[idx[done]] = False
        if it % stall_window == 0:
            # stalled: χ² fell by less than stall_tol (relative) over the last window
            gained = ref_cost - cost
            stalled = gained <= stall_tol * cost
            if catch_up is not None:
                # behind: above the best start by more than catch_up windows at this pace
                stalled |= (cost - cost.min()) > catch_up * gained
            active &= ~stalled
            ref_cost = cost.copy()
    return x, cost


def _distinct(x: np.ndarray, order: np.ndarray, count: int) -> list[int]:
    """The first ``count`` indices of ``order`` whose points differ from all earlier ones.

    Many short refinements end in the same (shallow, quickly reached) optimum; a slowly
    converging start in another basin may still be above it after the short stage, so the
    stage continued to convergence takes distinct points rather than copies of one.
    """
    kept: list[int] = []
    for i in order:
        if all(np.max(np.abs(x[i] - x[j])) > SAME_POINT for j in kept):
            kept.append(int(i))
        if len(kept) >= count:
            break
    return kept


def _improve(
    problem: Problem, x_best: np.ndarray, c_best: float, starts: np.ndarray
) -> tuple[np.ndarray, float]:
    """Short refinement of ``starts``; the best continued to convergence if it beats ``c_best``.

    Returns the better of (``x_best``, ``c_best``) and that result.
    """
    x_short, c_short = batch_lm(problem, starts, **SHORT)
    j = int(np.argmin(c_short))
    if c_short[j] < c_best * (1 - MIN_GAIN):
        x_f, c_f = batch_lm(problem, x_short[j : j + 1], **FULL)
        if c_f[0] < c_best:
            return x_f[0], float(c_f[0])
    return x_best, c_best


def _pick_moves(problem: Problem, families: Sequence[np.ndarray], per_family: int) -> np.ndarray:
    """The ``per_family`` lowest-cost members of each family, distinct (search coordinates)."""
    picked = []
    for family in families:
        family = np.clip(np.atleast_2d(family), problem.x_lower, problem.x_upper)
        if family.size == 0:
            continue
        cost = problem.cost(family)
        order = np.argsort(cost)[:per_family]
        picked += [family[i] for i in order if np.isfinite(cost[i])]
    if not picked:
        return np.empty((0, len(problem.x_lower)))
    arr = np.array(picked)
    return arr[_distinct(arr, np.arange(len(arr)), len(arr))]


def multistart(
    problem: Problem,
    starts: np.ndarray,
    *,
    n_random: int = 24,
    n_short: int = 16,
    n_full: int = 2,
    n_hops: int = 0,
    moves: Callable[[np.ndarray], Sequence[np.ndarray]] | None = None,
    n_moves: int = 1,
    seed: int | None = 0,
) -> tuple[np.ndarray, float]:
    """Best free-parameter vector (search coordinates) found from ``starts``.

    Parameters
    ----------
    problem
        The problem.
    starts
        Starting points (K, n_free) in search coordinates, most plausible first.
    n_random
        Random perturbations added around the best three starts.
    n_short
        Best starts (by χ²) given a short batched Levenberg-Marquardt run.
    n_full
        Best short runs continued to convergence, distinct ones (:func:`_distinct`): a
        slowly converging start in a better basin may still trail copies of a quickly
        reached optimum after the short stage.
    n_hops
        Rounds of random perturbation of the optimum (``n_short``/2 neighbours, ±0.7 in
        ln p), each refined; an improvement replaces the optimum.
    moves
        ``moves(x)``: families of structural neighbours (each (K, n_free), search
        coordinates) of the optimum ``x``, e.g. one arc moved elsewhere or split
        (:func:`echem.eis.guess.arc_moves`). The ``n_moves`` lowest-cost members of each
        family get a short refinement together, and the best of those runs to convergence
        if it beats the optimum. One short batched run: cheap next to the search itself.
    n_moves
        Candidates taken from each family of moves (0: no moves).
    seed
        Seed of the perturbations.

    Returns
    -------
    x, chisqr
    """
    rng = np.random.default_rng(seed)
    starts = np.atleast_2d(starts)
    cost = problem.cost(starts)
    best_first = starts[np.argsort(cost)]
    extra = [
        perturb(problem, best_first[i], -(-n_random // 3), rng) for i in range(min(3, len(starts)))
    ]
    pool = np.vstack([starts, *extra]) if n_random > 0 else starts
    pool_cost = problem.cost(pool)
    order = np.argsort(pool_cost)
    chosen: list[np.ndarray] = []
    for i in order:
        if not np.isfinite(pool_cost[i]) and chosen:
            break
        if all(np.max(np.abs(pool[i] - c)) > 1e-6 for c in chosen):
            chosen.append(pool[i])
        if len(chosen) >= n_short:
            break
    x_short, c_short = batch_lm(problem, np.array(chosen), **SHORT)
    best = _distinct(x_short, np.argsort(c_short), max(n_full, 1))
    x_full, c_full = batch_lm(problem, x_short[best], **FULL)
    i = int(np.argmin(c_full))
    x_best, c_best = x_full[i], float(c_full[i])
    if moves is not None and n_moves > 0:
        picked = _pick_moves(problem, moves(x_best), n_moves)
        if len(picked):
            x_best, c_best = _improve(problem, x_best, c_best, picked)
    for _ in range(n_hops):
        # basin hopping, lite: refine random neighbours of the optimum, keep any improvement
        hops = perturb(problem, x_best, max(n_short // 2, 1), rng, scale=0.7)
        x_best, c_best = _improve(problem, x_best, c_best, hops)
    return x_best, c_best
