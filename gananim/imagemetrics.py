"""Numbers for image GANs, computed from a domain classifier's outputs on real and generated
images: class coverage and the KL divergence of the class histograms (the mode-collapse
measures of VEEGAN, Srivastava et al. 2017, and PacGAN, Lin et al. 2018, on stacked MNIST), the
Fréchet distance between feature distributions (FID's formula, Heusel et al. 2017, here on the
classifier's penultimate layer instead of Inception's), and precision and recall of the
generated images against the real ones (Kynkäänniemi et al. 2019, k-nearest-neighbour balls in
the same feature space).

Plain numpy and scipy on arrays: nothing here imports torch or draws pictures.
"""
from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

CONFIDENCE = 0.9  # a sample counts for a class when the classifier gives that class more than this
COVERED_SHARE = 0.01  # a class is covered when at least this share of the samples count for it
NEIGHBOURS = 3  # k of the k-nearest-neighbour balls (Kynkäänniemi et al.'s default)


def class_histogram(probabilities: np.ndarray) -> np.ndarray:
    """The share of samples the classifier puts in each class (argmax), (K,) summing to 1."""
    p = np.asarray(probabilities, dtype=float)
    return np.bincount(p.argmax(axis=1), minlength=p.shape[1]) / len(p)


def classes_covered(probabilities: np.ndarray, confidence: float = CONFIDENCE, share: float = COVERED_SHARE) -> int:
    """How many classes at least `share` of the samples fall in with the classifier's
    probability above `confidence` (samples it is unsure of count for no class)."""
    p = np.asarray(probabilities, dtype=float)
    sure = p.max(axis=1) > confidence
    counts = np.bincount(p.argmax(axis=1)[sure], minlength=p.shape[1])
    return int((counts >= share * len(p)).sum())


def class_kl(generated: np.ndarray, real: np.ndarray) -> float:
    """KL(generated || real) of two class histograms (shares per class), in nats: 0 when they
    agree, log K when every generated sample falls in one of K equally likely classes. A class
    the generator never produces adds nothing; one the real data never show makes it infinite."""
    g, r = np.asarray(generated, dtype=float), np.asarray(real, dtype=float)
    g, r = g / g.sum(), r / r.sum()
    some = g > 0
    if np.any(r[some] == 0):
        return float("inf")
    return float(np.sum(g[some] * np.log(g[some] / r[some])))


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """|mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) between the Gaussians fitted to two
    feature sets (n, d) and (m, d). Tr (S_a S_b)^(1/2) is taken as the sum of the square roots
    of the eigenvalues of S_a^(1/2) S_b S_a^(1/2), a symmetric matrix with the same spectrum."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    mu = a.mean(axis=0) - b.mean(axis=0)
    sa, sb = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    w, v = np.linalg.eigh(sa)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ sb @ root_a), 0, None)).sum()
    return float(max(0.0, mu @ mu + np.trace(sa) + np.trace(sb) - 2 * cross))


def real_radii(x: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """Each point's distance to its k-th nearest neighbour in its own set (the radii of its
    manifold's balls: computed once for a fixed real set, `precision_recall` takes them)."""
    return _radii(np.asarray(x, dtype=float), k)


def _radii(x: np.ndarray, k: int) -> np.ndarray:
    """Each point's distance to its k-th nearest neighbour in its own set."""
    d = cdist(x, x)
    return np.partition(d, k, axis=1)[:, k]  # column 0 after partitioning is the point itself (0)


def _inside(points: np.ndarray, centres: np.ndarray, radii: np.ndarray) -> np.ndarray:
    return (cdist(points, centres) <= radii[None, :]).any(axis=1)


def precision_recall(real: np.ndarray, generated: np.ndarray, k: int = NEIGHBOURS,
                     radii: np.ndarray | None = None) -> tuple[float, float]:
    """Precision: the share of generated samples inside the real manifold (the union of balls
    around each real sample reaching its k-th nearest real neighbour); recall: the share of
    real samples inside the generated manifold, built the same way. A generator whose images
    are bad loses precision; one that collapses onto a few kinds of image loses recall."""
    real, generated = np.asarray(real, dtype=float), np.asarray(generated, dtype=float)
    precision = _inside(generated, real, _radii(real, k) if radii is None else radii).mean()
    recall = _inside(real, generated, _radii(generated, k)).mean()
    return float(precision), float(recall)
