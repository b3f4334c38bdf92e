"""The digits, the classifier that is the image measures' yardstick, and the measures on real
digits: the real data score as real, a collapsed set scores as collapsed."""
import math

import numpy as np
import pytest

from gananim import classifier as clf
from gananim.datasets import digits
from gananim.imagemetrics import class_histogram, class_kl, classes_covered, frechet_distance, precision_recall


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANANIM_CACHE", str(cache))
        images, labels = digits()
        yield images, labels, clf.classifier_for(images, labels), cache


def test_digits_are_scikit_learns_in_minus_one_one():
    images, labels = digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float32
    assert images.min() == -1.0 and images.max() == 1.0
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    few, few_labels = digits(classes=[3, 7])
    assert set(few_labels.tolist()) == {3, 7} and len(few) == 183 + 179


def test_the_classifier_reaches_95_percent_on_held_out_digits(trained):
    images, labels, model, _ = trained
    assert model.accuracy >= 0.95  # measured: 0.978 on the 360 held-out images
    assert model.classes == 10
    assert model.features(images[:5]).shape == (5, clf.HIDDEN[-1])
    p = model.probabilities(images[:100])
    assert p.shape == (100, 10) and np.allclose(p.sum(axis=1), 1.0)


def test_the_classifier_is_cached_by_the_datas_content(trained, monkeypatch):
    images, labels, model, cache = trained
    monkeypatch.setenv("GANANIM_CACHE", str(cache))
    monkeypatch.setattr(clf, "train_classifier", lambda *a, **k: pytest.fail("trained again"))
    again = clf.classifier_for(images, labels)
    assert again.key == model.key and again.accuracy == model.accuracy
    assert np.array_equal(again.probabilities(images[:50]), model.probabilities(images[:50]))
    assert clf.content_hash(images[1:], labels[1:]) != model.key  # other data, another classifier


def test_measures_on_real_digits_and_on_a_collapsed_set(trained):
    """Real against real: every class covered, KL and Fréchet distance near 0, precision and
    recall high. Only the ones: one class, KL near log 10, recall low."""
    images, labels, model, _ = trained
    half = np.random.default_rng(0).permutation(len(images))
    a, b = images[half[:900]], images[half[900:]]
    feats_a, feats_b = model.features(a), model.features(b)
    assert frechet_distance(feats_a, feats_a) == pytest.approx(0.0, abs=1e-6)
    real_fd = frechet_distance(feats_a, feats_b)
    probs_b = model.probabilities(b)
    assert classes_covered(probs_b) == 10
    assert class_kl(class_histogram(probs_b), class_histogram(model.probabilities(a))) < 0.02
    p, r = precision_recall(feats_a, feats_b)
    assert p > 0.8 and r > 0.8
    ones = images[labels == 1]
    probs_ones = model.probabilities(ones)
    assert classes_covered(probs_ones) <= 2
    assert class_kl(class_histogram(probs_ones), class_histogram(model.probabilities(a))) > 0.8 * math.log(10)
    feats_ones = model.features(ones)
    assert frechet_distance(feats_a, feats_ones) > 5 * real_fd
    p, r = precision_recall(feats_a, feats_ones)
    assert r < 0.3


def test_a_damaged_cache_file_is_trained_again(trained, monkeypatch, tmp_path):
    images, labels, model, _ = trained
    monkeypatch.setenv("GANANIM_CACHE", str(tmp_path))
    (tmp_path / "classifiers").mkdir()
    (tmp_path / "classifiers" / f"{model.key}.pt").write_bytes(b"not a checkpoint")
    calls = []
    train = clf.train_classifier
    monkeypatch.setattr(clf, "train_classifier", lambda *a: calls.append(1) or train(*a))
    again = clf.classifier_for(images[:400], labels[:400])  # other data: its own key, trained
    assert calls and again.key != model.key
    small = clf.classifier_for(images, labels)  # the damaged file: trained again, then cached
    assert len(calls) == 2 and small.accuracy == model.accuracy
    assert clf.classifier_for(images, labels).accuracy == model.accuracy and len(calls) == 2
