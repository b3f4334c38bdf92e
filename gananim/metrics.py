"""Headline numbers of a Run (numpy only): what summary.json reports and the tests check."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .run import Run

TOLERANCE = 0.05  # |V - reference| below this counts as "at the reference"
WINDOW = 25  # games in the rolling mean used for "reached"
TAIL = 10  # games averaged for the final objective


def games_to_reference(objective: np.ndarray, reference: float, tol: float = TOLERANCE,
                       window: int = WINDOW) -> Optional[int]:
    """The first game (1-based) of the first `window`-game stretch after which every rolling
    mean of |V - reference| stays below `tol` until the end; None if it never settles there."""
    dev = np.abs(np.asarray(objective) - reference)
    if len(dev) < window:
        return (0 if dev.mean() < tol else None) if len(dev) else None
    rolling = np.convolve(dev, np.ones(window) / window, mode="valid")  # rolling[i]: games i+1..i+window
    above = np.nonzero(rolling >= tol)[0]
    if len(above) == 0:
        return 1
    if above[-1] == len(rolling) - 1:
        return None
    return int(above[-1] + 2)


def spectrum_signs(eigvals: np.ndarray, rel_tol: float = 1e-6) -> dict[str, Any]:
    """Counts of negative / ~zero / positive eigenvalues and what they make the point."""
    eigvals = np.asarray(eigvals, dtype=float)
    tol = rel_tol * max(np.abs(eigvals).max(), 1e-12)
    neg, pos = int((eigvals < -tol).sum()), int((eigvals > tol).sum())
    zero = len(eigvals) - neg - pos
    if neg and pos:
        kind = "indefinite (saddle point of V)"
    elif neg:
        kind = "negative definite (local maximum of V)" if not zero else "negative semi-definite"
    elif pos:
        kind = "positive definite (local minimum of V)" if not zero else "positive semi-definite"
    else:
        kind = "zero"
    return {"negative": neg, "zero": zero, "positive": pos, "kind": kind,
            "eigenvalues": [float(v) for v in eigvals]}


def headline(run: Run) -> dict[str, Any]:
    """The numbers a lecturer quotes: where V ended, how D sees real and fake, the spectrum."""
    ref = float(run.meta["reference"])
    final = float(np.mean(run.objective[-TAIL:]))
    real = run.real_samples[:, 0]
    on_data = (run.x_grid >= real.min()) & (run.x_grid <= real.max())
    d_last = run.d_on_grid[-1]
    tail = max(1, len(run.game) // 10)
    out: dict[str, Any] = {
        "name": run.meta["name"],
        "title": run.meta["title"],
        "games": int(len(run.game)),
        "reference_objective": ref,
        "final_objective": final,
        "final_objective_note": f"mean of V over the last {min(TAIL, len(run.game))} games",
        "distance_to_reference": abs(final - ref),
        "reached_reference_at_game": games_to_reference(run.objective, ref),
        "mean_d_real": float(run.d_real_mean[-1]),
        "mean_d_fake": float(run.d_fake_mean[-1]),
        "max_abs_d_minus_half_on_data_range": float(np.abs(d_last[on_data] - 0.5).max()),
        "d_range_on_grid": float(d_last.max() - d_last.min()),
        "median_grad_norm_d_last10pct": float(np.median(run.grad_norm_d[-tail:])),
        "median_grad_norm_g_last10pct": float(np.median(run.grad_norm_g[-tail:])),
    }
    if "hessian_eigvals" in run:
        out["final_spectrum"] = spectrum_signs(run.hessian_eigvals[-1])
    return out
