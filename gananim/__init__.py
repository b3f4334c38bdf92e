"""gananim: train a GAN game described in a YAML scenario, record it, and render it.

    import gananim
    res = gananim.build("strong_discr")              # cached like `gananim render`; shown inline in Jupyter
    sc = gananim.load_scenario("scenarios/strong_discr.yaml").replace("training.d_steps", 5)
    run = gananim.train(sc)                           # or step by step: train, then render
    gananim.render(run, "gallery/strong_discr_d5")

Attributes load lazily so that ``gananim.render``/``gananim.Run`` work without importing torch.
The modules are trainer.py and renderer/ so that the names train and render stay functions.
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["load_scenario", "scenario_from_dict", "train", "build", "render", "Result", "Run", "Scenario",
           "ScenarioError", "__version__"]

_WHERE = {
    "load_scenario": "scenario", "scenario_from_dict": "scenario", "Scenario": "scenario", "ScenarioError": "scenario",
    "train": "trainer", "build": "notebook", "render": "notebook", "Result": "notebook", "Run": "run",
}


def __getattr__(name: str):
    if name in _WHERE:
        import importlib

        module = importlib.import_module(f".{_WHERE[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'gananim' has no attribute {name!r}")
