"""Real distributions and noise laws: the DISTRIBUTIONS and NOISES registries.

Each entry is a pydantic model (its fields are the scenario keys) with
``sample(n, gen) -> Tensor (n, dim)`` drawn from a ``torch.Generator`` so a seed fixes
every draw; 1D distributions also have ``pdf(x)`` (numpy) so a probe can record the true
density next to what G makes. Nothing here draws pictures.
"""
from __future__ import annotations

import math
from typing import ClassVar, Literal, Optional

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Gaussian(_Spec):
    """N(mean, std^2) on the real line."""

    kind: Literal["gaussian"] = "gaussian"
    mean: float = 0.0
    std: float = Field(1.0, ge=0.0)
    samples: Optional[int] = Field(None, ge=1, description="one fixed finite training set")

    dim: ClassVar[int] = 1

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        return self.mean + self.std * torch.randn(n, 1, generator=gen)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        if self.std == 0:
            return np.where(np.isclose(x, self.mean), np.inf, 0.0)
        u = (np.asarray(x, dtype=float) - self.mean) / self.std
        return np.exp(-0.5 * u * u) / (self.std * math.sqrt(2 * math.pi))

    def view_range(self) -> tuple[float, float]:
        """Where the data lives, for grids and axes: mean +- 3 std."""
        half = 3.0 * max(self.std, 1e-3)
        return self.mean - half, self.mean + half


class UniformNoise(_Spec):
    """z ~ U(low, high)^dim."""

    kind: Literal["uniform"] = "uniform"
    low: float = 0.0
    high: float = Field(1.0, validate_default=True)
    dim: int = Field(1, ge=1)

    @field_validator("high")
    @classmethod
    def _above_low(cls, high: float, info: ValidationInfo) -> float:
        low = info.data.get("low", 0.0)
        if not high > low:
            raise ValueError(f"must be > low ({low}) (got {high})")
        return high

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        return self.low + (self.high - self.low) * torch.rand(n, self.dim, generator=gen)

    def view_range(self) -> tuple[float, float]:
        return self.low, self.high


class NormalNoise(_Spec):
    """z ~ N(mean, std^2 I) in dim dimensions."""

    kind: Literal["normal"] = "normal"
    mean: float = 0.0
    std: float = Field(1.0, gt=0.0)
    dim: int = Field(1, ge=1)

    def sample(self, n: int, gen: torch.Generator) -> torch.Tensor:
        return self.mean + self.std * torch.randn(n, self.dim, generator=gen)

    def view_range(self) -> tuple[float, float]:
        return self.mean - 3 * self.std, self.mean + 3 * self.std


DISTRIBUTIONS: dict[str, type[_Spec]] = {"gaussian": Gaussian}
NOISES: dict[str, type[_Spec]] = {"uniform": UniformNoise, "normal": NormalNoise}
