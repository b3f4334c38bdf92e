"""render(run, out): draw a Run into a folder. Reads only the Run: no torch, no training.

OUTPUTS maps a name of ``render.outputs`` to the function that writes it; summary.json and
run.npz are always written. Every file is written atomically.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Optional

from ..fileio import atomic_open
from ..metrics import headline
from ..run import Run
from . import style
from .animate import Progress, render_frames, write_gif
from .figures import hessian_figure, save, summary_figure


def _animation(run: Run, out: Path, dpi: int, progress: Optional[Progress]) -> Path:
    return write_gif(render_frames(run, dpi, progress), out / "animation.gif", run.scenario["render"]["fps"])


def _summary(run: Run, out: Path, dpi: int, progress: Optional[Progress]) -> Path:
    return save(summary_figure(run, dpi), out / "summary.png", dpi)


def _hessian(run: Run, out: Path, dpi: int, progress: Optional[Progress]) -> Path:
    return save(hessian_figure(run, dpi), out / "hessian.png", dpi)


OUTPUTS: dict[str, Callable[[Run, Path, int, Optional[Progress]], Path]] = {
    "animation": _animation,
    "summary": _summary,
    "hessian": _hessian,
}


def render(run: Run, out: str | Path, progress: Optional[Progress] = None) -> dict[str, Path]:
    """Write run.npz, summary.json and the scenario's render.outputs into folder `out`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    settings = run.scenario["render"]
    written = {"run": run.save(out / "run.npz")}
    with style.theme():
        for name in settings["outputs"]:
            written[name] = OUTPUTS[name](run, out, settings["dpi"], progress)
    with atomic_open(out / "summary.json", "w") as fh:
        json.dump(headline(run), fh, indent=2, sort_keys=True)
        fh.write("\n")
    written["summary.json"] = out / "summary.json"
    return written
