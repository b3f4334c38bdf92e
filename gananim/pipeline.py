"""Scenario file -> rendered folder, with caching: the orchestration that the ``render``,
``gallery`` and ``compare`` commands share (it calls the trainer, then the renderer).

A folder's run.npz is reused while the training-relevant part of the scenario (everything
but title, description and render), the seed and the gananim/torch versions are unchanged:
its header carries that ``train_key``. Its figures are reused while the render settings and
title are unchanged too: ``.render-key`` beside them records what they were made from.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from . import __version__
from .fileio import atomic_open, check_folder, check_targets, remove_stale_temps
from .run import Run
from .scenario import Scenario, load_scenario

RENDER_KEY = ".render-key"
FOLDER_FILES = ("summary.json", "run.npz", "scenario.yaml", RENDER_KEY)  # written besides render.outputs


def folder_files(sc: Scenario, video: str) -> list[str]:
    """Every file a build writes into the scenario's folder."""
    from .renderer import MANIFEST, expected_files

    if sc.grid is not None:  # a phase diagram (phase.py)
        from .phase import phase_files

        return phase_files(sc)
    return expected_files(sc.render.model_dump(mode="json"), video) + [*FOLDER_FILES, MANIFEST]


def check_outputs(out: str | Path, scenarios: list[Scenario], video: str, pages: tuple[str, ...] = (),
                  files: Optional[list[str]] = None) -> None:
    """Before anything is trained: OUT must be (or become) a writable folder, each scenario's
    folder OUT/<name> a real folder, and no file to be written (`pages` in OUT; `files`, by
    default a build's, in each scenario's folder) may exist as a folder or a link. Raises
    OutputError (one line); creates nothing."""
    out = Path(out)
    check_folder(out)
    check_targets(out, pages, own=False)  # --out itself may be a link the user made
    for sc in scenarios:
        check_targets(out / sc.name, folder_files(sc, video) if files is None else files)


def _digest(obj: object) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:16]


def render_key(sc: Scenario, video: str) -> str:
    """What the figures depend on: the run, the title, the render settings, the video format."""
    return _digest({"train": sc.train_key(), "title": sc.display_title(),
                    "render": sc.render.model_dump(mode="json"), "video": video, "gananim": __version__})


@dataclass
class Built:
    name: str
    folder: Path
    trained: bool  # False: run.npz came from the cache
    rendered: bool  # False: the figures came from the cache
    seconds: float
    note: str = ""  # a phase diagram: how many cells ran and where


def estimated_seconds(sc: Scenario) -> float:
    """A rough cost of training and rendering from cold, so a parallel gallery starts the
    longest scenarios first (the order of the page does not change)."""
    from .hessian import MAX_EXACT_PARAMS

    tr, rec = sc.training, sc.record
    linear = sc.generator.kind == sc.discriminator.kind == "linear"
    per_step = 5e-5 if linear else 1e-4 * (1 + tr.batch_size / 64)
    if sc.grid is not None:  # a phase diagram: its cells, each a sweep of the seeds, one after another
        import math

        return math.prod(len(v) for v in sc.grid.values()) * estimated_seconds(sc.model_copy(update={"grid": None}))
    seconds = 2.5 + len(sc.seed_list()) * tr.games * (tr.d_steps + tr.g_steps) * per_step
    if rec.hessian and sc.parameter_count() > MAX_EXACT_PARAMS:  # Lanczos at every Hessian game
        seconds += 0.3 * tr.games / rec.hessian_every
    return seconds


def cached_run(sc: Scenario, folder: Path) -> Optional[Run]:
    """The folder's run.npz if it was trained from this scenario with these versions."""
    path = folder / "run.npz"
    if not path.exists():
        return None
    try:
        run = Run.load(path)
    except (OSError, ValueError, KeyError):
        return None  # unreadable or another format: train again
    return run if run.meta.get("train_key") == sc.train_key() else None


def obtain_run(sc: Scenario, folder: Path, force: bool = False, quiet: bool = True,
               cached: Optional[Run] = None) -> tuple[Run, bool]:
    """The folder's cached run for this scenario (`cached`, when the caller looked already), or
    a fresh training; (run, trained)."""
    run = cached if cached is not None or force else cached_run(sc, folder)
    if run is not None:  # same numbers; the presentation may have changed
        run.meta |= {"scenario": sc.recorded()}
        return run, False
    from .progress import Bar
    from .trainer import train  # torch: imported only when something is trained

    bar = Bar(f"{sc.name}: training", "games", enabled=not quiet)
    run = train(sc, progress=bar)
    bar.close()
    return run, True


def build(path: str | Path, out: str | Path, *, force: bool = False, video: str = "gif",
          quiet: bool = True, size: str | None = None, **phase: object) -> Built:
    """Train (or reuse) and render (or reuse) one scenario file into out/<stem>/; `size`
    (web, slide) replaces the file's render.size. A scenario with a grid: block is a phase
    diagram (phase.build_phase; `phase`: its executor, jobs / scheduler / dask_local)."""
    sc = load_scenario(path)
    return _build_checked(sc, Path(path).read_bytes(), str(path), out, force, video, quiet, size, **phase)


def build_scenario(sc: Scenario, out: str | Path, *, force: bool = False, video: str = "gif",
                   quiet: bool = True, size: str | None = None) -> Built:
    """``build`` for a Scenario made in Python (scenario_from_dict, Scenario.replace): the same
    cache, into out/<sc.name>/; its scenario.yaml is the scenario as validated (every key)."""
    import yaml

    text = yaml.safe_dump(sc.model_dump(mode="json"), sort_keys=False, allow_unicode=True).encode()
    return _build_checked(sc, text, getattr(sc, "_source", None) or sc.name, out, force, video, quiet, size)


def build_scenario_phase(sc: Scenario, text: bytes, source: str, out: str | Path, *, force: bool = False,
                         quiet: bool = True, **phase: object) -> Built:
    """A phase diagram of a Scenario made in Python or on the command line (`gananim sweep
    --grid`): `text` is the scenario.yaml written beside it."""
    return _build_checked(sc, text, source, out, force, "gif", quiet, None, **phase)


def _build_checked(sc: Scenario, text: bytes, source: str, out: str | Path, force: bool, video: str, quiet: bool,
                   size: str | None, **phase: object) -> Built:
    from .errors import TrainingError

    start = time.perf_counter()
    if sc.grid is not None:
        from .phase import build_phase

        pb = build_phase(sc, text, source, out, force=force, quiet=quiet, **phase)
        ran = f"{pb.trained} run ({pb.executed.executor})" if pb.trained else "0 run"
        note = f"{pb.cells} cells: {ran}, {pb.cells - pb.trained} cached"
        return Built(sc.name, pb.folder, pb.trained > 0, pb.rendered, time.perf_counter() - start, note)
    if size is not None:
        sc.render.size = size
    folder = Path(out) / sc.name  # sc.name is one plain folder name (scenario.check_name)
    check_outputs(out, [sc], video)
    remove_stale_temps(folder)  # left by a build that was killed (SIGKILL) in this folder
    try:
        return _build(sc, text, folder, force, video, quiet, start)
    except TrainingError as exc:  # name the file: the gallery trains many
        raise TrainingError(f"{source}: {exc}") from None


def _build(sc: Scenario, text: bytes, folder: Path, force: bool, video: str, quiet: bool, start: float) -> Built:
    from .progress import Bar
    from .renderer import expected_files, parallel, render

    key = render_key(sc, video)
    names = expected_files(sc.render.model_dump(mode="json"), video) + ["summary.json"]
    key_file = folder / RENDER_KEY
    cached = None if force else cached_run(sc, folder)
    fresh = (cached is not None and key_file.exists() and key_file.read_text() == key
             and all((folder / n).exists() for n in names))
    # a render follows: its helper process starts now, before torch is imported, and imports the
    # drawing modules on the other core while this process trains
    helper = None if fresh else parallel.start()
    try:
        run, trained = obtain_run(sc, folder, force, quiet, cached)
        if not fresh:
            bar = Bar(f"{sc.name}: rendering", "frames", enabled=not quiet)
            render(run, folder, progress=bar, video=video, helper=helper)
            bar.close()
            with atomic_open(key_file, "w") as fh:
                fh.write(key)
    finally:
        if helper is not None:
            helper.close()
    with atomic_open(folder / "scenario.yaml") as fh:  # the page links the file it was made from
        fh.write(text)
    return Built(sc.name, folder, trained, not fresh, time.perf_counter() - start)
