"""What the docs integrations share (gananim.sphinxext, gananim.mkdocs_plugin): a scenario named
on a doc page -> a cached build -> the list of files to show, each with a still PNG for the
readers that cannot play it (LaTeX/PDF, a <video> poster).

It owns the cache layout: ``<cache>/<stem>-<digest>/<stem>/`` per scenario file, video format
and size (so two pages that show the same scenario differently do not re-render each other's
folder), built by gananim.pipeline.build (a second docs build reuses run.npz and the figures).
It knows nothing of Sphinx or MkDocs: errors are EmbedError, one line, and the caller names
the page. No torch or matplotlib at import.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

from .errors import one_line

FORMATS = ("gif", "mp4", "both")  # the animation's format on the page (gananim.renderer.VIDEO)
SIZES = ("web", "slide")
PLAYABLE = (".gif", ".mp4", ".png")  # what a page can show; pdf/svg figures are left in the cache


class EmbedError(ValueError):
    """A scenario or an option a doc page cannot use; one line (the caller adds the page)."""


@dataclass
class Media:
    """One file to show: `kind` is gif, mp4 or png; `still` a PNG standing in for an animation."""

    name: str  # the file name, e.g. animation.gif
    kind: str
    path: Path
    still: Optional[Path] = None


@dataclass
class Embedded:
    title: str
    folder: Path  # <cache>/<stem>-<digest>/<stem>
    trained: bool  # False: run.npz came from the cache
    rendered: bool  # False: the figures came from the cache
    media: list[Media] = field(default_factory=list)


def scenario_path(arg: str, here: Path, root: Path) -> Path:
    """The scenario file a page names: `arg` relative to the page's folder `here`; with a
    leading ``/``, relative to the docs root `root` (as Sphinx's image directive), or an
    absolute path when no such file is under the root; a bare name (no ``/``, no ``.yaml``)
    that is not a file beside the page is the shipped scenario of that name."""
    from .builtin import FOLDER, is_bare_name

    arg = arg.strip()
    if arg.startswith("/"):
        under = root / arg.lstrip("/")
        return under if under.exists() or not Path(arg).exists() else Path(arg)
    path = Path(os.path.normpath(here / arg))
    if not path.exists() and is_bare_name(arg) and (FOLDER / f"{arg}.yaml").is_file():
        return FOLDER / f"{arg}.yaml"
    return path


def split_outputs(value: object) -> Optional[list[str]]:
    """``"animation.gif summary.png"``, ``"a, b"`` or a list -> names; None or empty -> None."""
    if value is None:
        return None
    items = value if isinstance(value, (list, tuple)) else str(value).replace(",", " ").split()
    names = [str(v).strip() for v in items if str(v).strip()]
    return names or None


def video_format(fmt: Optional[str], outputs: Optional[list[str]], default: str = "gif") -> str:
    """The animation format: `fmt` when given, else what the named outputs ask for
    (animation.mp4 -> mp4; both a .gif and a .mp4 -> both), else `default`."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise EmbedError(f"format: must be one of {', '.join(FORMATS)} (got {fmt!r})")
        return fmt
    suffixes = {Path(o).suffix for o in outputs or ()}
    if {".gif", ".mp4"} <= suffixes:
        return "both"
    return "mp4" if ".mp4" in suffixes else default


def _chosen(rendered: list[str], outputs: Optional[list[str]], video: str, source: str) -> list[str]:
    """The rendered files to show: the named ones (a bare name means its GIF/MP4 or PNG), by
    default every GIF/MP4/PNG the scenario renders (with `both`, the MP4 of an animation)."""
    from .renderer import ANIMATED

    playable = [n for n in rendered if n.endswith(PLAYABLE)]
    if outputs is None:
        return [n for n in playable if not (video == "both" and n.endswith(".gif"))]
    chosen = []
    for name in outputs:
        if "." not in name:  # a bare output name
            ext = ("mp4" if video == "both" else video) if name in ANIMATED else "png"
            name = f"{name}.{ext}"
        if name not in playable:
            raise EmbedError(f"{source}: outputs: {name!r} is not rendered with format {video} "
                             f"(it renders: {', '.join(playable) or 'nothing to show'})")
        chosen.append(name)
    return chosen


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One build per cache folder at a time (Sphinx reads pages in parallel processes)."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no lock; the build's writes are atomic anyway
        yield
        return
    with open(folder / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def last_frame(path: Path):
    """The animation's last frame as an RGB PIL image (a GIF by Pillow, an MP4 by imageio-ffmpeg,
    the video extra)."""
    from PIL import Image

    if path.suffix == ".gif":
        with Image.open(path) as im:
            im.seek(im.n_frames - 1)
            return im.convert("RGB")
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    data = None
    for data in reader:
        pass
    if data is None:
        raise EmbedError(f"{path}: the video has no frames")
    return Image.frombytes("RGB", tuple(meta["size"]), data)


def still_of(path: Path) -> Path:
    """A PNG of the animation's last frame beside it (``animation.gif`` -> ``animation.png``),
    made again only when the animation is newer."""
    still = path.with_suffix(".png")
    if still.exists() and still.stat().st_mtime >= path.stat().st_mtime:
        return still
    from .fileio import atomic_open

    frame = last_frame(path)
    with atomic_open(still, "wb") as fh:
        frame.save(fh, format="PNG")
    return still


def embed(path: Path, cache: Path, *, fmt: Optional[str] = None, size: Optional[str] = None,
          outputs: Optional[list[str]] = None, default_format: str = "gif") -> Embedded:
    """Build (or reuse) the scenario at `path` under `cache` and list the files to show.

    Raises EmbedError with gananim's one-line message (bad scenario, option, output name, a
    game that diverged, mp4 without imageio-ffmpeg)."""
    from .pipeline import build
    from .errors import OutputError, TrainingError
    from .renderer import expected_files
    from .renderer.animate import VideoUnavailable
    from .scenario import ScenarioError, load_scenario

    video = video_format(fmt, outputs, default_format)
    if size is not None and size not in SIZES:
        raise EmbedError(f"size: must be one of {', '.join(SIZES)} (got {size!r})")
    path = Path(path).absolute()
    try:
        sc = load_scenario(path)
        chosen = _chosen(expected_files(sc.render.model_dump(mode="json"), video), outputs, video, str(path))
        digest = hashlib.sha256(f"{path}\0{video}\0{size}".encode()).hexdigest()[:10]
        out = Path(cache) / f"{sc.name}-{digest}"
        with _locked(out):
            built = build(path, out, video=video, size=size, quiet=True)
            media = []
            for name in chosen:
                file = built.folder / name
                kind = file.suffix[1:]
                media.append(Media(name, kind, file, still_of(file) if kind != "png" else None))
    except (ScenarioError, TrainingError, OutputError, VideoUnavailable) as exc:
        raise EmbedError(one_line(str(exc))) from None
    return Embedded(sc.display_title(), built.folder, built.trained, built.rendered, media)
