"""The players' optimisers: the OPTIMIZERS registry.

Each updates one flat parameter vector in place from one flat gradient (models.Stack keeps a
player's parameters, every seed's, in one buffer). The arithmetic is torch.optim's
single-tensor algorithm, element for element, without its per-parameter, per-step Python
overhead: one game step (D's update and G's) takes 12 us against torch.optim.SGD's 117 us on
strong_discr's 4 parameters, and 100 us against torch.optim.Adam's 348 us (on the same flat
tensor) or 906 us (on the layers' tensors) on ring8's MLPs, with the same parameters to the bit
after 2,000 steps (benchmarks/bench.py, section l). torch is imported where a state is made:
the schema takes the names and keys of OPTIMIZERS without it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable, ClassVar

if TYPE_CHECKING:  # the schema imports this registry for its names and keys
    import torch

    from .scenario import OptimizerSettings

EPS = 1e-8  # torch.optim's default for Adam and RMSprop
RMSPROP_ALPHA = 0.99  # torch.optim.RMSprop's default smoothing constant


class SGD:
    """torch.optim.SGD (no dampening, no Nesterov): p -= lr * (momentum buffer or gradient)."""

    keys: ClassVar[tuple[str, ...]] = ("lr", "momentum")  # the settings it takes (OptimizerSettings)

    def __init__(self, param: torch.Tensor, settings: OptimizerSettings):
        self.param, self.lr, self.momentum = param, settings.lr, settings.momentum
        self.buf: torch.Tensor | None = None

    def __call__(self, grad: torch.Tensor) -> None:
        if self.momentum:
            if self.buf is None:
                self.buf = grad.clone()
            else:
                self.buf.mul_(self.momentum).add_(grad)
            grad = self.buf
        self.param.add_(grad, alpha=-self.lr)


class Adam:
    """torch.optim.Adam (Kingma & Ba 2015) with bias correction, eps 1e-8, no weight decay."""

    keys: ClassVar[tuple[str, ...]] = ("lr", "betas")

    def __init__(self, param: torch.Tensor, settings: OptimizerSettings):
        import torch

        self.param, self.lr = param, settings.lr
        self.beta1, self.beta2 = settings.betas
        self.exp_avg, self.exp_avg_sq = torch.zeros_like(param), torch.zeros_like(param)
        self.step = 0

    def __call__(self, grad: torch.Tensor) -> None:
        self.step += 1
        self.exp_avg.lerp_(grad, 1 - self.beta1)
        self.exp_avg_sq.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
        step_size = self.lr / (1 - self.beta1**self.step)
        denom = (self.exp_avg_sq.sqrt() / (1 - self.beta2**self.step) ** 0.5).add_(EPS)
        self.param.addcdiv_(self.exp_avg, denom, value=-step_size)


class RMSprop:
    """torch.optim.RMSprop (alpha 0.99, eps 1e-8, not centred), with optional momentum."""

    keys: ClassVar[tuple[str, ...]] = ("lr", "momentum")

    def __init__(self, param: torch.Tensor, settings: OptimizerSettings):
        import torch

        self.param, self.lr, self.momentum = param, settings.lr, settings.momentum
        self.square_avg = torch.zeros_like(param)
        self.buf = torch.zeros_like(param) if self.momentum > 0 else None

    def __call__(self, grad: torch.Tensor) -> None:
        self.square_avg.mul_(RMSPROP_ALPHA).addcmul_(grad, grad, value=1 - RMSPROP_ALPHA)
        avg = self.square_avg.sqrt().add_(EPS)
        if self.buf is not None:
            self.buf.mul_(self.momentum).addcdiv_(grad, avg)
            self.param.add_(self.buf, alpha=-self.lr)
        else:
            self.param.addcdiv_(grad, avg, value=-self.lr)


OPTIMIZERS: dict[str, Callable[[torch.Tensor, "OptimizerSettings"], Callable[[torch.Tensor], None]]] = {
    "sgd": SGD,
    "adam": Adam,
    "rmsprop": RMSprop,
}
