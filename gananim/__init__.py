"""gananim: train a GAN game described in a YAML scenario, record it, and render it.

    import gananim
    sc = gananim.load_scenario("scenarios/strong_discr.yaml")
    run = gananim.train(sc)
    gananim.render(run, "gallery/strong_discr")

Attributes load lazily so that ``gananim.render``/``gananim.Run`` work without importing torch.
The modules are trainer.py and renderer/ so that the names train and render stay functions.
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["load_scenario", "train", "render", "Run", "Scenario", "ScenarioError", "__version__"]

_WHERE = {
    "load_scenario": "scenario", "Scenario": "scenario", "ScenarioError": "scenario",
    "train": "trainer", "render": "renderer", "Run": "run",
}


def __getattr__(name: str):
    if name in _WHERE:
        import importlib

        module = importlib.import_module(f".{_WHERE[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'gananim' has no attribute {name!r}")
