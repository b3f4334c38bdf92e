"""render(run, out): draw a Run into a folder. Reads only the Run: no torch, no training.

OUTPUTS maps a name of ``render.outputs`` to an Output (the renderer module and function that
draw it, imported when drawn); summary.json and run.npz are always written. The animation is a GIF, an MP4 or both (``video``); the static
figures are PNG plus the PDF/SVG that ``render.formats`` asks for. Every file is written
atomically, and the folder's record (MANIFEST) lists what gananim wrote there: a later render
removes only files that an earlier one listed and that it does not make again.
"""
from __future__ import annotations

import contextlib
import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from ..fileio import atomic_open, remove_stale_temps
from ..run import Run

if TYPE_CHECKING:
    from .animate import Progress
    from .parallel import Helper

VIDEO = ("gif", "mp4", "both")
# importing the drawing modules (matplotlib) waits until something is drawn: the schema takes
# its output names from OUTPUTS, and `gananim validate` draws nothing
_LAZY = {"VIDEO_HINT": "animate", "VideoUnavailable": "animate", "check_video": "animate", "WRITERS": "animate"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _first_seed(run: Run) -> Run:
    """What the one-seed outputs draw: the run, or a sweep's first seed (named in the title)."""
    if run.seeds is None:
        return run
    first = run.member(0)
    return first.titled(f"{run.title} (seed {first.seed})")


@dataclass(frozen=True)
class Output:
    """One entry of ``render.outputs``: the function of a renderer module that draws it (an
    animation's returns (figure, update(i)); a static figure's returns the figure), whether it
    is animated (GIF/MP4) or static (PNG/PDF/SVG), and whether a sweep draws its first seed."""

    module: str
    figure: str
    animated: bool
    one_seed: bool = True
    domains: Optional[tuple[str, ...]] = None  # the data domains it can draw (None: every one)
    sized: bool = False  # drawn at render.size (web or slide); the others at their own size

    def write(self, name: str, run: Run, out: Path, settings: dict, video: str,
              progress: Optional["Progress"]) -> list[Path]:
        make = getattr(importlib.import_module(f".{self.module}", __name__), self.figure)
        drawn = _first_seed(run) if self.one_seed else run
        if self.animated:
            from . import style
            from .animate import WRITERS, blit_frames, frame_durations

            size = style.size_of(settings)
            dpi = (size.dpi or settings["dpi"]) if self.sized else settings["dpi"]
            n = run.snap_game.shape[-1]
            durations = frame_durations(drawn, n, settings)
            with style.theme(size) if self.sized else contextlib.nullcontext():  # fonts of ticks made while drawn
                fig, update = make(drawn, dpi)
                frames = blit_frames(fig, update, n, progress)  # one frame per snapshot, drawn as written
                return [WRITERS[k](frames, out / f"{name}.{k}", durations)
                        for k in (["gif", "mp4"] if video == "both" else [video])]
        from .figures import save

        fig = make(drawn, settings["dpi"])
        return [save(fig, out / f"{name}.{fmt}", settings["dpi"]) for fmt in settings["formats"]]


# a sweep's one-seed outputs (animation, summary, hessian) draw its first seed
OUTPUTS: dict[str, Output] = {
    "animation": Output("animate", "animation_figure", animated=True, sized=True),
    "summary": Output("figures", "summary_figure", animated=False),
    "hessian": Output("figures", "hessian_figure", animated=False),
    "seeds": Output("sweep", "seeds_figure", animated=True, one_seed=False),  # small multiples, one tile per seed
    "spread": Output("sweep", "spread_figure", animated=False, one_seed=False),  # the objective across seeds
    "progression": Output("figures", "progression_figure", animated=False, domains=("image",)),  # rows of snapshots
    "progress": Output("animate", "progress_figure", animated=True, domains=("image",), sized=True),  # grid, losses, classes
    "losses": Output("losses", "losses_figure", animated=False),  # both losses, per epoch, the statistics table
    "dhist": Output("losses", "dhist_figure", animated=False, domains=("image",)),  # D on real and fake images
    "field": Output("jacobian", "field_figure", animated=False, domains=("dirac",)),  # the (θ, ψ) field at the end
    "jacobian": Output("jacobian", "jacobian_figure", animated=False),  # record.jacobian's spectra
}
ANIMATED = tuple(name for name, output in OUTPUTS.items() if output.animated)

ALL_FILES = ({f"{n}.{k}" for n in ANIMATED for k in ("gif", "mp4")}
             | {f"{n}.{fmt}" for n in set(OUTPUTS) - set(ANIMATED) for fmt in ("png", "pdf", "svg")})


MANIFEST = ".gananim-files"  # JSON: the names of the files the last render wrote into the folder


def written_before(folder: Path) -> set[str]:
    """The outputs an earlier render listed in the folder's record (only names it can write). A
    folder that a build made before records existed (it has build's .render-key) counts as
    holding any of them."""
    try:
        listed = json.loads((folder / MANIFEST).read_text())
    except FileNotFoundError:
        return set(ALL_FILES) if (folder / ".render-key").is_file() else set()
    except (OSError, ValueError):
        return set()
    return {n for n in listed if isinstance(n, str)} & ALL_FILES if isinstance(listed, list) else set()


def expected_files(settings: dict, video: str = "gif") -> list[str]:
    """The file names a render with these settings writes (besides run.npz and summary.json)."""
    names = []
    for output in settings["outputs"]:
        if output in ANIMATED:
            names += [f"{output}.{k}" for k in (["gif", "mp4"] if video == "both" else [video])]
        else:
            names += [f"{output}.{fmt}" for fmt in settings["formats"]]
    return names


def render(run: Run, out: str | Path, progress: Optional[Progress] = None, video: str = "gif",
           helper: Optional["Helper"] = None) -> dict[str, Path]:
    """Write run.npz, summary.json and the scenario's render.outputs into folder `out`.

    `video`: the animation as 'gif', 'mp4' (needs the optional video extra) or 'both'.
    `helper`: a parallel.Helper (a second process) that draws the static outputs while this
    process draws the animated ones; None draws everything here. The same files either way.
    """
    if video not in VIDEO:
        raise ValueError(f"video must be one of {VIDEO} (got {video!r})")
    from . import style
    from ..metrics import headline, rounded, sweep_headline

    if video != "gif":
        from .animate import check_video

        check_video()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out)  # left by a render that was killed
    settings = run.scenario["render"]
    summary = rounded(headline(run) if run.seeds is None else sweep_headline(run))  # computed first: a run that cannot be summarised writes nothing
    names = list(settings["outputs"])
    static = [n for n in names if not OUTPUTS[n].animated]
    elsewhere = static if helper is not None and 0 < len(static) < len(names) else []
    if elsewhere:  # both kinds: the helper draws the static ones meanwhile
        helper.draw(elsewhere, run, out, settings, video)
    paths: dict[str, list[Path]] = {}
    with style.theme():
        for name in names:
            if name not in elsewhere:
                paths[name] = OUTPUTS[name].write(name, run, out, settings, video, progress)
    if elsewhere:
        paths |= helper.result()
    written: dict[str, Path] = {}
    for name in names:  # in the order of render.outputs, wherever each was drawn
        for path in paths[name]:
            written[path.name] = path
        written[name] = path
    keep = set(expected_files(settings, video))
    for stale in sorted(written_before(out) - keep):  # an earlier render's outputs that this one does not make
        (out / stale).unlink(missing_ok=True)
    with atomic_open(out / "summary.json", "w") as fh:
        json.dump(summary, fh, indent=2, sort_keys=True)
        fh.write("\n")
    written["summary.json"] = out / "summary.json"
    written["run"] = run.save(out / "run.npz")  # its presence means the folder is complete
    with atomic_open(out / MANIFEST, "w") as fh:
        json.dump(sorted(keep), fh)
        fh.write("\n")
    return written


__all__ = ["render", "expected_files", "MANIFEST", "check_video", "Output", "OUTPUTS", "VIDEO", "VIDEO_HINT",
           "VideoUnavailable", "WRITERS"]
