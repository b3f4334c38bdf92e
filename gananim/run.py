"""The Run: everything a training produced, as plain numpy arrays plus a JSON header.

Saved as run.npz (a zip of .npy files with fixed timestamps, so the same run gives the same
bytes) with the header in the array ``meta`` (a JSON string). Anyone can redraw a figure from
it with numpy alone: ``json.loads(np.load('run.npz')['meta'].item())``. No torch here.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .fileio import atomic_open

FORMAT = 2  # 2: the header names the data's domain and the loss's drawing (critic, W1)
SWEEP_OUTPUTS = ("seeds", "spread")  # render outputs that only a seed sweep has


def default_outputs(sweep: bool, hessian: bool, jacobian: bool = False, domain: str = "line") -> list[str]:
    """render.outputs when a scenario gives none: a sweep's small multiples and spread, or one
    run's animation and summary (the Dirac-GAN's field figure, and the Hessian and Jacobian
    figures when those spectra are recorded)."""
    if sweep:
        return list(SWEEP_OUTPUTS)
    return (["animation", "summary"] + (["field"] if domain == "dirac" else []) + (["hessian"] if hessian else [])
            + (["jacobian"] if jacobian else []))
_EPOCH = (1980, 1, 1, 0, 0, 0)


class Run:
    """Arrays named as in DESIGN.md (``game``, ``objective``, ``snap_game``, ...) and ``meta``.
    A seed sweep's arrays have a leading seed axis (``seeds``); ``member(k)`` is one seed."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict[str, Any]):
        self.arrays = {k: np.asarray(v) for k, v in arrays.items()}
        self.meta = meta

    def __getattr__(self, name: str) -> np.ndarray:
        arrays = self.__dict__.get("arrays", {})
        if name in arrays:
            return arrays[name]
        raise AttributeError(f"Run has no array {name!r} (has: {', '.join(sorted(arrays))})")

    def __contains__(self, name: str) -> bool:
        return name in self.arrays

    def __repr__(self) -> str:
        return f"Run({self.meta.get('name')!r}, games={len(self.arrays.get('game', []))}, arrays={sorted(self.arrays)})"

    def _repr_html_(self) -> str:
        """In a notebook: the title and the headline numbers (those of summary.json and the
        gallery's card)."""
        import html

        from .metrics import headline, sweep_headline
        from .notebook import numbers_table

        summary = headline(self) if self.seeds is None else sweep_headline(self)
        return (f"<div><b>{html.escape(self.title)}</b> (Run: {summary['games']} games"
                f"{'' if self.seeds is None else f', {len(self.seeds)} seeds'}; arrays: "
                f"{html.escape(', '.join(sorted(self.arrays)))})</div>{numbers_table(summary)}")

    @property
    def scenario(self) -> dict[str, Any]:
        """The resolved scenario (defaults filled, the title as displayed) as a plain dict: the
        one copy of the title, the description and the seed(s)."""
        return self.meta["scenario"]

    @property
    def title(self) -> str:
        return self.scenario["title"]

    @property
    def description(self) -> str | None:
        return self.scenario["description"]

    @property
    def seed(self) -> int | None:
        """The seed of a one-seed run; None for a sweep (``seeds``)."""
        return self.scenario["seed"]

    def titled(self, title: str) -> "Run":
        """The same run (arrays shared) under another title."""
        return Run(self.arrays, self.meta | {"scenario": self.scenario | {"title": title}})

    @property
    def domain(self) -> str:
        """Where the data live (data.DISTRIBUTIONS): 'line' or 'plane'; panels, layouts and the
        summary's numbers are registered by it."""
        return self.meta["domain"]

    @property
    def seeds(self) -> list[int] | None:
        """A sweep's seeds (every array then has a leading seed axis); None for one seed."""
        return self.scenario["seeds"]

    def member(self, k: int) -> "Run":
        """Seed k's run out of a sweep: the arrays' k-th rows, with that seed in the header."""
        seeds = self.seeds
        if seeds is None:
            raise ValueError("not a seed sweep: this run has one seed")
        scenario = dict(self.scenario) | {"seed": seeds[k], "seeds": None}
        own = [o for o in scenario["render"]["outputs"] if o not in SWEEP_OUTPUTS]
        scenario["render"] = dict(scenario["render"]) | {
            "outputs": own or default_outputs(sweep=False, hessian=scenario["record"]["hessian"])}
        meta = {key: v for key, v in self.meta.items() if key != "train_key"}
        meta |= {"scenario": scenario, "member_of": self.meta.get("train_key")}
        return Run({name: a[k] for name, a in self.arrays.items()}, meta)

    def save(self, path: str | Path) -> Path:
        """Write run.npz atomically and byte-reproducibly."""
        path = Path(path)
        with atomic_open(path) as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            items = {"meta": np.array(json.dumps(self.meta, sort_keys=True))} | self.arrays
            for name in sorted(items):
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.asarray(items[name]), allow_pickle=False)
                info = zipfile.ZipInfo(f"{name}.npy", date_time=_EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, buf.getvalue(), compresslevel=1)  # float noise barely compresses: a higher level buys little size for more time
        return path

    @classmethod
    def load(cls, path: str | Path) -> "Run":
        with np.load(Path(path), allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        meta = json.loads(arrays.pop("meta").item())
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: run file format {meta.get('format')!r}, this gananim reads {FORMAT}")
        return cls(arrays, meta)
