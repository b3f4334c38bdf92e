"""The command line: argument handling only; the work is in build, renderer, gallery and workers.

Exit statuses (EXIT_CODES): every failure a user's input can cause (a scenario file, an output
path) is one line on stderr and exit status 2 (``_fail``); a game that diverged, one line and 3;
a mistake in the command line itself, click's usage message and 64 (EX_USAGE); SIGINT and
SIGTERM stop a command with one line and 128 + the signal's number, after removing the
temporary files being written (the gallery stops its workers too); warnings are one line each,
and ``--quiet`` silences them. Scenario arguments may be files or the names of the shipped
scenarios (``gananim render strong_discr``; see builtin.py).
"""
from __future__ import annotations

import signal
import sys
import time
import warnings
from concurrent.futures import as_completed
from pathlib import Path

import click

from . import __version__

SIZE_OPTION = click.option("--size", type=click.Choice(["web", "slide"]), default=None,
                           help="The animations' size preset, for every scenario (default: each file's render.size, "
                                "else web): slide = 1280 x 720 with text for a projector.")
VIDEO_OPTION = click.option("--format", "video", type=click.Choice(["gif", "mp4", "both"]), default="gif",
                            show_default=True, help="The animation as GIF, MP4 (needs gananim[video]) or both.")


ALLOW_BIG_OPTION = click.option("--allow-big", is_flag=True,
                                 help="Train scenarios whose estimated memory or time is beyond this machine's limits.")

EXIT_INPUT = 2  # a bad scenario or input file, or an output path that cannot or must not be written
EXIT_DIVERGED = 3  # a game that could not be played to the end (gananim.errors.TrainingError)
EXIT_USAGE = 64  # the command line itself is wrong (EX_USAGE in sysexits.h)
EXIT_CODES = f"""\b
Exit status:
  0        done
  {EXIT_INPUT}        a bad scenario or input file, or a bad output path (one line on stderr)
  {EXIT_DIVERGED}        a game diverged (one line on stderr)
  {EXIT_USAGE}       a usage error: an unknown option or command, a missing argument
  128+N    stopped by signal N (130: Ctrl-C, 143: SIGTERM)"""


def _fail(message: str, status: int = EXIT_INPUT) -> None:
    from .errors import one_line
    from .progress import break_line

    break_line()
    click.echo(f"gananim: error: {one_line(message)}", err=True)
    sys.exit(status)


def _complete_scenarios(ctx, param, incomplete: str) -> list:
    """Shell completion of a scenario argument: files (the shell's own completion) and, for a
    bare word, the names of the shipped scenarios."""
    from click.shell_completion import CompletionItem

    from .builtin import is_bare_name, names

    bare = not incomplete or is_bare_name(incomplete)
    shipped = [CompletionItem(n) for n in names() if n.startswith(incomplete)] if bare else []
    return [CompletionItem(incomplete, type="file"), *shipped]


def _complete_shipped(ctx, param, incomplete: str) -> list:
    from click.shell_completion import CompletionItem

    from .builtin import names

    return [CompletionItem(n) for n in names() if n.startswith(incomplete)]


SCENARIO_FILES = click.argument("files", nargs=-1, required=True, type=click.Path(), shell_complete=_complete_scenarios)


def _load_one(arg: str, path: Path):
    """One scenario; a bare name that is neither a file nor shipped gets a 'did you mean'."""
    from .builtin import hint
    from .errors import one_line
    from .scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        if type(exc) is ScenarioError and str(exc).endswith(": no such file"):
            raise ScenarioError(one_line(str(exc) + hint(arg))) from None
        raise


def _resolved(files) -> list[Path]:
    """The files that the arguments name: a file itself, or the shipped scenario of a bare name."""
    from .builtin import resolve

    return [resolve(f) for f in files]


def _load_all(files, allow_big: bool = False, missing: dict | None = None, args=None):
    """Every scenario, checked (the first problem: one line, exit 2). With `missing` (a dict), a
    scenario whose data files are absent is left out and its message kept there by file.
    `args`: the command-line arguments `files` were resolved from (for the hint of a bad name)."""
    from .errors import shown
    from .scenario import DataMissing, ScenarioError

    try:
        scenarios = []
        for arg, f in zip(args or files, files):
            try:
                scenarios.append(_load_one(str(arg), Path(f)))
            except DataMissing as exc:
                if missing is None:
                    raise
                missing[f] = str(exc)
        files = [f for f in files if f not in (missing or {})]
        if not allow_big:
            from .cost import check

            for sc, f in zip(scenarios, files):
                check(sc, shown(f))
        return scenarios
    except ScenarioError as exc:
        _fail(str(exc))


def _check_outputs(out, scenarios, video: str, pages: tuple[str, ...] = (), files=None) -> None:
    from .pipeline import check_outputs
    from .errors import OutputError

    try:
        check_outputs(out, scenarios, video, pages, files)
    except OutputError as exc:
        _fail(str(exc))


# what common warnings mean for the output, by a phrase of their message
WARNING_MEANINGS = (
    ("missing from font", "a character of the title or description is not in the font; it is drawn as a box"),
    ("cannot be log-scaled", "a log-scaled axis has no positive values to draw; that panel is left empty"),
    ("overflow", "a number overflowed; the figure may have gaps where it is not finite"),
    ("invalid value", "a computation gave NaN; the figure may have gaps where it is not finite"),
    ("divide by zero", "a division by zero; the figure may have gaps where it is not finite"),
)


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    from .errors import one_line
    from .progress import break_line

    break_line()
    text = str(message).strip()
    meaning = next((m for phrase, m in WARNING_MEANINGS if phrase in text), None)
    shown = f"{meaning} ({text})" if meaning else text
    try:
        (file or sys.stderr).write(one_line(f"gananim: warning: {shown}", 240) + "\n")
    except OSError:
        pass


def _configure_warnings(quiet: bool) -> None:
    """One line per warning (each distinct one once), or none at all with --quiet; the same
    for matplotlib's and PIL's log messages."""
    import logging

    warnings.showwarning = _one_line_warning
    if quiet:
        warnings.simplefilter("ignore")
    for name in ("matplotlib", "PIL", "imageio_ffmpeg"):
        logging.getLogger(name).setLevel(logging.CRITICAL if quiet else logging.ERROR)


# signals: SIGTERM is handled like SIGINT (Ctrl-C): the command stops, its `finally` blocks
# remove the temporary files being written, and the gallery stops its workers
_stopped_by: list[int] = []


def _exit_now(code) -> None:
    """sys.exit(code) without the interpreter's teardown, unless something still runs that the
    teardown would wait for or close (a child process, a thread) or GANANIM_TEARDOWN=1."""
    import os
    import threading

    if not isinstance(code, (int, type(None))):  # sys.exit("message"): the message on stderr, status 1
        print(code, file=sys.stderr)
        code = 1
    code = code or 0
    mp = sys.modules.get("multiprocessing")
    tracker = sys.modules.get("multiprocessing.resource_tracker")
    if ((mp is not None and mp.active_children()) or threading.active_count() > 1
            or (tracker is not None and getattr(tracker._resource_tracker, "_pid", None) is not None)
            or os.environ.get("GANANIM_TEARDOWN") == "1"):
        sys.exit(code)  # a process pool's resource tracker expects its semaphores released at exit
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


def _on_signal(signum, frame) -> None:
    _stopped_by.append(signum)
    raise KeyboardInterrupt


class _Group(click.Group):
    """The top-level group: signals stop a command cleanly, warnings are one line, and click's own
    usage errors (an unknown option or command, a missing argument) exit with EX_USAGE."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:  # the group's own options, or no command at all
            exc.exit_code = EXIT_USAGE
            raise

    def main(self, args=None, *rest, **kwargs):
        """The command line (`gananim ...`, `python -m gananim`) ends without the interpreter's
        teardown once the command is done: every file is written and closed by then (atomically),
        and tearing down torch, matplotlib and scipy took about 0.5 s of each command. Callers
        that pass `args` (click's CliRunner, scripts) get click's ordinary exit."""
        if args is not None:
            return super().main(args, *rest, **kwargs)
        try:
            super().main(args, *rest, **kwargs)
            code = 0
        except SystemExit as exc:
            code = exc.code
        _exit_now(code)

    def invoke(self, ctx):
        before = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        shown_before, filters_before = warnings.showwarning, warnings.filters[:]
        warnings.showwarning = _one_line_warning
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # a command's options and arguments, or an unknown command
            exc.exit_code = EXIT_USAGE
            raise
        except KeyboardInterrupt:
            from .fileio import remove_pending
            from .progress import break_line

            remove_pending()
            break_line()
            signum = _stopped_by[0] if _stopped_by else signal.SIGINT
            click.echo(f"gananim: stopped by {signal.Signals(signum).name}; no partly written file was left", err=True)
            sys.exit(128 + signum)
        finally:  # called in-process (click's CliRunner, a notebook): leave the caller's settings as they were
            for signum, handler in before.items():
                signal.signal(signum, handler)
            warnings.showwarning = shown_before
            warnings.filters[:] = filters_before


def _check_video(video: str) -> None:
    if video != "gif":  # the GIF writer needs nothing more (and a cached render no matplotlib)
        from .renderer import VideoUnavailable
        from .renderer.animate import check_video

        try:
            check_video()
        except VideoUnavailable as exc:
            _fail(str(exc))


def _unique_names(scenarios, files, absent=()) -> None:
    """No two scenarios (those waiting for their data included) may share a folder name."""
    from .errors import shown

    seen: dict[str, str] = {}
    for name, f in [(sc.name, f) for sc, f in zip(scenarios, files)] + [(f.stem, f) for f in absent]:
        if name in seen:
            _fail(f"{shown(f)}: two scenarios would render into the same folder {name!r} (also {seen[name]})")
        seen[name] = shown(f)


def _training_errors(fn):
    """Report a game that cannot be played (it diverged; exit status 3), and an output that cannot
    be written (2), as one line."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from .errors import OutputError, TrainingError  # not from trainer: that imports torch

        _configure_warnings(kwargs.get("quiet", False))
        try:
            return fn(*args, **kwargs)
        except TrainingError as exc:
            _fail(str(exc), EXIT_DIVERGED)
        except OutputError as exc:
            _fail(str(exc))

    return wrapper


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES)
@click.version_option(__version__, prog_name="gananim")
def main() -> None:
    """Train GAN games described in YAML scenarios and render how they train.

    A scenario argument is a YAML file or the name of a shipped scenario (`gananim scenarios
    list`): `gananim render strong_discr`.
    """


@main.command()
@SCENARIO_FILES
@click.option("--verbose", "-v", is_flag=True, help="Also print what each scenario will cost (estimated).")
@ALLOW_BIG_OPTION
def validate(files: tuple[str, ...], verbose: bool, allow_big: bool) -> None:
    """Check scenario FILES (or shipped names): one line per file, `FILE: ok (...)` on stdout or
    its error on stderr. Every file is checked; exit status 2 if any is bad."""
    from .errors import one_line, shown
    from .scenario import ScenarioError

    bad = 0
    for arg, f in zip(files, _resolved(files)):
        try:
            sc = _load_one(arg, f)
            if not allow_big:
                from .cost import check

                check(sc, shown(f))
        except ScenarioError as exc:
            bad += 1
            click.echo(f"gananim: error: {one_line(str(exc))}", err=True)
            continue
        cells = ""
        if sc.grid is not None:
            import math

            cells = f"; a phase diagram of {math.prod(map(len, sc.grid.values()))} cells x {len(sc.seed_list())} seeds"
        click.echo(f"{shown(f)}: ok ({sc.training.games} games, {sc.training.d_steps} D / {sc.training.g_steps} G steps{cells})")
        if verbose:
            from .cost import estimate

            click.echo(f"  estimate: {estimate(sc).describe()}")
    if bad:
        sys.exit(EXIT_INPUT)


class _Folder(click.Path):
    """An output folder: completed as a folder by the shell, checked by pipeline.check_outputs (a
    bad one is one line and exit status 2, like any bad input, not a usage error)."""

    def __init__(self) -> None:
        super().__init__(file_okay=False)

    def convert(self, value, param, ctx):
        return value


PHASE_JOBS_OPTION = click.option("--jobs", "-j", default=2, show_default=True, type=click.IntRange(1, 256),
                                 help="A phase diagram's cells run in this many local processes.")
SCHEDULER_OPTION = click.option("--scheduler", default=None, metavar="ADDRESS",
                                help="Run a phase diagram's cells on this Dask distributed scheduler "
                                     "(tcp://host:8786; default: $DASK_SCHEDULER_ADDRESS). Needs gananim[dask].")
DASK_LOCAL_OPTION = click.option("--dask-local", default=None, type=click.IntRange(1, 256), metavar="N",
                                 help="Run a phase diagram's cells on a Dask LocalCluster of N workers started "
                                      "here. Needs gananim[dask].")


def _phase_options(jobs: int, scheduler: str | None, dask_local: int | None) -> dict:
    import os

    if scheduler is not None and dask_local is not None:
        _fail("give either --scheduler or --dask-local, not both", EXIT_USAGE)
    if scheduler is None and dask_local is None:  # the environment's scheduler; an explicit option wins over it
        scheduler = os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    return {"jobs": jobs, "scheduler": scheduler or None, "dask_local": dask_local}


def _report(built, quiet: bool) -> None:
    if not quiet:
        how = built.note or ("trained" if built.trained else "cached run")
        click.echo(f"{built.name}: {built.folder} ({how}, {built.seconds:.1f}s)", err=True)


@main.command()
@SCENARIO_FILES
@click.option("--out", "out", default="gallery", show_default=True, type=_Folder(),
              help="Folder that receives one sub-folder per scenario (the file's stem).")
@VIDEO_OPTION
@SIZE_OPTION
@click.option("--force", is_flag=True, help="Retrain and re-render even when the cached run and figures are current.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars, no warnings.")
@click.option("--cell", default=None, metavar="KEY=VALUE,...",
              help="One cell of a phase diagram's grid (d_steps=50,lr=0.1): render that game with its seeds "
                   "into OUT/<stem>--<cell>/.")
@PHASE_JOBS_OPTION
@SCHEDULER_OPTION
@DASK_LOCAL_OPTION
@ALLOW_BIG_OPTION
@_training_errors
def render(files: tuple[str, ...], out: str, video: str, size: str | None, force: bool, quiet: bool,
           cell: str | None, jobs: int, scheduler: str | None, dask_local: int | None, allow_big: bool) -> None:
    """Train and render scenario FILES (or shipped names) into OUT/<file stem>/. A scenario with
    a grid: block is a phase diagram: phase.png and phase.json (its cells run in --jobs
    processes, or on Dask with --scheduler / --dask-local)."""
    from .pipeline import build, build_scenario

    paths = _resolved(files)
    scenarios = _load_all(paths, allow_big, args=files)  # every file is checked before anything is trained or written
    phase = _phase_options(jobs, scheduler, dask_local)
    if cell is not None:
        from .phase import PhaseError, cell_scenario

        if len(scenarios) != 1:
            _fail("--cell names a cell of one phase diagram: give one scenario file", EXIT_USAGE)
        from .scenario import ScenarioError

        try:
            sc = cell_scenario(scenarios[0], cell)
        except (PhaseError, ScenarioError) as exc:
            _fail(str(exc))
        _check_video(video)
        _check_outputs(out, [sc], video)
        _report(build_scenario(sc, out, force=force, video=video, quiet=quiet, size=size), quiet)
        return
    _unique_names(scenarios, paths)
    _check_video(video)
    _check_outputs(out, scenarios, video)
    for f in paths:
        _report(_phase_errors(build, f, out, force=force, video=video, quiet=quiet, size=size, **phase), quiet)


def _phase_errors(fn, *args, **kwargs):
    from .phase import PhaseError

    try:
        return fn(*args, **kwargs)
    except PhaseError as exc:
        _fail(str(exc))


@main.command()
@click.argument("file", type=click.Path(), shell_complete=_complete_scenarios)
@click.option("--grid", "grid", multiple=True, metavar="KEY=V1,V2,...",
              help="A dotted key of the scenario and its values (YAML, separated by commas), e.g. "
                   "training.d_steps=1,5,50; repeat for a second axis and facets. Replaces the file's grid: block.")
@click.option("--seeds", default=None, metavar="N", type=click.IntRange(1, 64),
              help="Play each cell with seeds 0 .. N-1 (default: the file's seeds).")
@click.option("--out", "out", default="gallery", show_default=True, type=_Folder())
@PHASE_JOBS_OPTION
@SCHEDULER_OPTION
@DASK_LOCAL_OPTION
@click.option("--force", is_flag=True, help="Run every cell again, even those with a cached result.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, no warnings.")
@ALLOW_BIG_OPTION
@_training_errors
def sweep(file: str, grid: tuple[str, ...], seeds: int | None, out: str, jobs: int, scheduler: str | None,
          dask_local: int | None, force: bool, quiet: bool, allow_big: bool) -> None:
    """A phase diagram of scenario FILE over a grid of settings, crossed with its seeds:
    OUT/<stem>/phase.png and phase.json (OUT/<stem>_phase/ when the grid comes from --grid and
    the file has none). Each cell's result is cached: an interrupted or extended sweep runs only
    the cells it has no result for."""
    import yaml

    from .errors import shown
    from .phase import parse_grid_option
    from .pipeline import build_scenario_phase
    from .scenario import ScenarioError, parse_scenario

    path = _resolved((file,))[0]
    sc = _load_all([path], allow_big, args=(file,))[0]
    phase = _phase_options(jobs, scheduler, dask_local)
    raw = dict(getattr(sc, "_raw"))
    name = sc.name
    if grid:
        try:
            raw["grid"] = parse_grid_option(grid)
        except ValueError as exc:
            _fail(f"{shown(path)}: --grid: {exc}")
        if sc.grid is None:
            name = f"{sc.name}_phase"
    if seeds is not None:
        raw.pop("seed", None)
        raw.pop("seeds", None)
        raw |= {"seeds": list(range(seeds))} if seeds > 1 else {"seed": 0}
    if "grid" not in raw:
        _fail(f"{shown(path)}: grid: this scenario has no grid: block; give the axes with --grid KEY=V1,V2,...")
    try:
        sc = parse_scenario(raw, shown(path), name, path.parent)
    except ScenarioError as exc:
        _fail(str(exc))
    _check_outputs(out, [sc], "gif")
    text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True).encode()
    # the diagram's own file: the saved OUT/<name>/scenario.yaml when the command line changed the grid or the seeds
    source = shown(Path(out) / name / "scenario.yaml") if grid or seeds is not None else shown(path)
    _report(_phase_errors(build_scenario_phase, sc, text, source, out, force=force, quiet=quiet, **phase), quiet)


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False))
@click.option("--builtin", is_flag=True, help="The shipped scenarios and their page layout, instead of a DIRECTORY.")
@click.option("--out", "out", default="gallery", show_default=True, type=_Folder())
@click.option("--jobs", "-j", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Scenarios rendered in parallel (processes).")
@VIDEO_OPTION
@SIZE_OPTION
@click.option("--force", is_flag=True, help="Retrain and re-render every scenario.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, no warnings.")
@ALLOW_BIG_OPTION
@_training_errors
def gallery(directory: str | None, builtin: bool, out: str, jobs: int, video: str, size: str | None, force: bool,
            quiet: bool, allow_big: bool) -> None:
    """Render every scenario under DIRECTORY (or, with --builtin, the shipped ones) into OUT/ with
    OUT/index.html and OUT/gallery.md."""
    if (directory is None) != builtin:
        _fail("gallery: give either a DIRECTORY of scenarios or --builtin (the shipped ones), not both"
              if builtin else "gallery: give a DIRECTORY of scenarios, or --builtin for the shipped ones", EXIT_USAGE)
    if builtin:
        from .builtin import folder

        directory = str(folder())
    elif not Path(directory).is_dir():
        from .errors import shown

        _fail(f"{shown(directory)}: no such folder" if not Path(directory).exists() else f"{shown(directory)}: not a folder")
    from .gallery import PAGES, LayoutError, read_layout, scenario_files, write_pages
    from .progress import Bar

    start = time.perf_counter()
    files = scenario_files(directory)
    if not files:
        _fail(f"{directory}: no scenario files (*.yaml) found")
    try:  # the page's sections (DIRECTORY/gallery.yaml), checked before any work
        layout = read_layout(directory, [f.stem for f in files])
    except LayoutError as exc:
        _fail(str(exc))
    from .workers import build_one, start_workers, stop_workers

    workers = min(jobs, len(files))
    pool = start_workers(workers) if workers > 1 else None
    building = False
    try:
        absent: dict = {}  # scenarios whose data files are not here: a card says how to fetch them
        scenarios = _load_all(files, allow_big, absent)
        listed, files = files, [f for f in files if f not in absent]
        _unique_names(scenarios, files, absent)
        _check_video(video)
        _check_outputs(out, scenarios, video, PAGES)
        bar = Bar("gallery", "scenarios", enabled=not quiet)
        bar(0, len(files))
        tasks = [(str(f), out, force, video, quiet, size) for f in files]
        built = []
        if pool is None:
            for task in tasks:
                built.append(build_one(task))
                bar(len(built), len(files))
        else:
            from .pipeline import estimated_seconds

            longest_first = sorted(range(len(tasks)), key=lambda i: -estimated_seconds(scenarios[i]))
            building = True
            futures = [pool.submit(build_one, tasks[i]) for i in longest_first]
            for future in as_completed(futures):
                built.append(future.result())
                bar(len(built), len(files))
    except BaseException as exc:
        if pool is not None and (not building or isinstance(exc, KeyboardInterrupt)):
            stop_workers(pool)  # refused before any build, or interrupted (SIGINT, SIGTERM)
        elif pool is not None:  # a build failed: start no other, let running ones finish their files
            pool.shutdown(cancel_futures=True)
        raise
    if pool is not None:
        pool.shutdown()
    bar.close()
    from .gallery import absent_card

    write_pages(out, [f.stem for f in listed], {sc.name: sc.description for sc in scenarios},
                absent={f.stem: absent_card(f, message) for f, message in absent.items()}, layout=layout)
    if not quiet:
        trained = sum(b.trained for b in built)
        rendered = sum(b.rendered for b in built)
        waiting = f"; {len(absent)} waiting for their data (see their cards)" if absent else ""
        click.echo(f"gallery: {len(built)} scenarios ({trained} trained, {rendered} rendered, the rest from cache"
                   f"{waiting}) in {time.perf_counter() - start:.1f}s -> {Path(out) / 'index.html'}", err=True)


@main.command()
@SCENARIO_FILES
@click.option("--out", "out", default="gallery/compare", show_default=True, type=_Folder())
@VIDEO_OPTION
@click.option("--fps", default=8, show_default=True, type=click.IntRange(1, 50))
@click.option("--force", is_flag=True, help="Retrain even when cached runs are current.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars, no warnings.")
@ALLOW_BIG_OPTION
@_training_errors
def compare(files: tuple[str, ...], out: str, video: str, fps: int, force: bool, quiet: bool,
            allow_big: bool) -> None:
    """Render scenario FILES (or shipped names) side by side in one animation, frames aligned by
    game: OUT/compare.gif."""
    from .pipeline import obtain_run
    from .errors import shown
    from .fileio import remove_stale_temps
    from .progress import Bar
    from .renderer.compare import render_compare

    paths = _resolved(files)
    scenarios = _load_all(paths, allow_big, args=files)
    if len(scenarios) < 2:
        _fail("compare needs at least two scenario files")
    for f, sc in zip(paths, scenarios):
        if sc.seeds is not None:
            _fail(f"{shown(f)}: seeds: compare takes one-seed scenarios (a sweep's own render shows its seeds side by side)")
    _unique_names(scenarios, paths)
    _check_video(video)
    _check_outputs(out, scenarios, video, ("compare.gif", "compare.mp4"), files=["run.npz"])
    remove_stale_temps(out)
    runs = []
    for sc in scenarios:
        folder = Path(out) / sc.name
        remove_stale_temps(folder)
        run, trained = obtain_run(sc, folder, force, quiet)
        if trained:
            run.save(folder / "run.npz")
        runs.append(run)
    bar = Bar("compare: rendering", "frames", enabled=not quiet)
    written = render_compare(runs, out, video=video, fps=fps, progress=bar)
    bar.close()
    if not quiet:
        click.echo(f"compare: {', '.join(str(p) for p in written)}", err=True)


@main.group()
def data() -> None:
    """Image data sets for scenarios that read IDX files (MNIST, Fashion-MNIST)."""


@data.command("fetch")
@click.argument("name", metavar="mnist|fashion-mnist")
@click.option("--to", "to", required=True, type=click.Path(file_okay=False),
              help="Folder that receives the four IDX files (.gz).")
@click.option("--mirror", default=None, metavar="URL", help="A base URL serving the same files (instead of the "
              "published ones); every file is still checked against its published SHA-256.")
@click.option("--quiet", "-q", is_flag=True, help="No line per file.")
def fetch(name: str, to: str, mirror: str | None, quiet: bool) -> None:
    """Download data set NAME's training and test IDX files into --to and check each one's
    SHA-256; a file is kept only when complete and correct. Needs a network."""
    from .datasets import DataError
    from .datasets import fetch as download

    try:
        download(name, to, mirror=mirror, report=None if quiet else lambda line: click.echo(line, err=True))
    except DataError as exc:
        _fail(str(exc))


@main.group()
def scenarios() -> None:
    """The scenarios shipped with gananim: list them, or copy some to start your own."""


def _shipped_summary(path: Path) -> str:
    """A shipped scenario's title, else the first line of its description."""
    from .yamlload import load_text

    raw = load_text(path.read_text(encoding="utf-8"))
    text = raw.get("title") or (raw.get("description") or "").strip() if isinstance(raw, dict) else ""
    return (str(text).splitlines() or [""])[0]


@scenarios.command("list")
def scenarios_list() -> None:
    """Each shipped scenario's name and title; `gananim render NAME` renders one."""
    from .builtin import folder, names

    shipped = names()
    width = max(map(len, shipped), default=0)
    for name in shipped:
        click.echo(f"{name:<{width}}  {_shipped_summary(folder() / f'{name}.yaml')}".rstrip())


@scenarios.command("copy")
@click.argument("names", nargs=-1, shell_complete=_complete_shipped)
@click.argument("dest", metavar="DIR", type=_Folder())
@click.option("--all", "everything", is_flag=True, help="Every shipped scenario, and the gallery's layout (gallery.yaml).")
@click.option("--force", is_flag=True, help="Replace files that are already in DIR.")
def scenarios_copy(names: tuple[str, ...], dest: str, everything: bool, force: bool) -> None:
    """Copy the shipped scenarios NAMES (or --all) into DIR, creating it; a file already there is
    kept unless --force."""
    import difflib
    import shutil

    from .builtin import LAYOUT, folder
    from .builtin import names as shipped
    from .errors import shown

    if bool(names) == everything:
        _fail("scenarios copy: give the NAMES of shipped scenarios, or --all, not both" if everything
              else "scenarios copy: give the NAMES of shipped scenarios (gananim scenarios list), or --all", EXIT_USAGE)
    wanted = [n.removesuffix(".yaml") for n in names] if names else shipped()
    for name in wanted:
        if name not in shipped():
            close = difflib.get_close_matches(name, shipped(), 1)
            _fail(f"{shown(name)}: no shipped scenario of that name; "
                  + (f"did you mean {close[0]!r}?" if close else "`gananim scenarios list` shows them"))
    files = [f"{n}.yaml" for n in dict.fromkeys(wanted)] + ([LAYOUT] if everything else [])
    target = Path(dest)
    there = [f for f in files if (target / f).exists()]
    if there and not force:
        _fail(f"{shown(target / there[0])}: already there"
              + (f" (and {len(there) - 1} more)" if len(there) > 1 else "") + "; --force replaces them")
    try:
        target.mkdir(parents=True, exist_ok=True)
        for f in files:
            shutil.copyfile(folder() / f, target / f)
    except OSError as exc:
        _fail(f"{shown(dest)}: cannot write there ({exc.strerror or exc})")
    click.echo(f"scenarios: copied {len(files)} file{'s' * (len(files) != 1)} into {shown(target)}", err=True)


SCHEMA_URL = "https://json-schema.org/draft/2020-12/schema"


def scenario_schema_text() -> str:
    """The JSON Schema of a scenario file, as `gananim schema` prints it and the package ships it
    (gananim/schema/scenario.schema.json): sorted keys, indent 2, a trailing newline."""
    import json

    from .scenario import Scenario

    schema = Scenario.model_json_schema()  # validation mode: what a file may contain
    schema |= {"$schema": SCHEMA_URL, "title": "gananim scenario",
               "description": "A gananim scenario file: one GAN training game, and how it is drawn."}
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@main.command()
def schema() -> None:
    """Print the JSON Schema of a scenario file, for editors: completion and checks as you type
    (the same text ships as gananim/schema/scenario.schema.json)."""
    click.echo(scenario_schema_text(), nl=False)
