"""Real distributions and noise laws: the DISTRIBUTIONS and NOISES registries.

Each entry is a pydantic model (its fields are the scenario keys) with
``sample(n, rng) -> Tensor (n, dim)`` drawn from a ``torch.Generator`` so a seed fixes
every draw; 1D distributions also have ``pdf(x)`` (numpy) so a probe can record the true
density next to what G makes. Mixtures (mixture, ring, grid) expose ``modes()`` -> (means
(K, 2), stds (K,)) for mode coverage. Every distribution has ``view_range()``: the box where
its mass lives, for grids and axes. Nothing here draws pictures.

torch is imported where a draw is made, not with the module: the schema (scenario.py) takes
its names and settings from these registries, and `gananim validate` draws nothing.
"""
from __future__ import annotations

import functools
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Callable, ClassVar, Literal, Optional, Sequence

import numpy as np
from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, Strict, ValidationInfo, field_validator,
                      model_validator)

if TYPE_CHECKING:
    import torch

Int = Annotated[int, Strict()]  # YAML's `true` is not 1, and 2.5 is not 2
MAX_REAL = 1e6  # every real number of a scenario is 0 or between MIN_REAL and MAX_REAL in size
MIN_REAL = 1e-9


def _in_range(x: float) -> float:
    if abs(x) > MAX_REAL:
        raise ValueError(f"must be between -{MAX_REAL:g} and {MAX_REAL:g} (got {x:g})")
    if 0 < abs(x) < MIN_REAL:
        raise ValueError(f"must be 0 or at least {MIN_REAL:g} in size (got {x:g})")
    return x


# a number, not text: `lr: '0.1'` is refused like `games: '5'`; an integer is taken as a float
Real = Annotated[float, Strict(), AfterValidator(_in_range)]


def per_seed(rngs: Sequence[torch.Generator], draw: Callable[[torch.Generator], torch.Tensor]) -> torch.Tensor:
    """draw(generator) for every seed's generator, stacked on a leading seed axis: each seed's
    draws come from its own stream, one call per generator, as in a run of that seed alone."""
    import torch

    if len(rngs) == 1:
        return draw(rngs[0]).unsqueeze(0)
    return torch.stack([draw(g) for g in rngs])


def _above(low_key: str, default: float):
    """A field validator: this value must exceed the field `low_key` (validated before it)."""

    def check(cls, high: float, info: ValidationInfo) -> float:
        low = info.data.get(low_key, default)
        if not high > low:
            raise ValueError(f"must be > {low_key} ({low}) (got {high})")
        return high

    return check


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Gaussian(_Spec):
    """N(mean, std^2) on the real line."""

    kind: Literal["gaussian"] = "gaussian"
    mean: Real = 0.0
    std: Real = Field(1.0, gt=0.0)
    samples: Optional[Int] = Field(None, ge=2, le=1_000_000, description="one fixed finite training set")

    dim: ClassVar[int] = 1
    domain: ClassVar[str] = "line"  # probes, panels and layouts are registered by domain

    def sample(self, n: int, rng: torch.Generator) -> torch.Tensor:
        import torch

        return self.mean + self.std * torch.randn(n, 1, generator=rng)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        u = (np.asarray(x, dtype=float) - self.mean) / self.std
        return np.exp(-0.5 * u * u) / (self.std * math.sqrt(2 * math.pi))

    def view_range(self) -> tuple[float, float]:
        """Where the data lives, for grids and axes: mean +- 3 std."""
        half = 3.0 * self.std
        return self.mean - half, self.mean + half


class Dirac(_Spec):
    """A point mass at 0: the real data of the Dirac-GAN (Mescheder, Geiger & Nowozin 2018,
    Section 2), where G is a point mass at theta and D(x) = psi * x. The game has two
    parameters, so its whole gradient field is drawn (domain "dirac")."""

    kind: Literal["dirac"] = "dirac"

    dim: ClassVar[int] = 1
    domain: ClassVar[str] = "dirac"

    def sample(self, n: int, rng: torch.Generator) -> torch.Tensor:
        import torch

        return torch.zeros(n, 1)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """No density (a point mass): zeros, so a density curve draws nothing."""
        return np.zeros_like(np.asarray(x, dtype=float))

    def view_range(self) -> tuple[float, float]:
        return -2.0, 2.0


class _Mixture2D(_Spec):
    """Isotropic Gaussian modes in the plane; subclasses define the means, weights and std."""

    dim: ClassVar[int] = 2
    domain: ClassVar[str] = "plane"
    samples: Optional[Int] = Field(None, ge=1, le=1_000_000, description="one fixed finite training set")

    def modes(self) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def weights(self) -> np.ndarray:
        means, _ = self.modes()
        return np.full(len(means), 1.0 / len(means))

    def sample(self, n: int, rng: torch.Generator) -> torch.Tensor:
        import torch

        weights, means, stds = _mixture_tensors(self)
        which = torch.multinomial(weights, n, replacement=True, generator=rng)
        return means[which] + stds[which] * torch.randn(n, 2, generator=rng)

    def view_range(self) -> tuple[tuple[float, float], tuple[float, float]]:
        means, stds = self.modes()
        pad = 3.5 * stds.max() + 0.05 * np.ptp(means, axis=0).max()
        lo, hi = means.min(axis=0) - pad, means.max(axis=0) + pad
        return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


@functools.lru_cache(maxsize=32)
def _mixture_tensors(spec: _Mixture2D) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(weights, means (k, 2), stds (k, 1)) as tensors, made once per spec (a 2D game draws
    a batch at every step). The spec is the cache key: Ring and Grid have hashable fields
    only; Mixture (a list of components) draws with its own `sample`."""
    import torch

    means, stds = spec.modes()
    return (torch.as_tensor(spec.weights()), torch.as_tensor(means, dtype=torch.float32),
            torch.as_tensor(stds, dtype=torch.float32)[:, None])


class Ring(_Mixture2D):
    """k Gaussians of one std, evenly spaced on a circle of the given radius."""

    kind: Literal["ring"] = "ring"
    k: Int = Field(8, ge=1, le=1000)
    radius: Real = Field(2.0, gt=0.0)
    std: Real = Field(0.02, gt=0.0)

    def modes(self) -> tuple[np.ndarray, np.ndarray]:
        angle = 2 * np.pi * np.arange(self.k) / self.k
        return self.radius * np.stack([np.cos(angle), np.sin(angle)], axis=1), np.full(self.k, self.std)


class Grid(_Mixture2D):
    """k x k Gaussians of one std on a square grid centred at 0 with the given spacing."""

    kind: Literal["grid"] = "grid"
    k: Int = Field(5, ge=1, le=32)
    spacing: Real = Field(1.0, gt=0.0)
    std: Real = Field(0.05, gt=0.0)

    def modes(self) -> tuple[np.ndarray, np.ndarray]:
        axis = (np.arange(self.k) - (self.k - 1) / 2) * self.spacing
        gx, gy = np.meshgrid(axis, axis, indexing="xy")
        return np.stack([gx.ravel(), gy.ravel()], axis=1), np.full(self.k * self.k, self.std)


class Component(_Spec):
    mean: tuple[Real, Real]
    cov: tuple[tuple[Real, Real], tuple[Real, Real]] = ((0.01, 0.0), (0.0, 0.01))
    weight: Real = Field(1.0, gt=0.0)

    @field_validator("cov")
    @classmethod
    def _positive_definite(cls, cov):
        c = np.array(cov, dtype=float)
        if not np.allclose(c, c.T) or np.linalg.eigvalsh(c).min() <= 0:
            raise ValueError(f"must be a symmetric positive definite 2 x 2 matrix (got {cov})")
        return cov


class Mixture(_Mixture2D):
    """Any Gaussian mixture in the plane: components with mean, cov (2 x 2) and weight."""

    kind: Literal["mixture"] = "mixture"
    components: list[Component] = Field(
        default_factory=lambda: [Component(mean=(-1.0, 0.0)), Component(mean=(1.0, 0.0))], min_length=1,
        max_length=1000)

    def modes(self) -> tuple[np.ndarray, np.ndarray]:
        means = np.array([c.mean for c in self.components], dtype=float)
        # one std per mode for the coverage test: the largest std of the component
        stds = np.array([np.sqrt(np.linalg.eigvalsh(np.array(c.cov)).max()) for c in self.components])
        return means, stds

    def weights(self) -> np.ndarray:
        w = np.array([c.weight for c in self.components], dtype=float)
        return w / w.sum()

    def sample(self, n: int, rng: torch.Generator) -> torch.Tensor:
        import torch

        which = torch.multinomial(torch.as_tensor(self.weights()), n, replacement=True, generator=rng)
        means = torch.tensor([c.mean for c in self.components], dtype=torch.float32)
        chol = torch.linalg.cholesky(torch.tensor([c.cov for c in self.components], dtype=torch.float64)).float()
        return means[which] + torch.einsum("nij,nj->ni", chol[which], torch.randn(n, 2, generator=rng))


class Sine(_Spec):
    """x ~ U(x_low, x_high), y = amplitude sin(frequency x) + N(0, noise_width^2)."""

    kind: Literal["sine"] = "sine"
    x_low: Real = -3.0
    x_high: Real = Field(3.0, validate_default=True)
    amplitude: Real = 1.0
    frequency: Real = 1.0
    noise_width: Real = Field(0.1, ge=0.0)
    samples: Optional[Int] = Field(None, ge=1, le=1_000_000, description="one fixed finite training set")

    dim: ClassVar[int] = 2
    domain: ClassVar[str] = "plane"

    _x_high_above_low = field_validator("x_high")(_above("x_low", -3.0))

    def sample(self, n: int, rng: torch.Generator) -> torch.Tensor:
        import torch

        x = self.x_low + (self.x_high - self.x_low) * torch.rand(n, generator=rng)
        y = self.amplitude * torch.sin(self.frequency * x) + self.noise_width * torch.randn(n, generator=rng)
        return torch.stack([x, y], dim=1)

    def view_range(self) -> tuple[tuple[float, float], tuple[float, float]]:
        pad_x = 0.08 * (self.x_high - self.x_low)
        half = abs(self.amplitude) + 3 * self.noise_width
        pad_y = 0.15 * max(half, 0.5)
        return (self.x_low - pad_x, self.x_high + pad_x), (-half - pad_y, half + pad_y)


@functools.lru_cache(maxsize=8)
def _digits(classes: Optional[tuple[int, ...]]) -> tuple[torch.Tensor, np.ndarray]:
    import torch

    from .datasets import digits

    images, labels = digits(list(classes) if classes is not None else None)
    return torch.from_numpy(images.reshape(len(images), -1)), labels


def _one_each(values: Optional[list[int]]) -> Optional[list[int]]:
    if values is not None and len(set(values)) != len(values):
        raise ValueError(f"must not name a class twice (got {values})")
    return values


class Digits(_Spec):
    """scikit-learn's handwritten digits: 1,797 images of 8 x 8 pixels (shipped inside
    scikit-learn), pixels in [-1, 1] (background -1); `classes` keeps only those digits. Batches
    go through the images in epochs (trainer: shuffled anew each epoch); `sample` draws with
    replacement (the probes' fixed real batches)."""

    kind: Literal["digits"] = "digits"
    classes: Optional[list[Annotated[int, Strict(), Field(ge=0, le=9)]]] = Field(None, min_length=1, max_length=10)

    dim: ClassVar[int] = 64
    domain: ClassVar[str] = "image"
    image_shape: ClassVar[tuple[int, int]] = (8, 8)
    # images of each digit 0-9 in scikit-learn's copy (the UCI set's 1,797): the schema counts an
    # epoch without loading scikit-learn; tests/test_startup.py checks them against the data
    per_class: ClassVar[tuple[int, ...]] = (178, 182, 177, 183, 181, 182, 181, 179, 174, 180)

    _one_each = field_validator("classes")(_one_each)

    def dataset(self) -> tuple[torch.Tensor, np.ndarray]:
        """Every image (n, 64) and its label (n,)."""
        return _digits(tuple(self.classes) if self.classes is not None else None)

    def count(self) -> int:
        """How many images the set has (an epoch goes through each once)."""
        return sum(self.per_class[c] for c in (self.classes if self.classes is not None else range(10)))

    def sample(self, n: int, rng: torch.Generator) -> torch.Tensor:
        import torch

        images, _ = self.dataset()
        return images[torch.randint(len(images), (n,), generator=rng)]

    def view_range(self) -> tuple[float, float]:
        return -1.0, 1.0


@functools.lru_cache(maxsize=4)
def _idx(images: Path, labels: Path, classes: Optional[tuple[int, ...]]) -> tuple[torch.Tensor, np.ndarray]:
    import torch

    from .datasets import read_images_and_labels, unit_range

    pixels, names = read_images_and_labels(images, labels)
    if classes is not None:
        keep = np.isin(names, classes)
        pixels, names = pixels[keep], names[keep]
    return torch.from_numpy(unit_range(pixels).reshape(len(pixels), -1)), names.astype(np.int64)


FETCH_HINT = "MNIST and Fashion-MNIST: gananim data fetch mnist|fashion-mnist --to FOLDER"


class MissingData(ValueError):
    """A data file that is not there: the message says how to fetch it (the gallery shows it on
    a card instead of failing)."""


def fetch_hint(source: Optional[str], path: Path) -> str:
    """The command that fetches the file at `path`: its data set named by `source`, into its folder."""
    from .errors import shown

    if source is None:
        return f"not here; {FETCH_HINT}"
    return f"not here; fetch them with: gananim data fetch {source} --to {shown(path.parent)}"


def _idx_file(path: str, info: ValidationInfo) -> str:
    """An IDX file named relative to the scenario file's folder (the validation context's base)."""
    from .datasets import DataError, idx_header

    full = Path(os.path.normpath(Path((info.context or {}).get("base") or ".") / path))  # no "folder/../" shown
    try:
        dtype, shape = idx_header(full)
    except DataError as exc:
        if "no such file" in str(exc):
            # the command first: a long path is cut short in a one-line message, the command is not
            raise MissingData(f"{fetch_hint(info.data.get('source'), full)} ({exc})") from None
        raise ValueError(str(exc)) from None
    if info.field_name == "images" and (len(shape) != 3 or dtype != np.uint8):
        raise ValueError(f"{full}: not images: an IDX array of shape {shape} (expected (n, rows, cols) of bytes)")
    if info.field_name == "labels" and len(shape) != 1:
        raise ValueError(f"{full}: not labels: an IDX array of shape {shape} (expected (n,))")
    return path


class Idx(_Spec):
    """Images and their labels in IDX files (LeCun's format: MNIST, Fashion-MNIST), gzip or raw,
    named relative to the scenario file; pixels scaled to [-1, 1]. `classes` keeps only those
    labels. Batches go through the images in epochs, like the digits'."""

    kind: Literal["idx"] = "idx"
    # the data set the files come from (datasets.SOURCES): a missing file's message says how to fetch it
    source: Optional[Literal["mnist", "fashion-mnist"]] = None
    images: str = Field(min_length=1, max_length=4096)
    labels: str = Field(min_length=1, max_length=4096)
    classes: Optional[list[Annotated[int, Strict(), Field(ge=0, le=255)]]] = Field(None, min_length=1, max_length=256)

    domain: ClassVar[str] = "image"
    _base: Path = PrivateAttr(default=Path("."))
    _shape: tuple[int, int] = PrivateAttr(default=(0, 0))

    _checked = field_validator("images", "labels")(_idx_file)
    _one_each = field_validator("classes")(_one_each)

    @model_validator(mode="after")
    def _keep_base(self, info: ValidationInfo) -> "Idx":
        from .datasets import idx_header

        self._base = Path((info.context or {}).get("base") or ".")
        _, shape = idx_header(self._base / self.images)  # checked by _checked: (n, rows, cols)
        _, (n_labels,) = idx_header(self._base / self.labels)
        if n_labels != shape[0]:
            raise ValueError(f"{self._base / self.labels}: {n_labels} labels for {shape[0]} images in "
                             f"{self._base / self.images}")
        self._shape = (shape[1], shape[2])
        return self

    @property
    def image_shape(self) -> tuple[int, int]:
        return self._shape

    @property
    def dim(self) -> int:
        rows, cols = self.image_shape
        return rows * cols

    def dataset(self) -> tuple[torch.Tensor, np.ndarray]:
        """Every image (n, rows * cols) and its label (n,)."""
        classes = tuple(self.classes) if self.classes is not None else None
        return _idx((self._base / self.images).resolve(), (self._base / self.labels).resolve(), classes)

    def count(self) -> int:
        """How many images the set has (the labels file alone is read when `classes` picks some)."""
        from .datasets import idx_header, read_idx

        if self.classes is None:
            return idx_header(self._base / self.images)[1][0]
        return int(np.isin(read_idx(self._base / self.labels), self.classes).sum())

    def sample(self, n: int, rng: torch.Generator) -> torch.Tensor:
        import torch

        images, _ = self.dataset()
        return images[torch.randint(len(images), (n,), generator=rng)]

    def view_range(self) -> tuple[float, float]:
        return -1.0, 1.0


class UniformNoise(_Spec):
    """z ~ U(low, high)^dim."""

    kind: Literal["uniform"] = "uniform"
    low: Real = 0.0
    high: Real = Field(1.0, validate_default=True)
    dim: Int = Field(1, ge=1, le=1024)

    _high_above_low = field_validator("high")(_above("low", 0.0))

    def standard(self, n: int, rng: torch.Generator) -> torch.Tensor:
        """The draws before shift and scale: U(0, 1)."""
        import torch

        return torch.rand(n, self.dim, generator=rng)

    def place(self, u: torch.Tensor) -> torch.Tensor:
        """Standard draws (any leading axes: a sweep places every seed's draws at once) -> z."""
        return self.low + (self.high - self.low) * u

    def sample(self, n: int, rng: torch.Generator) -> torch.Tensor:
        return self.place(self.standard(n, rng))

    def view_range(self) -> tuple[float, float]:
        return self.low, self.high


class NormalNoise(_Spec):
    """z ~ N(mean, std^2 I) in dim dimensions."""

    kind: Literal["normal"] = "normal"
    mean: Real = 0.0
    std: Real = Field(1.0, gt=0.0)
    dim: Int = Field(1, ge=1, le=1024)

    def standard(self, n: int, rng: torch.Generator) -> torch.Tensor:
        """The draws before shift and scale: N(0, I)."""
        import torch

        return torch.randn(n, self.dim, generator=rng)

    def place(self, u: torch.Tensor) -> torch.Tensor:
        """Standard draws (any leading axes: a sweep places every seed's draws at once) -> z."""
        return self.mean + self.std * u

    def sample(self, n: int, rng: torch.Generator) -> torch.Tensor:
        return self.place(self.standard(n, rng))

    def view_range(self) -> tuple[float, float]:
        return self.mean - 3 * self.std, self.mean + 3 * self.std


DISTRIBUTIONS: dict[str, type[_Spec]] = {
    "gaussian": Gaussian, "dirac": Dirac, "sine": Sine, "mixture": Mixture, "ring": Ring, "grid": Grid, "digits": Digits, "idx": Idx,
}
NOISES: dict[str, type[_Spec]] = {"uniform": UniformNoise, "normal": NormalNoise}
