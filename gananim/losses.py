"""The players' objectives (LOSSES), D's regularizers (REGULARIZERS) and instance noise.

A discriminator returns one raw output per row. For the probability losses (minimax,
non_saturating) that output is a logit l and D = sigmoid(l); log D = logsigmoid(l) and
log(1 - D) = logsigmoid(-l) keep a confident D finite. For least_squares it is a score with
targets 0 (fake) and 1 (real); for wasserstein and hinge it is an unbounded critic f.

Outputs have shape (..., B, 1): a batch of B rows, optionally behind leading axes (one per
seed of a sweep, which trains seeds side by side); every loss and penalty averages over the
batch only, so it returns one value per seed (a scalar without leading axes).

Every Loss also names ``value``: the quantity D maximises, recorded each game as the run's
``objective``, and its ``reference``: what that value is at the equilibrium (p_G = p_data).
Nothing here draws pictures. torch is imported inside the functions, not with the module: the
schema takes the names and settings of these registries without it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, ClassVar, Literal, Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field

from .data import Real, per_seed

if TYPE_CHECKING:
    import torch
    from torch import Tensor

LOG4 = 2 * math.log(2)


def _mean(t: Tensor) -> Tensor:
    """The batch mean of (..., B, 1) outputs: one value per leading index."""
    return t.mean(dim=(-2, -1))


def value(real: Tensor, fake: Tensor) -> Tensor:
    """Minimax value V = E log D(x) + E log(1 - D(G(z))); -2 log 2 at the equilibrium (D = 1/2)."""
    import torch

    logsigmoid = torch.nn.functional.logsigmoid
    return _mean(logsigmoid(real)) + _mean(logsigmoid(-fake))


def minimax_d(real: Tensor, fake: Tensor) -> Tensor:
    """D minimises -E log D(x) - E log(1 - D(G(z))) = -V."""
    return -value(real, fake)


def minimax_g(fake: Tensor) -> Tensor:
    """G minimises E log(1 - D(G(z))) (saturates: no gradient when D confidently rejects fakes)."""
    import torch

    return _mean(torch.nn.functional.logsigmoid(-fake))


def non_saturating_g(fake: Tensor) -> Tensor:
    """G minimises -E log D(G(z)) (Goodfellow et al. 2014's practical alternative)."""
    import torch

    return -_mean(torch.nn.functional.logsigmoid(fake))


def least_squares_d(real: Tensor, fake: Tensor) -> Tensor:
    """LSGAN (Mao et al. 2017): D minimises 1/2 E (D(x) - 1)^2 + 1/2 E D(G(z))^2."""
    return 0.5 * _mean((real - 1) ** 2) + 0.5 * _mean(fake**2)


def least_squares_g(fake: Tensor) -> Tensor:
    """LSGAN: G minimises 1/2 E (D(G(z)) - 1)^2."""
    return 0.5 * _mean((fake - 1) ** 2)


def least_squares_value(real: Tensor, fake: Tensor) -> Tensor:
    """-(D's loss); -1/4 at the equilibrium, where the optimal D is 1/2 everywhere."""
    return -least_squares_d(real, fake)


def wasserstein_d(real: Tensor, fake: Tensor) -> Tensor:
    """WGAN (Arjovsky et al. 2017): the critic minimises E f(G(z)) - E f(x)."""
    return _mean(fake) - _mean(real)


def wasserstein_g(fake: Tensor) -> Tensor:
    """WGAN and hinge: G minimises -E f(G(z))."""
    return -_mean(fake)


def wasserstein_value(real: Tensor, fake: Tensor) -> Tensor:
    """E f(x) - E f(G(z)): the critic's estimate of W1 (for a 1-Lipschitz f); 0 at the equilibrium."""
    return _mean(real) - _mean(fake)


def hinge_d(real: Tensor, fake: Tensor) -> Tensor:
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018): E relu(1 - f(x)) + E relu(1 + f(G(z)))."""
    import torch

    relu = torch.nn.functional.relu
    return _mean(relu(1 - real)) + _mean(relu(1 + fake))


def hinge_value(real: Tensor, fake: Tensor) -> Tensor:
    """-(D's loss); -2 at the equilibrium with f = 0."""
    return -hinge_d(real, fake)


@dataclass(frozen=True)
class Loss:
    d: Callable[[Tensor, Tensor], Tensor]  # (real outputs, fake outputs) -> D's loss
    g: Callable[[Tensor], Tensor]  # fake outputs -> G's loss
    value: Callable[[Tensor, Tensor], Tensor]  # what D maximises, recorded as `objective`
    reference: float  # `value` at the equilibrium
    reference_label: str
    output: Literal["probability", "score", "critic"]  # what D's raw output means
    value_label: str = "V(D, G)"  # the objective axis's label
    # how the drawing treats it: the objective curve's legend label (default value_label), and
    # whether `value` estimates W1 (the true W1 from samples is then drawn beside it where known)
    curve_label: Optional[str] = None
    estimates_w1: bool = False
    # each player's loss at the equilibrium (p_G = p_data, D at its optimum there), where it is
    # fixed: read by the diagnosis (diagnosis.py); None where it depends on the critic's offset
    d_loss_reference: Optional[float] = None
    g_loss_reference: Optional[float] = None
    # G's loss is the part of `value` that depends on G (a zero-sum game): the G block of its
    # Hessian is V's, so it need not be computed twice
    g_is_value: bool = False

    def display(self, raw: Tensor) -> Tensor:
        """D as drawn: a probability for the logit losses, the raw score or critic otherwise."""
        import torch

        return torch.sigmoid(raw) if self.output == "probability" else raw


LOSSES: dict[str, Loss] = {
    "minimax": Loss(minimax_d, minimax_g, value, -LOG4, "−2 log 2 (equilibrium)", "probability", g_is_value=True,
                    d_loss_reference=LOG4, g_loss_reference=-math.log(2)),
    "non_saturating": Loss(minimax_d, non_saturating_g, value, -LOG4, "−2 log 2 (equilibrium)", "probability",
                           d_loss_reference=LOG4, g_loss_reference=math.log(2)),
    "least_squares": Loss(least_squares_d, least_squares_g, least_squares_value, -0.25,
                          "−1/4 (equilibrium, D = 1/2)", "score", "−(D's loss)", d_loss_reference=0.25,
                          g_loss_reference=0.125),
    "wasserstein": Loss(wasserstein_d, wasserstein_g, wasserstein_value, 0.0, "0 (W1 at equilibrium)", "critic",
                        "E f(x) − E f(G(z))", curve_label="critic gap E f(x) − E f(G(z))", estimates_w1=True,
                        g_is_value=True),
    "hinge": Loss(hinge_d, wasserstein_g, hinge_value, -2.0, "−2 (equilibrium, f = 0)", "critic", "−(D's loss)",
                  d_loss_reference=2.0, g_loss_reference=0.0),
}


# --- regularizers of D -----------------------------------------------------------------


def _input_grad_sq(D: torch.nn.Module, x: Tensor) -> Tensor:
    """|grad_x D(x)|^2 per row, differentiable (for penalties): (..., B) for x (..., B, d)."""
    import torch

    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    return (grad**2).sum(dim=-1)


class _Regularizer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    clips: ClassVar[bool] = False
    penalises: ClassVar[bool] = True  # adds a penalty to D's loss (False: none, weight_clip, consensus)
    joint: ClassVar[bool] = False  # a term of both players' losses from both gradients (consensus)

    def points(self, real: Tensor, fake: Tensor, rngs: Sequence[torch.Generator]) -> Tensor:
        """Where D's input gradient is penalised: (..., B, d) like real and fake; `rngs` holds
        the random stream of each leading index (one per seed)."""
        raise NotImplementedError

    def per_row(self, sq: Tensor) -> Tensor:
        """The penalty of each row from its squared input-gradient norm |grad_x D|^2."""
        raise NotImplementedError

    def penalty(self, D: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor,
                rngs: Sequence[torch.Generator]) -> Tensor:
        """Added to D's loss at every D step: one value per leading index of real and fake."""
        if not self.penalises:
            return real.new_zeros(real.shape[:-2])
        return self.per_row(_input_grad_sq(D, self.points(real, fake, rngs))).mean(dim=-1)

    def after_step(self, D: torch.nn.Module) -> None:
        """Applied to D's parameters after every D step."""


class NoRegularizer(_Regularizer):
    kind: Literal["none"] = "none"
    penalises: ClassVar[bool] = False


class WeightClip(_Regularizer):
    """WGAN's weight clipping: every parameter of D is clamped to [-clip, clip] after each step."""

    kind: Literal["weight_clip"] = "weight_clip"
    clip: Real = Field(0.01, gt=0.0)
    clips: ClassVar[bool] = True
    penalises: ClassVar[bool] = False

    def after_step(self, D: torch.nn.Module) -> None:
        import torch

        with torch.no_grad():
            for p in D.parameters():
                p.clamp_(-self.clip, self.clip)


GP_EPS = 1e-12  # inside the square root of |grad|^2: its derivative stays finite at 0


class GradientPenalty(_Regularizer):
    """WGAN-GP (Gulrajani et al. 2017): weight * E (|grad f(x_hat)| - 1)^2 on x_hat = a x + (1 - a) G(z),
    a ~ U(0, 1) per sample: the critic is pushed to be 1-Lipschitz between real and fake."""

    kind: Literal["gradient_penalty"] = "gradient_penalty"
    weight: Real = Field(10.0, ge=0.0)

    def points(self, real, fake, rngs):
        import torch

        # U(0, 1) per row, from the stream of the row's seed; (B, 1) or (S, B, 1) like real
        a = per_seed(rngs, lambda g: torch.rand(real.shape[-2], 1, generator=g)).reshape(*real.shape[:-1], 1)
        return a * real + (1 - a) * fake.detach()

    def per_row(self, sq):
        return self.weight * ((sq + GP_EPS).sqrt() - 1).pow(2)


class R1(_Regularizer):
    """R1 (Mescheder et al. 2018): gamma/2 * E |grad_x D(x)|^2 at real data (D's raw output)."""

    kind: Literal["r1"] = "r1"
    gamma: Real = Field(10.0, ge=0.0)

    def points(self, real, fake, rngs):
        return real

    def per_row(self, sq):
        return 0.5 * self.gamma * sq


class R2(R1):
    """R2 (Mescheder et al. 2018): gamma/2 * E |grad_x D(x)|^2 at generated samples."""

    kind: Literal["r2"] = "r2"  # type: ignore[assignment]

    def points(self, real, fake, rngs):
        return fake.detach()


class Consensus(_Regularizer):
    """Consensus optimization (Mescheder, Nowozin & Geiger 2017, "The Numerics of GANs"): both
    players' losses get gamma/2 |v|^2, with v = (grad_D L_D, grad_G L_G) the joint gradient at the
    current point, so each step also descends the field's norm: the rotation (imaginary parts of
    the game Jacobian's eigenvalues) is damped. G's steps take D's last real batch for v."""

    kind: Literal["consensus"] = "consensus"
    gamma: Real = Field(1.0, ge=0.0)
    penalises: ClassVar[bool] = False  # not a penalty of D alone: the engine adds it to both losses
    joint: ClassVar[bool] = True


REGULARIZERS: dict[str, type[_Regularizer]] = {
    "none": NoRegularizer, "weight_clip": WeightClip, "gradient_penalty": GradientPenalty, "r1": R1, "r2": R2,
    "consensus": Consensus,
}
