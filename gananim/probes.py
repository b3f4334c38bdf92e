"""What a snapshot measures: D on a grid, G on fixed noise draws, who fools whom, G's
manifold, the push G receives, and how far G's samples are from the data (energy distance;
mode coverage for mixtures).

A probe is built once per training with its own random stream (so recording never changes
the training's draws) and called at each record point. It returns plain numpy arrays; the
renderer draws them. PROBES maps the data's domain to its probe. Nothing here draws pictures.
torch and the measures (scipy) are imported when a probe is made or called: cost.py reads the
probes' sizes (`cost`) for `gananim validate` without them.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from .losses import LOSSES
from .scenario import Scenario

if TYPE_CHECKING:
    import torch

METRIC_SAMPLES = 2500  # G samples per snapshot for coverage (VEEGAN/PacGAN use 2,500)
DISTANCE_SAMPLES = 1000  # samples from each side for the energy distance


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy().astype(np.float64)


def _no_grad(method):
    """torch.no_grad() around a method, with torch imported when it is called."""

    @functools.wraps(method)
    def wrapped(*args, **kwargs):
        import torch

        with torch.no_grad():
            return method(*args, **kwargs)

    return wrapped


class _Probe:
    tracks = False  # True: track(D_flat, G_flat) at the start and after every game, tracked() at the end

    def __init__(self, sc: Scenario, real_set: torch.Tensor | None, seed: int):
        import torch

        from .metrics import energy_distance_to

        self.sc = sc
        self.rng = torch.Generator().manual_seed(seed)
        data, noise = sc.data, sc.noise
        self.z_fixed = noise.sample(sc.record.mapping_samples or self.default_samples, self.rng)
        self.z_metric = noise.sample(METRIC_SAMPLES, self.rng)
        self.real = real_set if real_set is not None else data.sample(1000, self.rng)
        self.real_metric = _np(data.sample(DISTANCE_SAMPLES, self.rng))
        self.distance_to_data = energy_distance_to(self.real_metric)
        self.modes = data.modes() if hasattr(data, "modes") else None
        self.loss = LOSSES[sc.loss]
        self.static: dict[str, np.ndarray] = {"real_samples": _np(self.real)}
        self.meta: dict = {}
        if self.modes is not None:
            self.static |= {"mode_means": self.modes[0], "mode_stds": self.modes[1]}
            self.meta["modes_total"] = len(self.modes[0])

    def d(self, D, x: torch.Tensor) -> torch.Tensor:
        """D as drawn: a probability, a least-squares score, or a critic value."""
        return self.loss.display(D(x))

    def fooled(self, D, fakes: torch.Tensor) -> np.ndarray:
        """D(G(z)) > 1/2; for a critic (no such threshold): f(G(z)) above the mean of f on real data."""
        if self.loss.output == "critic":
            return (D(fakes)[:, 0] > D(self.real).mean()).numpy()
        return (self.d(D, fakes)[:, 0] > 0.5).numpy()

    def distances(self, fakes: np.ndarray) -> dict[str, np.ndarray]:
        """Distances of the domain's own beyond the energy distance (none by default)."""
        return {}

    def common(self, G, D) -> dict[str, np.ndarray]:
        from .metrics import mode_coverage

        fakes = G(self.z_metric)
        out = {
            "d_real_mean": np.float64(self.d(D, self.real).mean()),
            "d_fake_mean": np.float64(self.d(D, fakes).mean()),
            "energy_distance": np.float64(self.distance_to_data(_np(fakes[:DISTANCE_SAMPLES]))),
        }
        out |= self.distances(_np(fakes))
        if self.modes is not None:
            covered, quality = mode_coverage(_np(fakes), *self.modes)
            out |= {"modes_covered": np.int64(covered), "high_quality": np.float64(quality)}
        return out


class Probe1D(_Probe):
    """Real data on the real line: D as a curve, G's density as a histogram."""

    default_samples = 10

    @staticmethod
    def cost(sc: Scenario) -> tuple[int, int]:
        """(rows G or D maps, floats recorded) per snapshot, for cost.estimate."""
        mapping = sc.record.mapping_samples or Probe1D.default_samples
        rows = max(METRIC_SAMPLES, sc.record.density_samples, sc.record.grid)
        return rows, sc.record.grid + 130 + 3 * mapping

    def __init__(self, sc: Scenario, real_set: torch.Tensor | None, seed: int):
        import torch

        super().__init__(sc, real_set, seed)
        rec, data, noise = sc.record, sc.data, sc.noise
        lo, hi = data.view_range()
        if noise.dim == 1:  # the noise is drawn on the same axis as the data
            nlo, nhi = noise.view_range()
            lo, hi = min(lo, nlo), max(hi, nhi)
        pad = 0.04 * (hi - lo)
        if rec.view is not None and rec.view.x is not None:  # a family's shared range, as given
            (lo, hi), pad = rec.view.x, 0.0
        self.x_grid = torch.linspace(lo - pad, hi + pad, rec.grid).reshape(-1, 1)
        self.density_edges = np.linspace(lo - pad, hi + pad, 121)
        self.z_fixed = self.z_fixed[torch.argsort(self.z_fixed[:, 0])]
        self.z_density = noise.sample(rec.density_samples, self.rng)
        self.static |= {
            "x_grid": _np(self.x_grid[:, 0]),
            "real_pdf": data.pdf(_np(self.x_grid[:, 0])),
            "z_fixed": _np(self.z_fixed),
            "density_edges": self.density_edges,
        }

    def distances(self, fakes: np.ndarray) -> dict[str, np.ndarray]:
        """The true W1 to the data: cheap on a line (sorting)."""
        from .metrics import wasserstein_1d

        return {"w1": np.float64(wasserstein_1d(fakes[:, 0], self.real_metric[:, 0]))}

    @_no_grad
    def __call__(self, G: torch.nn.Module, D: torch.nn.Module) -> dict[str, np.ndarray]:
        g_of_z = G(self.z_fixed)  # (N, 1) images of the fixed noise draws
        fakes = _np(G(self.z_density)[:, 0])
        hist, _ = np.histogram(fakes, bins=self.density_edges)
        return self.common(G, D) | {
            "d_on_grid": self.d(D, self.x_grid)[:, 0].numpy(),
            "g_of_z": g_of_z.numpy(),
            "d_of_fakes": self.d(D, g_of_z)[:, 0].numpy(),
            "fooled": self.fooled(D, g_of_z),
            "g_density": hist / (len(fakes) * np.diff(self.density_edges)),
        }


class Probe2D(_Probe):
    """Real data in the plane: D as a heat map, G's samples, G's manifold, the push on G."""

    default_samples = 512

    @classmethod
    def cost(cls, sc: Scenario) -> tuple[int, int]:
        """(rows G or D maps, floats recorded) per snapshot, for cost.estimate."""
        mapping = sc.record.mapping_samples or cls.default_samples
        return max(METRIC_SAMPLES, cls.heat**2), cls.heat**2 + 6 * mapping + 3700
    heat = 90  # heat-map resolution per axis
    arrows = 24  # fakes that get an arrow of the gradient G receives
    manifold_lines = 15  # grid lines per noise axis (2D noise)
    manifold_points = 60  # points along each line

    def __init__(self, sc: Scenario, real_set: torch.Tensor | None, seed: int):
        import torch

        super().__init__(sc, real_set, seed)
        (x0, x1), (y0, y1) = sc.data.view_range()
        view = sc.record.view
        if view is not None:  # a family's shared ranges, as given
            (x0, x1), (y0, y1) = view.x or (x0, x1), view.y or (y0, y1)
        gx, gy = np.linspace(x0, x1, self.heat), np.linspace(y0, y1, self.heat)
        mesh = np.stack(np.meshgrid(gx, gy, indexing="xy"), axis=-1).reshape(-1, 2)
        self.heat_points = torch.tensor(mesh, dtype=torch.float32)
        self.static |= {"grid_x": gx, "grid_y": gy, "z_fixed": _np(self.z_fixed)}
        self.manifold_z = self._manifold_noise(sc.noise)

    def _manifold_noise(self, noise) -> torch.Tensor | None:
        """A grid in noise space: (L, M, dz) for 1D and 2D noise, None above."""
        import torch

        lo, hi = noise.view_range()
        t = torch.linspace(lo, hi, self.manifold_points * 3 if noise.dim == 1 else self.manifold_points)
        if noise.dim == 1:
            return t.reshape(1, -1, 1)
        if noise.dim == 2:
            ticks = torch.linspace(lo, hi, self.manifold_lines)
            rows = torch.stack([torch.stack([t, torch.full_like(t, c)], -1) for c in ticks])
            cols = torch.stack([torch.stack([torch.full_like(t, c), t], -1) for c in ticks])
            return torch.cat([rows, cols])
        return None

    def __call__(self, G: torch.nn.Module, D: torch.nn.Module) -> dict[str, np.ndarray]:
        import torch

        with torch.no_grad():
            g_of_z = G(self.z_fixed)  # (N, 2)
            out = self.common(G, D) | {
                "d_on_grid": self.d(D, self.heat_points).reshape(self.heat, self.heat).numpy(),
                "g_of_z": g_of_z.numpy(),
                "d_of_fakes": self.d(D, g_of_z)[:, 0].numpy(),
                "fooled": self.fooled(D, g_of_z),
            }
            if self.manifold_z is not None:
                lines, points, dz = self.manifold_z.shape
                out["manifold"] = G(self.manifold_z.reshape(-1, dz)).reshape(lines, points, 2).numpy()
        # the push on a few fakes: minus the gradient of G's loss with respect to the sample
        x = g_of_z[: self.arrows].clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(self.loss.g(D(x)) * len(x), x)
        out["g_push"] = (-grad).numpy()
        return out


class ProbeImage(_Probe):
    """Images: G on a fixed grid of noise vectors (the same every snapshot), D on a fixed batch
    of real and of generated images, and the image measures (imagemetrics.py) of 1,000
    generated images against the data, in the feature space of the data's classifier."""

    default_samples = 64  # an 8 x 8 grid of samples
    hist_samples = 256  # real and generated images whose D values are kept (histograms)
    measure_samples = 1000
    real_samples = 2000  # real images whose features stand for the data (Fréchet distance, precision, recall)

    @classmethod
    def cost(cls, sc: Scenario) -> tuple[int, int]:
        """(rows G or D maps, floats recorded) per snapshot, for cost.estimate."""
        mapping = sc.record.mapping_samples or cls.default_samples
        return max(METRIC_SAMPLES, 2 * cls.hist_samples), mapping * (sc.data.dim + 2) + 2 * cls.hist_samples + 16

    def __init__(self, sc: Scenario, real_set: torch.Tensor | None, seed: int):
        from .classifier import classifier_for
        from .imagemetrics import class_histogram, real_radii

        super().__init__(sc, real_set, seed)
        images, labels = sc.data.dataset()
        self.shape = sc.data.image_shape
        pixels = images.numpy().reshape(len(images), *self.shape)
        self.classifier = classifier_for(pixels, labels)
        self.real_probs = self.classifier.probabilities(pixels)
        if len(pixels) > self.real_samples:  # a large data set (MNIST): the real manifold from a fixed subset
            pixels = pixels[np.sort(np.random.default_rng(seed).choice(len(pixels), self.real_samples, replace=False))]
        self.real_features = self.classifier.features(pixels)
        self.real_radii = real_radii(self.real_features)  # the real manifold: the same at every snapshot
        self.real_histogram = class_histogram(self.real_probs)
        self.hist_real = self.real[: self.hist_samples]
        self.static |= {"real_grid": _np(self.real[: len(self.z_fixed)]).reshape(-1, *self.shape),
                        "real_class_histogram": self.real_histogram}
        self.meta |= {"classes_total": self.classifier.classes, "class_names": self.classifier.names,
                      "classifier_accuracy": self.classifier.accuracy,
                      "image_shape": list(self.shape), "games_per_epoch": sc.games_per_epoch(),
                      "time_unit": "epoch" if sc.training.epochs is not None else "game"}

    @_no_grad
    def __call__(self, G: torch.nn.Module, D: torch.nn.Module) -> dict[str, np.ndarray]:
        from .imagemetrics import class_histogram, class_kl, classes_covered, frechet_distance, precision_recall

        g_of_z = G(self.z_fixed)  # (N, pixels) images of the fixed noise vectors
        fakes = G(self.z_metric[: self.measure_samples]).numpy().reshape(-1, *self.shape)
        probs, features = self.classifier.probabilities(fakes), self.classifier.features(fakes)
        precision, recall = precision_recall(self.real_features, features, radii=self.real_radii)
        return self.common(G, D) | {
            "g_grid": g_of_z.numpy().reshape(-1, *self.shape),
            "d_of_fakes": self.d(D, g_of_z)[:, 0].numpy(),
            "fooled": self.fooled(D, g_of_z),
            "d_on_real": self.d(D, self.hist_real)[:, 0].numpy(),
            "d_on_fake": self.d(D, G(self.z_metric[: self.hist_samples]))[:, 0].numpy(),
            "classes_covered": np.int64(classes_covered(probs)),
            "class_histogram": class_histogram(probs),
            "class_kl": np.float64(class_kl(class_histogram(probs), self.real_histogram)),
            "frechet_distance": np.float64(frechet_distance(self.real_features, features)),
            "precision": np.float64(precision),
            "recall": np.float64(recall),
        }


FIELD_POINTS = 41  # grid points per axis of the Dirac-GAN's drawn field
NOISE_NODES = 64  # instance noise in the drawn field: this many quantiles of N(0, sigma^2)


class ProbeDirac(Probe1D):
    """The Dirac-GAN (data.Dirac): what a 1D probe records, and G's theta and D's psi after
    every game (the trajectory: `theta`, `psi`), the gradient field on a grid around it, and the
    game Jacobian's eigenvalues at the equilibrium (0, 0), with the update's and the closed forms
    (jacobian.py) beside them (`dirac` in the Run's meta).

    The drawn field and the equilibrium spectrum are the expected ones: instance noise enters as
    NOISE_NODES quantiles of N(0, sigma^2) at its first game's sigma, rescaled to variance sigma^2
    exactly (the Jacobian at (0, 0) depends on the noise's first two moments only)."""

    tracks = True

    def __init__(self, sc: Scenario, real_set: torch.Tensor | None, seed: int):
        super().__init__(sc, real_set, seed)
        self.path: list[tuple[float, float]] = []

    def track(self, D_flat: torch.Tensor, G_flat: torch.Tensor) -> None:
        """Record the players' one parameter each (called at the start and after every game)."""
        self.path.append((float(G_flat[0]), float(D_flat[0])))

    def _field(self):
        import torch

        from . import jacobian

        sc = self.sc
        D = sc.discriminator.build(1, 1, torch.Generator()).double()
        G = sc.generator.build(sc.noise.dim, 1, torch.Generator()).double()
        sigma = sc.instance_noise.std_at(0, sc.training.games)
        n = NOISE_NODES if sigma > 0 else 1
        if sigma > 0:
            q = torch.special.ndtri((torch.arange(n, dtype=torch.float64) + 0.5) / n)
            eps = (sigma * q / q.pow(2).mean().sqrt()).reshape(n, 1)
        else:
            eps = torch.zeros(n, 1, dtype=torch.float64)
        batch = (torch.zeros(n, 1, dtype=torch.float64), torch.zeros(n, sc.noise.dim, dtype=torch.float64), eps, eps)
        if sc.regularizer.kind == "gradient_penalty":  # its points need weights per row: any do (D's slope is psi everywhere)
            sc = sc.replace("training.batch_size", n)
        return jacobian.scenario_field(sc, D, G), batch, sigma

    def tracked(self) -> tuple[dict[str, np.ndarray], dict]:
        """The trajectory, the field on a grid that holds it, and the equilibrium's spectra."""
        import torch
        from torch.func import vmap

        from . import jacobian

        path = np.array(self.path)
        v, batch, sigma = self._field()
        # the trajectory with a margin, and at least 2.5 times the start's distance (one scale
        # for games that start alike, so `gananim compare` draws their fields alike)
        finite = path[np.isfinite(path).all(axis=1)]
        reach = max(1.0, 1.15 * float(np.abs(finite).max(initial=1.0)), 2.5 * float(np.hypot(*path[0])))
        axis = np.linspace(-reach, reach, FIELD_POINTS)
        tt, pp = np.meshgrid(axis, axis)  # rows: psi, columns: theta
        points = torch.as_tensor(np.stack([pp.ravel(), tt.ravel()], axis=1))  # (psi, theta): D first
        with torch.no_grad():
            flow = vmap(lambda p: v(p, *batch))(points).numpy()
        arrays = {"theta": path[:, 0], "psi": path[:, 1], "field_theta": axis, "field_psi": axis,
                  "field_dtheta": flow[:, 1].reshape(tt.shape), "field_dpsi": flow[:, 0].reshape(tt.shape),
                  "equilibrium": np.zeros(2)}
        meta = dirac_meta(self.sc, sigma)
        J = jacobian.jacobian(v, torch.zeros(2, dtype=torch.float64), *batch)
        if self.sc.regularizer.kind == "gradient_penalty":  # (|psi| - 1)^2 has no derivative at psi = 0
            arrays["eq_eigvals"] = np.full(2, np.nan + 0j)
        else:
            arrays["eq_eigvals"] = jacobian.sort_complex(np.linalg.eigvals(J))
        update = meta.get("update_mode") if np.isfinite(arrays["eq_eigvals"]).all() else None
        arrays["eq_update_eigvals"] = (np.full(2, np.nan + 0j) if update is None else
                                       jacobian.discrete_update_eigenvalues(J, meta["h"], update, p_d=1))
        if update is not None and np.isfinite(arrays["eq_update_eigvals"]).all():
            meta["update_radius_measured"] = float(np.abs(arrays["eq_update_eigvals"]).max())
        return arrays, {"dirac": meta}


def dirac_meta(sc: Scenario, sigma: float) -> dict:
    """The Dirac-GAN's closed forms for this scenario (jacobian.py), where the theory gives one:
    the Jacobian's eigenvalues at the equilibrium and those of the discrete update."""
    from . import jacobian

    reg = sc.regularizer
    meta = {"loss": sc.loss, "regularizer": reg.kind, "update": sc.training.update,
            "h": float(sc.optimizer.for_player("discriminator").lr),
            "noise_std": float(sigma), "update_mode": jacobian.update_mode(sc),
            "closed_form": None, "closed_form_formula": None, "update_closed_form": None,
            "update_radius_closed": None, "update_radius_measured": None, "note": None}
    if sc.loss not in jacobian.DIRAC_F:
        meta["note"] = f"no closed form here for the {sc.loss} loss"
        return meta
    a, f2 = jacobian.DIRAC_F[sc.loss]
    kind = {"weight_clip": "none", "consensus": "none"}.get(reg.kind, reg.kind)
    if kind not in jacobian.DIRAC_REGULARIZERS:
        meta["note"] = f"no closed form here with {reg.kind}: (|psi| - 1)^2 has no derivative at psi = 0"
        return meta
    gamma = float(getattr(reg, "gamma", 0.0)) if kind in ("r1", "r2") else 0.0
    mu = float(reg.gamma) if reg.kind == "consensus" else 0.0
    J = jacobian.dirac_jacobian(a, kind, gamma, mu, sigma, f2)
    lam = jacobian.dirac_equilibrium_eigenvalues(a, kind, gamma, mu, sigma, f2)
    meta["closed_form"] = [[float(z.real), float(z.imag)] for z in lam]
    meta["closed_form_formula"] = _dirac_formula(a, kind, gamma, mu, sigma, f2)
    if meta["update_mode"] is not None:
        mu_h = jacobian.discrete_update_eigenvalues(J, meta["h"], meta["update_mode"], p_d=1)
        meta["update_closed_form"] = [[float(z.real), float(z.imag)] for z in mu_h]
        meta["update_radius_closed"] = float(np.abs(mu_h).max())
    if reg.kind == "weight_clip":
        meta["note"] = "clipping is inactive at (0, 0): the unregularised form"
    return meta


def _dirac_formula(a: float, reg: str, gamma: float, mu: float, sigma: float, f2: float) -> str:
    """The closed form's formula as the figure writes it."""
    if sum(map(bool, (mu, sigma, gamma))) > 1:  # more than one term: the general form (jacobian.py)
        return f"(t ± √(t² − 4d)) / 2 of dirac_jacobian: γ = {gamma:g}, μ = {mu:g}, σ = {sigma:g}, f′(0) = {a:g}"
    if mu:
        return f"consensus μ = {mu:g}: eigenvalues of J − μ JᵀJ, f′(0) = {a:g}"
    if sigma:
        return f"f″(0)σ² ± √(f″(0)²σ⁴ − f′(0)²), f′(0) = {a:g}, f″(0) = {f2:g}, σ = {sigma:g}"
    if reg in ("r1", "r2"):
        return f"(−γ ± √(γ² − 4f′(0)²)) / 2, γ = {gamma:g}, f′(0) = {a:g}"
    return f"± f′(0) i, f′(0) = {a:g}"


PROBES = {"line": Probe1D, "plane": Probe2D, "image": ProbeImage, "dirac": ProbeDirac}  # by the data's domain
