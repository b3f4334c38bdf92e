"""Gradient engines: how a game's gradients and second derivatives are computed.

The game loop (trainer.py) asks for an engine once and then only calls its interface:

- ``d_step(real, fake) -> (loss, grads)``: D's loss per seed (a callable, evaluated when the
  record asks for it) and its gradients, one tensor (S, ...) per parameter; afterwards
  ``d_outputs`` holds D's outputs (S, B, 1) on the real and the fake batch, without a graph;
- ``g_step(z, eps, fake=None) -> (loss, grads)``: the same for G, through D (`fake`: G(z) when
  the caller computed it already with its graph);
- ``grad_mode``: the context the steps of one game run under;
- ``hessians(f, thetas, batches, rows)`` and ``hvp(f, theta, *batch)``: exact Hessians of many
  points and Hessian-vector products at one, for hessian.py.

Two engines: ``chained`` (engines/chained.py: every derivative by hand, for players of affine
layers and elementwise activations) and ``autograd`` (engines/autograd.py: any nn.Module).
One predicate, ``supports(generator, discriminator, loss, regularizer)``, says whether the
chained engine takes a game; ``engine_for`` picks the chained one where it does.
"""
from __future__ import annotations

from typing import Optional

from .autograd import Autograd
from .chained import Chained, supports

ENGINES = {"chained": Chained, "autograd": Autograd}


def engine_for(G, D, loss, regularizer, rngs, name: Optional[str] = None):
    """The engine for a game of stacked players G and D (models.Stack): `name` when given
    (ValueError when the chained engine cannot take the game), else the chained one when it can."""
    if name is None:
        name = "chained" if supports(G.template, D.template, loss, regularizer) else "autograd"
    if name not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)} (got {name!r})")
    return ENGINES[name](G, D, loss, regularizer, rngs)


def for_function(f) -> type:
    """The engine class for the second derivatives of f: chained when f is a game function
    (hessian.GameFunction) of players that chain, autograd for anything else."""
    D, G = getattr(f, "D", None), getattr(f, "G", None)
    return Chained if D is not None and supports(G, D) else Autograd


__all__ = ["ENGINES", "Autograd", "Chained", "engine_for", "for_function", "supports"]
