import math

import numpy as np

from gananim.metrics import games_to_reference, spectrum_signs

REF = -2 * math.log(2)


def test_games_to_reference():
    settle = np.concatenate([np.zeros(100), np.full(200, REF)])
    assert games_to_reference(settle, REF, window=10) == 101
    assert games_to_reference(np.full(300, REF), REF, window=10) == 1
    assert games_to_reference(np.zeros(300), REF, window=10) is None
    leaves = np.concatenate([np.full(200, REF), np.zeros(100)])
    assert games_to_reference(leaves, REF, window=10) is None  # must stay, not just pass by


def test_spectrum_signs():
    assert spectrum_signs([-3.0, -1.0, -0.5])["kind"].startswith("negative definite")
    s = spectrum_signs([-10.0, -0.1, 1e-12, 0.1])
    assert (s["negative"], s["zero"], s["positive"]) == (2, 1, 1)
    assert s["kind"].startswith("indefinite")
    assert spectrum_signs([0.5, 2.0])["kind"].startswith("positive definite")
