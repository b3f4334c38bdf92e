"""A classifier of the real images, trained once per data set: the yardstick of the image
measures (imagemetrics.py). Its class probabilities give coverage and the class histogram; its
penultimate layer is the feature space of the Fréchet distance and of precision and recall
(Inception's weights cannot be downloaded here, and a domain classifier is the usual stand-in
for digits).

A small MLP on the flattened pixels, trained on a fixed 80 % of the images and scored on the
other 20 % (`accuracy`), deterministically for a seed; cached by the content hash of the images
and labels under $GANANIM_CACHE (default ~/.cache/gananim). Nothing here draws pictures.
"""
from __future__ import annotations

import hashlib
import io
import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .fileio import atomic_open

VERSION = 2  # bumped when the architecture or its training changes: cached classifiers are retrained
HIDDEN = (128, 64)  # the last hidden layer's activations are the features
EPOCHS = 60
STEPS = 20_000  # at most this many batches: fewer epochs for a large data set (MNIST's 60,000 images)
BATCH = 64
HELD_OUT = 0.2


def cache_folder() -> Path:
    return Path(os.environ.get("GANANIM_CACHE") or Path.home() / ".cache" / "gananim") / "classifiers"


def content_hash(images: np.ndarray, labels: np.ndarray) -> str:
    digest = hashlib.sha256(f"v{VERSION} {images.shape} {images.dtype} {labels.dtype}".encode())
    digest.update(np.ascontiguousarray(images).tobytes())
    digest.update(np.ascontiguousarray(labels).tobytes())
    return digest.hexdigest()[:24]


def _network(d_in: int, classes: int) -> nn.Sequential:
    return nn.Sequential(nn.Flatten(), nn.Linear(d_in, HIDDEN[0]), nn.ReLU(), nn.Linear(HIDDEN[0], HIDDEN[1]), nn.ReLU(),
                         nn.Linear(HIDDEN[1], classes))


@dataclass
class Classifier:
    network: nn.Sequential
    names: list[int]  # the labels of its classes, in the order of its outputs
    accuracy: float  # on the held-out 20 % of the real images
    key: str  # content hash of the data it was trained on

    @property
    def classes(self) -> int:
        return len(self.names)

    @torch.no_grad()
    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """(n, classes) class probabilities for images (n, ...) in [-1, 1]."""
        return torch.softmax(self.network(torch.as_tensor(images, dtype=torch.float32)), dim=1).double().numpy()

    @torch.no_grad()
    def features(self, images: np.ndarray) -> np.ndarray:
        """(n, HIDDEN[-1]) activations of the last hidden layer."""
        return self.network[:-1](torch.as_tensor(images, dtype=torch.float32)).double().numpy()


def train_classifier(images: np.ndarray, labels: np.ndarray, seed: int = 0) -> Classifier:
    """Train on a fixed 80 % (by `seed`), report the accuracy on the other 20 %."""
    rng = torch.Generator().manual_seed(seed)
    names = np.unique(labels)  # a subset of the digits has fewer classes than 10: outputs for those only
    x = torch.as_tensor(images, dtype=torch.float32)
    y = torch.as_tensor(np.searchsorted(names, labels), dtype=torch.int64)
    classes = len(names)
    order = torch.randperm(len(x), generator=rng)
    cut = int(round(len(x) * (1 - HELD_OUT)))
    train, test = order[:cut], order[cut:]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        network = _network(int(np.prod(images.shape[1:])), classes)
    optimiser = torch.optim.Adam(network.parameters(), lr=1e-3)
    for _ in range(min(EPOCHS, max(1, STEPS // -(-len(train) // BATCH)))):
        for batch in train[torch.randperm(len(train), generator=rng)].split(BATCH):
            optimiser.zero_grad()
            nn.functional.cross_entropy(network(x[batch]), y[batch]).backward()
            optimiser.step()
    network.eval()
    with torch.no_grad():
        accuracy = float((network(x[test]).argmax(dim=1) == y[test]).double().mean())
    return Classifier(network, [int(n) for n in names], accuracy, content_hash(images, labels))


def classifier_for(images: np.ndarray, labels: np.ndarray) -> Classifier:
    """The cached classifier of this data set, or a new one (then cached)."""
    key = content_hash(images, labels)
    path = cache_folder() / f"{key}.pt"
    try:
        saved = torch.load(path, weights_only=True)
        network = _network(int(np.prod(images.shape[1:])), len(saved["names"]))
        network.load_state_dict(saved["state"])
        return Classifier(network.eval(), list(saved["names"]), saved["accuracy"], key)
    except (OSError, KeyError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError):
        pass  # missing, from another version, or damaged: train again
    classifier = train_classifier(images, labels)
    buffer = io.BytesIO()
    torch.save({"names": classifier.names, "accuracy": classifier.accuracy,
                "state": classifier.network.state_dict()}, buffer)
    with atomic_open(path) as fh:
        fh.write(buffer.getvalue())
    return classifier
