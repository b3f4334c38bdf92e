"""What a snapshot measures: D on an x grid, G on fixed noise draws, who fools whom.

A Probe is built once per training with its own random stream (so recording never changes
the training's draws) and called at each record point. It returns plain numpy arrays; the
renderer draws them. Nothing here draws pictures.
"""
from __future__ import annotations

import numpy as np
import torch

from .scenario import Scenario


class Probe1D:
    """Snapshots of a game whose real data live on the real line."""

    def __init__(self, sc: Scenario, real_set: torch.Tensor | None, seed: int):
        gen = torch.Generator().manual_seed(seed)
        rec, data, noise = sc.record, sc.data, sc.noise
        lo, hi = data.view_range()
        if noise.dim == 1:  # the noise is drawn on the same axis as the data
            nlo, nhi = noise.view_range()
            lo, hi = min(lo, nlo), max(hi, nhi)
        pad = 0.04 * (hi - lo)
        self.x_grid = torch.linspace(lo - pad, hi + pad, rec.grid).reshape(-1, 1)
        self.density_edges = np.linspace(lo - pad, hi + pad, 121)
        self.z_fixed = noise.sample(rec.mapping_samples, gen)
        self.z_fixed = self.z_fixed[torch.argsort(self.z_fixed[:, 0])]
        self.z_density = noise.sample(rec.density_samples, gen)
        self.real = real_set if real_set is not None else data.sample(1000, gen)
        self.static = {
            "x_grid": self.x_grid[:, 0].numpy().astype(np.float64),
            "real_pdf": data.pdf(self.x_grid[:, 0].numpy().astype(np.float64)),
            "real_samples": self.real.numpy().astype(np.float64),
            "z_fixed": self.z_fixed.numpy().astype(np.float64),
            "density_edges": self.density_edges,
        }

    @torch.no_grad()
    def __call__(self, G: torch.nn.Module, D: torch.nn.Module) -> dict[str, np.ndarray]:
        g_of_z = G(self.z_fixed)  # (N, 1) images of the fixed noise draws
        fake_many = G(self.z_density)  # (M, 1) many draws, for G's density
        fakes = fake_many[:, 0].numpy().astype(np.float64)
        hist, _ = np.histogram(fakes, bins=self.density_edges)
        width = np.diff(self.density_edges)
        return {
            "d_on_grid": torch.sigmoid(D(self.x_grid))[:, 0].numpy(),
            "g_of_z": g_of_z.numpy(),
            "fooled": (torch.sigmoid(D(g_of_z))[:, 0] > 0.5).numpy(),
            "g_density": hist / (len(fakes) * width),
            "d_real_mean": torch.sigmoid(D(self.real)).mean().numpy(),
            "d_fake_mean": torch.sigmoid(D(fake_many)).mean().numpy(),
        }
