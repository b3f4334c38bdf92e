"""The command line: argument handling only; the work is in scenario/trainer/renderer."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from . import __version__


def _fail(message: str) -> None:
    click.echo(f"gananim: error: {message}", err=True)
    sys.exit(2)


def _load_all(files: tuple[str, ...]):
    from .scenario import ScenarioError, load_scenario

    try:
        return [load_scenario(f) for f in files]
    except ScenarioError as exc:
        _fail(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gananim")
def main() -> None:
    """Train GAN games described in YAML scenarios and render how they train."""


@main.command()
@click.argument("files", nargs=-1, required=True)
def validate(files: tuple[str, ...]) -> None:
    """Check scenario FILES; print one line per file, exit 2 on the first bad one."""
    for sc, f in zip(_load_all(files), files):
        click.echo(f"{f}: ok ({sc.training.games} games, {sc.training.d_steps} D / {sc.training.g_steps} G steps)")


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--out", "out", default="gallery", show_default=True, type=click.Path(file_okay=False),
              help="Folder that receives one sub-folder per scenario (the file's stem).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
def render(files: tuple[str, ...], out: str, quiet: bool) -> None:
    """Train and render scenario FILES into OUT/<file stem>/."""
    from .progress import Bar
    from .renderer import render as render_run
    from .trainer import train

    scenarios = _load_all(files)  # every file is checked before anything is trained or written
    for sc in scenarios:
        start = time.perf_counter()
        bar = Bar(f"{sc.name}: training", "games", enabled=not quiet)
        run = train(sc, progress=bar)
        bar.close()
        bar = Bar(f"{sc.name}: rendering", "frames", enabled=not quiet)
        written = render_run(run, Path(out) / sc.name, progress=bar)
        bar.close()
        if not quiet:
            click.echo(f"{sc.name}: {len(written)} files in {Path(out) / sc.name} "
                       f"({time.perf_counter() - start:.1f}s)", err=True)
