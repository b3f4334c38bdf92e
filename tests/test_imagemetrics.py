"""The image measures on constructed sets whose answers are known."""
import math

import numpy as np
import pytest

from gananim.imagemetrics import class_histogram, class_kl, classes_covered, frechet_distance, precision_recall


def one_hot(labels, k=10, sure=0.95):
    p = np.full((len(labels), k), (1 - sure) / (k - 1))
    p[np.arange(len(labels)), labels] = sure
    return p


def test_coverage_counts_classes_with_enough_confident_samples():
    every = one_hot(np.arange(1000) % 10)
    assert classes_covered(every) == 10
    assert classes_covered(one_hot(np.zeros(1000, int))) == 1  # collapsed onto one class
    few = one_hot(np.r_[np.zeros(995, int), np.full(5, 3)])  # 0.5 % in class 3: under the 1 % share
    assert classes_covered(few) == 1
    unsure = one_hot(np.arange(1000) % 10, sure=0.6)  # the classifier is unsure of every sample
    assert classes_covered(unsure) == 0
    assert class_histogram(every).tolist() == [0.1] * 10


def test_kl_of_the_class_histograms():
    uniform = np.full(10, 0.1)
    assert class_kl(uniform, uniform) == 0.0
    assert class_kl(np.eye(10)[4], uniform) == pytest.approx(math.log(10))
    assert class_kl([0.5, 0.5, 0], [0.25, 0.25, 0.5]) == pytest.approx(math.log(2))
    assert class_kl([0.5, 0.5], [1.0, 0.0]) == math.inf


def test_frechet_distance_is_zero_on_itself_and_the_squared_shift_for_a_shift():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(2000, 6)) @ rng.normal(size=(6, 6))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-8 * np.trace(np.cov(a, rowvar=False)))
    shift = np.arange(6.0)
    assert frechet_distance(a, a + shift) == pytest.approx(shift @ shift, rel=1e-9)
    # N(0, I) against N(0, 4 I) in d dimensions: Tr(I + 4I - 2 * 2I) = d
    b, c = rng.normal(size=(20000, 3)), 2 * rng.normal(size=(20000, 3))
    assert frechet_distance(b, c) == pytest.approx(3.0, rel=0.05)


def test_precision_and_recall_tell_bad_images_from_collapse():
    rng = np.random.default_rng(1)
    centres = 10 * np.eye(5)
    real = np.concatenate([c + rng.normal(size=(200, 5)) for c in centres])
    assert precision_recall(real, real) == (1.0, 1.0)
    same_law = np.concatenate([c + rng.normal(size=(200, 5)) for c in centres])
    p, r = precision_recall(real, same_law)
    assert p > 0.9 and r > 0.9
    collapsed = centres[0] + rng.normal(size=(1000, 5))  # every image one kind: good ones
    p, r = precision_recall(real, collapsed)
    assert p > 0.9 and r < 0.3
    far = 50 + rng.normal(size=(1000, 5))  # bad images
    assert precision_recall(real, far) == (0.0, 0.0)
