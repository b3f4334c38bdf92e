"""The players' objectives: the LOSSES registry, and the game value V.

Every function takes discriminator *logits* l (D = sigmoid(l)) and returns a scalar
tensor; log D = logsigmoid(l) and log(1 - D) = logsigmoid(-l) keep a confident D finite.
Nothing here draws pictures.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch.nn.functional import logsigmoid

Tensor = torch.Tensor


def value(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """The minimax game value V = E log D(x) + E log(1 - D(G(z))).

    D maximises it, G minimises it; at the equilibrium (p_G = p_data, D = 1/2) V = -2 log 2.
    """
    return logsigmoid(real_logits).mean() + logsigmoid(-fake_logits).mean()


def minimax_d(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """D minimises -E log D(x) - E log(1 - D(G(z))) = -V."""
    return -value(real_logits, fake_logits)


def minimax_g(fake_logits: Tensor) -> Tensor:
    """G minimises E log(1 - D(G(z))) (saturates when D confidently rejects fakes)."""
    return logsigmoid(-fake_logits).mean()


def non_saturating_g(fake_logits: Tensor) -> Tensor:
    """G minimises -E log D(G(z)) (Goodfellow et al. 2014's practical alternative)."""
    return -logsigmoid(fake_logits).mean()


@dataclass(frozen=True)
class Loss:
    d: Callable[[Tensor, Tensor], Tensor]  # (real_logits, fake_logits) -> D's loss
    g: Callable[[Tensor], Tensor]  # fake_logits -> G's loss
    reference: float  # where V settles at the equilibrium


LOSSES: dict[str, Loss] = {
    "minimax": Loss(d=minimax_d, g=minimax_g, reference=-2 * torch.log(torch.tensor(2.0)).item()),
    "non_saturating": Loss(d=minimax_d, g=non_saturating_g, reference=-2 * torch.log(torch.tensor(2.0)).item()),
}
