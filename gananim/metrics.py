"""Numbers from samples and Runs (numpy; scipy's distances imported by the functions that use
them): sample distances, mode coverage, and the headline numbers that summary.json reports and
the tests check."""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from .run import Run

TOLERANCE = 0.05  # |V - reference| below this counts as "at the reference"
WINDOW = 25  # games in the rolling mean used for "reached"
TAIL = 10  # games averaged for the final objective


def energy_distance(x: np.ndarray, y: np.ndarray, unbiased: bool = True) -> float:
    """Energy distance sqrt(2 E|X - Y| - E|X - X'| - E|Y - Y'|) between two samples (n, d) and
    (m, d), Euclidean norm. unbiased: U-statistics for the within-sample terms (X' an independent
    copy, so the zero diagonal is left out), which removes the positive floor two samples of one
    distribution would otherwise show; the square is clamped at 0. unbiased=False is the
    V-statistic, equal to scipy.stats.energy_distance in 1D."""
    return energy_distance_to(y, unbiased)(x)


def energy_distance_to(y: np.ndarray, unbiased: bool = True) -> Callable[[np.ndarray], float]:
    """x -> energy_distance(x, y), with y's own term computed once (a probe compares every
    snapshot's samples with one fixed sample of the data)."""
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    if y.shape[1] == 1:  # on the line the pairwise sums follow from sorting: O(n log n), not n^2
        pair_sum, cross_mean = _pair_sum_1d, _cross_mean_1d
        y = np.sort(y[:, 0])
    else:
        from scipy.spatial.distance import cdist, pdist  # here: a 1D game's trainer never imports scipy (0.3 s)

        pair_sum, cross_mean = (lambda a: 2 * pdist(a).sum()), (lambda a, b: cdist(a, b).mean())  # each pair once

    def within(a: np.ndarray) -> float:
        total = pair_sum(a)
        return total / (len(a) * (len(a) - 1)) if unbiased else total / len(a) ** 2

    y_within = within(y)

    def to(x: np.ndarray) -> float:
        x = np.asarray(x, dtype=float).reshape(len(x), -1)
        if x.shape[1] != (1 if y.ndim == 1 else y.shape[1]):
            raise ValueError(f"samples of dimension {x.shape[1]} against data of dimension {y.shape[-1] if y.ndim > 1 else 1}")
        x = np.sort(x[:, 0]) if y.ndim == 1 else x
        value = 2 * cross_mean(x, y) - within(x) - y_within
        return float(np.sqrt(max(value, 0.0)))

    return to


def wasserstein_1d(u: np.ndarray, v: np.ndarray) -> float:
    """W1 between two samples on the line: the area between their empirical CDFs (what
    scipy.stats.wasserstein_distance computes, to 1e-16 relative). Not faster per call (the two
    are equal within noise on the 1D probe's 2,500 and 1,000 samples, about 0.2-0.5 ms), but
    importing scipy.stats takes 0.6-0.8 s in a new process, which a 1D render otherwise never
    pays (benchmarks/bench.py, section l)."""
    u, v = np.sort(np.asarray(u, dtype=float)), np.sort(np.asarray(v, dtype=float))
    values = np.sort(np.concatenate([u, v]))
    deltas = np.diff(values)
    u_cdf = np.searchsorted(u, values[:-1], "right") / len(u)
    v_cdf = np.searchsorted(v, values[:-1], "right") / len(v)
    return float(np.sum(np.multiply(np.abs(u_cdf - v_cdf), deltas)))


def _pair_sum_1d(s: np.ndarray) -> float:
    """sum over all ordered pairs |s_i - s_j| of sorted s."""
    n = len(s)
    return float(2 * np.sum(s * (2 * np.arange(n) - n + 1)))


def _cross_mean_1d(x: np.ndarray, y: np.ndarray) -> float:
    """mean over all pairs |x_i - y_j| of sorted x and y."""
    below = np.searchsorted(y, x)  # how many y lie below each x
    prefix = np.concatenate([[0.0], np.cumsum(y)])
    total = np.sum(x * below - prefix[below] + (prefix[-1] - prefix[below]) - x * (len(y) - below))
    return float(total / (len(x) * len(y)))


def mode_coverage(samples: np.ndarray, means: np.ndarray, stds: np.ndarray, within: float = 3.0) -> tuple[int, float]:
    """VEEGAN / PacGAN coverage: a sample is high quality when it lies within `within` standard
    deviations of its nearest mode's mean; a mode is covered when it has at least one such
    sample. Returns (modes covered, fraction of high-quality samples)."""
    from scipy.spatial.distance import cdist

    d = cdist(np.asarray(samples, dtype=float), np.asarray(means, dtype=float))  # (n, K)
    nearest = d.argmin(axis=1)
    good = d[np.arange(len(d)), nearest] <= within * np.asarray(stds)[nearest]
    return int(len(np.unique(nearest[good]))), float(good.mean()) if len(good) else 0.0


def games_to_reference(objective: np.ndarray, reference: float, tol: float = TOLERANCE,
                       window: int = WINDOW) -> Optional[int]:
    """The first game (1-based) of the first `window`-game stretch after which every rolling
    mean of |V - reference| stays below `tol` until the end; None if it never settles there."""
    dev = np.abs(np.asarray(objective) - reference)
    window = max(1, min(window, len(dev)))  # a short run: one window over all of it
    rolling = np.convolve(dev, np.ones(window) / window, mode="valid")  # rolling[i]: games i+1..i+window
    above = np.nonzero(rolling >= tol)[0]
    if len(above) == 0:
        return 1
    if above[-1] == len(rolling) - 1:
        return None
    return int(above[-1] + 2)


REL_TOL = 1e-6  # |λ| at most this fraction of the largest |λ| of the whole spectrum counts as ≈ 0
SCALE_FLOOR = 1e-12  # an all-zero spectrum: a tolerance of REL_TOL × this, not of 0


def zero_tolerance(eigvals: Any, rel_tol: float = REL_TOL) -> Any:
    """THE rule for "≈ 0", used by the counts, the summary, the Hessian figure's colours, labels
    and verdict and the diagnosis: |λ| ≤ rel_tol × the largest |λ| of the full spectrum at that
    game. Scale-aware because the Hessians are float32: an eigenvalue is only known to about
    1e-7 × the largest one, so a smaller magnitude is no sign at all. One spectrum (a row, or
    its largest |λ| as a number) gives a number; a (games, P) array one tolerance per game."""
    mags = np.abs(np.asarray(eigvals, dtype=float))
    scale = mags if mags.ndim == 0 else mags.max(axis=-1)
    tol = rel_tol * np.maximum(scale, SCALE_FLOOR)
    return float(tol) if np.ndim(tol) == 0 else tol


def sign_class(values: Any, tol: Any) -> np.ndarray:
    """-1 (negative), 0 (≈ 0: |λ| ≤ tol) or +1 (positive) for each value; tol from zero_tolerance
    (per game: broadcast a (games,) tol against (games, P) values with tol[:, None])."""
    values = np.asarray(values, dtype=float)
    return np.where(values < -np.asarray(tol), -1, np.where(values > np.asarray(tol), 1, 0))


def zero_rule(rel_tol: float = REL_TOL) -> str:
    """The rule in words for figures and findings: "|λ| ≤ 10⁻⁶·max|λ|"."""
    exponent = np.log10(rel_tol)
    if abs(exponent - round(exponent)) < 1e-9:
        sup = str(int(round(exponent))).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
        return f"|λ| ≤ 10{sup}·max|λ|"
    return f"|λ| ≤ {rel_tol:g}·max|λ|"


def spectrum_signs(eigvals: np.ndarray, rel_tol: float = REL_TOL) -> dict[str, Any]:
    """Counts of negative / ~zero / positive eigenvalues (zero_tolerance) and what they make the point."""
    eigvals = np.asarray(eigvals, dtype=float)
    tol = zero_tolerance(eigvals, rel_tol)
    signs = sign_class(eigvals, tol)
    neg, pos = int((signs < 0).sum()), int((signs > 0).sum())
    zero = len(eigvals) - neg - pos
    if neg and pos:
        kind = "indefinite (saddle point of V)"
    elif neg:
        kind = "negative definite (local maximum of V)" if not zero else "negative semi-definite"
    elif pos:
        kind = "positive definite (local minimum of V)" if not zero else "positive semi-definite"
    else:
        kind = "zero"
    return {"negative": neg, "zero": zero, "positive": pos, "kind": kind, "zero_tolerance": tol,
            "eigenvalues": [float(v) for v in eigvals]}


def local_nash_check(d_max: float, g_min: float, scale: float) -> dict[str, Any]:
    """The second-order local Nash conditions with the same tolerance: D's block ≤ 0 (its largest
    eigenvalue d_max), G's block ≥ 0 (its smallest g_min); scale: the full spectrum's largest |λ|."""
    tol = zero_tolerance(scale)
    d_ok, g_ok = bool(sign_class(d_max, tol) <= 0), bool(sign_class(g_min, tol) >= 0)
    return {"d_ok": d_ok, "g_ok": g_ok, "holds": d_ok and g_ok, "tolerance": tol,
            "d_within": d_ok and d_max > 0, "g_within": g_ok and g_min < 0}  # passes only by the tolerance


def blocks_where(check: dict[str, Any], key: str, value: bool = True) -> list[str]:
    """The blocks ("D's", "G's") whose check[d_<key>] / check[g_<key>] (local_nash_check) is
    `value`, in that order: the words of a verdict that names them."""
    return [who for who, player in (("D's", "d"), ("G's", "g")) if check[f"{player}_{key}"] == value]


def final_signs(eigvals: np.ndarray, method: str) -> dict[str, Any]:
    """spectrum_signs of a whole spectrum; of a Lanczos one only the extremes are known: they
    still decide definiteness, not the counts."""
    return spectrum_signs(eigvals) if method == "exact" else spectrum_signs([np.min(eigvals), np.max(eigvals)])


def _d_on_line(run: Run, i: int) -> np.ndarray:
    """On the grid between the smallest and the largest real sample."""
    real = run.real_samples
    on_data = (run.x_grid >= real[:, 0].min()) & (run.x_grid <= real[:, 0].max())
    if not on_data.any():  # all samples between two grid points
        return np.interp(real[:, 0], run.x_grid, run.d_on_grid[i])
    return run.d_on_grid[i][on_data]


def _d_on_plane(run: Run, i: int) -> np.ndarray:
    """At the heat map's cell of each real sample."""
    real = run.real_samples
    col = np.abs(run.grid_x[None, :] - real[:, :1]).argmin(axis=1)
    row = np.abs(run.grid_y[None, :] - real[:, 1:]).argmin(axis=1)
    return run.d_on_grid[i][row, col]


def _d_on_images(run: Run, i: int) -> np.ndarray:
    """On the probe's fixed batch of real images."""
    return run.d_on_real[i]


D_ON_DATA: dict[str, Callable[[Run, int], np.ndarray]] = {  # by Run.domain
    "line": _d_on_line, "plane": _d_on_plane, "image": _d_on_images, "dirac": _d_on_line}


def d_on_data(run: Run, i: int) -> np.ndarray:
    """D at snapshot i where the real data are (D_ON_DATA, by the data's domain)."""
    return D_ON_DATA[run.domain](run, i)


def headline(run: Run) -> dict[str, Any]:
    """The numbers a lecturer quotes: where V ended, how D sees real and fake, the spectrum."""
    ref = float(run.meta["reference"])
    final = float(np.mean(run.objective[-TAIL:]))
    d_last = run.d_on_grid[-1] if "d_on_grid" in run else None
    tail = max(1, len(run.game) // 10)
    out: dict[str, Any] = {
        "name": run.meta["name"],
        "title": run.title,
        "games": int(len(run.game)),
        "reference_objective": ref,
        "final_objective": final,
        "final_objective_note": f"mean of V over the last {min(TAIL, len(run.game))} games",
        "distance_to_reference": abs(final - ref),
        "reached_reference_at_game": games_to_reference(run.objective, ref),
        "mean_d_real": float(run.d_real_mean[-1]),
        "mean_d_fake": float(run.d_fake_mean[-1]),
        "max_abs_d_minus_half_on_data_range": (None if run.meta.get("d_output") == "critic"  # no 1/2 for a critic
                                               else float(np.abs(d_on_data(run, -1) - 0.5).max())),
        "median_grad_norm_d_last10pct": float(np.median(run.grad_norm_d[-tail:])),
        "median_grad_norm_g_last10pct": float(np.median(run.grad_norm_g[-tail:])),
    }
    if d_last is not None:
        out["d_range_on_grid"] = float(d_last.max() - d_last.min())
    out["final_energy_distance"] = float(run.energy_distance[-1])
    if "w1" in run:  # a line: the true W1 between G's samples and the data (what a critic's gap estimates)
        out["final_w1"] = float(run.w1[-1])
    if "classes_covered" in run:  # images: the measures in the data classifier's terms (imagemetrics.py)
        out |= {"classes_total": int(run.meta["classes_total"]),
                "classifier_accuracy": float(run.meta["classifier_accuracy"]),
                "final_classes_covered": int(run.classes_covered[-1]), "final_class_kl": float(run.class_kl[-1]),
                "final_frechet_distance": float(run.frechet_distance[-1]),
                "final_precision": float(run.precision[-1]), "final_recall": float(run.recall[-1])}
        from .diagnosis import diagnose, history_of

        out["diagnosis"] = [{"rule": f.rule, "says": f.says, "numbers": f.numbers} for f in diagnose(history_of(run))]
        out["loss_statistics"] = loss_statistics(run)
    if "modes_covered" in run:
        out["modes_total"] = int(run.meta["modes_total"])
        out["final_modes_covered"] = int(run.modes_covered[-1])
        out["final_high_quality_fraction"] = float(run.high_quality[-1])
    if "theta" in run and "psi" in run:  # the Dirac-GAN: the trajectory and the equilibrium's spectra
        out["dirac"] = dirac_headline(run)
    if "jacobian_eigvals" in run:
        out["final_jacobian"] = jacobian_headline(run)
    if "hessian_eigvals" in run:
        last = run.hessian_eigvals[-1]
        signs = final_signs(last, run.meta.get("hessian_method", "exact"))
        if run.meta.get("hessian_method", "exact") == "exact":
            out["final_spectrum"] = signs | {"method": "exact"}
        else:
            out["final_spectrum"] = {"method": "lanczos", "kind": signs["kind"], "most_negative": float(last.min()),
                                     "most_positive": float(last.max()), "zero_tolerance": signs["zero_tolerance"],
                                     "extremes": [float(v) for v in last]}
        out["final_d_block_largest"] = float(run.hessian_eigvals_d[-1].max())
        out["final_g_block_smallest"] = float(run.hessian_eigvals_g[-1].min())
        out["final_local_nash"] = local_nash_check(out["final_d_block_largest"], out["final_g_block_smallest"],
                                                   float(np.abs(last).max()))["holds"]
    return out


def _pairs(values: np.ndarray) -> Optional[list[list[float]]]:
    """Complex values as [re, im] pairs (JSON has no complex numbers); None where undefined."""
    values = np.asarray(values, dtype=complex)
    return None if not np.isfinite(values).all() else [[float(z.real), float(z.imag)] for z in values]


CONVERGED = 0.01  # the distance to the equilibrium, as a fraction of the start's, below which a run converged
NEAR = 0.2  # ... below which over the whole last half of the games it settled near the equilibrium
TREND = 0.1  # a change of the mean distance by more than this from the third quarter of the games to the last is a trend
ESCAPED = 1.25  # ... and above which (at the end, or over the whole last half) it moved away


def dirac_verdict(distance: np.ndarray) -> str:
    """What the Dirac-GAN's trajectory did, from its distance to the equilibrium after each game
    (row 0: the start): the rule is in the words, so a caption can quote it."""
    start, late = float(distance[0]), distance[len(distance) // 2:]
    if start == 0:
        return "starts at the equilibrium"
    lo, hi, end = float(late.min()) / start, float(late.max()) / start, float(distance[-1]) / start
    if end < CONVERGED:
        return f"converges: its distance to (0, 0) ends at {end:.2g} × the start's"
    if hi < NEAR:  # noisy steps: it stays close without reaching the point
        return f"settles near (0, 0): over the last half of the games its distance stays within {lo:.2g}-{hi:.2g} × the start's"
    if lo > ESCAPED or end > ESCAPED:
        return f"moves away: its distance to (0, 0) ends at {end:.2f} × the start's"
    quarter = max(1, len(late) // 2)
    trend = float(np.mean(late[-quarter:]) / np.mean(late[:quarter]))  # the last quarter against the third
    if trend < 1 - TREND:
        return f"spirals in, not yet converged: its distance to (0, 0) ends at {end:.2g} × the start's"
    if trend > 1 + TREND:
        return f"spirals out, not yet far: its distance to (0, 0) ends at {end:.2f} × the start's"
    return f"circles: over the last half of the games its distance to (0, 0) stays within {lo:.2f}-{hi:.2f} × the start's"


def dirac_headline(run: Run) -> dict[str, Any]:
    """The trajectory's distance to the equilibrium and the Jacobian's spectra there: measured
    beside the closed forms (the run's meta 'dirac', from jacobian.py)."""
    meta = run.meta.get("dirac", {})
    distance = np.hypot(run.theta - run.equilibrium[0], run.psi - run.equilibrium[1])
    return {
        "start": [float(run.theta[0]), float(run.psi[0])],
        "end": [float(run.theta[-1]), float(run.psi[-1])],
        "start_distance": float(distance[0]),
        "final_distance": float(distance[-1]),
        "verdict": dirac_verdict(distance),
        "equilibrium_eigenvalues": _pairs(run.eq_eigvals),
        "equilibrium_eigenvalues_closed_form": meta.get("closed_form"),
        "closed_form_formula": meta.get("closed_form_formula"),
        "update": meta.get("update_mode"),
        "step_size": meta.get("h"),
        "update_eigenvalues": _pairs(run.eq_update_eigvals),
        "update_eigenvalues_closed_form": meta.get("update_closed_form"),
        "update_spectral_radius": meta.get("update_radius_measured"),
        "update_spectral_radius_closed_form": meta.get("update_radius_closed"),
        "note": meta.get("note"),
    }


def jacobian_headline(run: Run) -> dict[str, Any]:
    """The game Jacobian at the last recorded game: its largest real part (> 0: a direction the
    flow leaves) and largest |imaginary part| (rotation), and the discrete update's radius."""
    out: dict[str, Any] = {"game": int(run.jacobian_game[-1]), "method": run.meta.get("jacobian_method"),
                           "max_real": float(run.jacobian_max_real[-1]), "max_abs_imag": float(run.jacobian_max_imag[-1])}
    if "jacobian_update_eigvals" in run:
        out["update_spectral_radius"] = float(np.abs(run.jacobian_update_eigvals[-1]).max())
    return out


def sweep_headline(run: Run) -> dict[str, Any]:
    """A seed sweep's numbers: how many seeds settle at the reference, the spread of where
    they end, and every seed's own headline."""
    ref = float(run.meta["reference"])
    members = [headline(run.member(k)) | {"seed": seed} for k, seed in enumerate(run.seeds)]
    reached = [m["seed"] for m in members if m["reached_reference_at_game"] is not None]
    finals = np.array([m["final_objective"] for m in members])
    return {
        "name": run.meta["name"],
        "title": run.title,
        "seeds": list(run.seeds),
        "games": int(run.objective.shape[1]),
        "reference_objective": ref,
        "seeds_reaching_reference": reached,
        "fraction_reaching_reference": len(reached) / len(members),
        "final_objective_median": float(np.median(finals)),
        "final_objective_min": float(finals.min()),
        "final_objective_max": float(finals.max()),
        "final_energy_distance_median": float(np.median([m["final_energy_distance"] for m in members])),
        "per_seed": members,
    }


def loss_statistics(run: Run) -> dict[str, dict[str, float]]:
    """Each player's loss over the run: the first and the last game's value, the smallest, the
    largest and the mean over every game (the Fashion-MNIST starter's table)."""
    out = {}
    for key in ("d_loss", "g_loss"):
        values = np.asarray(run.arrays[key], dtype=float)
        out[key] = {"initial": float(values[0]), "final": float(values[-1]), "min": float(values.min()),
                    "max": float(values.max()), "mean": float(values.mean())}
    return out


SIGNIFICANT = 6  # digits summary.json keeps: float32 arithmetic means about 7, and machines differ in the 16th


def rounded(value: Any, digits: int = SIGNIFICANT) -> Any:
    """summary.json's numbers to the precision they mean (`digits` significant digits), in every
    dict and list, so that a re-render on another machine does not rewrite the file over a
    difference in the 16th digit; ints, bools, text and None unchanged."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}") if np.isfinite(value) else value
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    return value
