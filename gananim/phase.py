"""Phase diagrams: one game over a grid of settings, each cell played once per seed, and what
became of each seed (outcomes.py), drawn as heat maps (renderer/phase.py).

A scenario's ``grid:`` block maps dotted keys to lists of values (x, y and facets); a cell is
the scenario file with those keys set (its own mapping, validated like a file) and its seeds
trained side by side as one seed sweep. Cells are independent tasks (``run_cell``): they run
in this process, in local worker processes (as the gallery's scenarios do), or on a Dask
distributed cluster (``--scheduler ADDRESS``, ``--dask-local N``). Each cell's result is cached
by content in OUT/<name>/cells/<key>.json, where key follows the cell's train_key: an
interrupted or extended sweep runs only the cells it has no result for, wherever the others ran.
The results are the numbers summary.json gives for that cell's own render (metrics.headline),
rounded as summary.json rounds them, so phase.json is the same bytes whichever executor ran it.

Nothing here draws (renderer/phase.py does) and nothing here imports torch until a cell trains.
"""
from __future__ import annotations

import copy
import hashlib
import json
import re
import shlex
import time
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from .errors import excerpt, one_line
from .outcomes import MIXTURE_ONLY
from .scenario import Scenario, ScenarioError, parse_scenario

CELL_REVISION = 1  # bumped when what a cell's result holds changes (its cache key follows)
CELLS = "cells"  # the folder of cached cell results inside OUT/<name>/
PHASE_FILES = ("phase.json", "summary.json", "scenario.yaml", ".render-key")  # besides phase.<formats> and cells/


class PhaseError(ValueError):
    """A phase diagram cannot be run as asked (a --cell that is not on the grid, a cluster that
    cannot be reached, Dask not installed); one line, exit status 2."""


def value_text(value: Any) -> str:
    """A grid value as a label and a --cell argument: 0.1, 50, r1, {"kind": "r1"} (JSON, compact)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def short_names(keys: Iterable[str]) -> dict[str, str]:
    """Each dotted key's last part (d_steps for training.d_steps) where no other key shares it,
    else the whole key."""
    keys = list(keys)
    last = [k.split(".")[-1] for k in keys]
    return {k: (s if last.count(s) == 1 else k) for k, s in zip(keys, last)}


@dataclass
class Cell:
    values: dict[str, Any]  # dotted key -> value, in the grid's order
    label: str  # d_steps=50,lr=0.1 (short names)
    raw: dict[str, Any]  # the scenario mapping of this cell (the file with these keys set, no grid)
    scenario: Scenario = field(repr=False)
    key: str = ""  # the cache key: the cell's train_key and CELL_REVISION


def _set(raw: dict[str, Any], key: str, value: Any) -> None:
    where = raw
    parts = key.split(".")
    for part in parts[:-1]:
        nxt = where.get(part)
        if nxt is None:
            nxt = where[part] = {}
        if not isinstance(nxt, dict):
            raise ScenarioError(f"{key}: {part!r} is not a block of keys, cannot set {key!r} inside it")
        where = nxt
    where[parts[-1]] = copy.deepcopy(value)


def _source(sc: Scenario) -> str:
    return getattr(sc, "_source", None) or sc.name


def base_raw(sc: Scenario) -> dict[str, Any]:
    """The scenario's own mapping (as its file gives it) without grid and phase."""
    raw = getattr(sc, "_raw", None)
    raw = copy.deepcopy(raw if raw is not None else sc.model_dump(mode="json"))
    raw.pop("grid", None)
    raw.pop("phase", None)
    return raw


def cell_key(sc: Scenario) -> str:
    blob = json.dumps({"train": sc.train_key(), "cell": CELL_REVISION})
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def cells(sc: Scenario) -> list[Cell]:
    """Every cell of the scenario's grid (the first key varies slowest), each validated like a
    file; a bad one raises ScenarioError naming the file, the cell's keys and values and the
    problem: ``FILE: grid: training.d_steps=0: training.d_steps: Input should be greater ...``."""
    import itertools

    grid = sc.grid or {}
    keys = list(grid)
    names = short_names(keys)
    base = base_raw(sc)
    out = []
    for combo in itertools.product(*(grid[k] for k in keys)):
        values = dict(zip(keys, combo))
        where = f"{_source(sc)}: grid: " + ", ".join(f"{k}={value_text(v)[:40]}" for k, v in values.items())
        raw = copy.deepcopy(base)
        try:
            for k, v in values.items():
                _set(raw, k, v)
        except ScenarioError as exc:
            raise ScenarioError(one_line(f"{where}: {exc}")) from None
        cell_sc = parse_scenario(raw, where, sc.name, getattr(sc, "_base", None))
        asked = list(sc.phase.outcomes or []) if sc.phase is not None else []
        if (bad := [o for o in asked if o in MIXTURE_ONLY]) and not hasattr(cell_sc.data, "modes"):
            raise ScenarioError(one_line(f"{where}: phase.outcomes: {bad[0]!r} needs data with modes (mixture, ring "
                                         f"or grid), not {cell_sc.data.kind}"))
        label = ",".join(f"{names[k]}={value_text(v)}" for k, v in values.items())
        out.append(Cell(values, label, raw, cell_sc, cell_key(cell_sc)))
    return out


def own_values(sc: Scenario) -> dict[str, Any]:
    """The scenario's own value at each grid key (what the file says without its grid, defaults
    filled): the cell a diagram marks as the shipped game's own, when the grid has it."""
    dumped = parse_scenario(base_raw(sc), _source(sc), sc.name, getattr(sc, "_base", None)).model_dump(mode="json")
    return {key: _at(dumped, key) for key in sc.grid or {}}


def _at(dumped: dict[str, Any], key: str) -> Any:
    """The value at a dotted key of a dumped scenario (validated, defaults filled: 1 and 1.0, or
    {kind: r1, gamma: 1} and its filled form, compare equal)."""
    where: Any = dumped
    for part in key.split("."):
        where = where.get(part) if isinstance(where, dict) else None
    return where


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) and not isinstance(b, bool):
        return float(a) == float(b)
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def find_cell(sc: Scenario, spec: str) -> Cell:
    """The cell a --cell argument names: ``d_steps=50,lr=0.1`` (short or dotted names, every key
    of the grid, values as YAML), or PhaseError naming what is wrong."""
    from .yamlload import load_text

    if not sc.grid:
        raise PhaseError(f"{_source(sc)}: --cell: this scenario has no grid: block")
    keys = list(sc.grid)
    names = short_names(keys)
    by_name = {**{k: k for k in keys}, **{s: k for k, s in names.items()}}
    parts = [p for p in re.split(r",(?=\s*[A-Za-z_][A-Za-z0-9_.]*\s*=)", spec) if p.strip()]
    wanted: dict[str, Any] = {}
    expected = ",".join(f"{names[k]}=VALUE" for k in keys)
    for part in parts:
        if "=" not in part:
            raise PhaseError(f"{_source(sc)}: --cell {excerpt(spec)}: expected {expected}")
        name, text = (s.strip() for s in part.split("=", 1))
        if name not in by_name:
            raise PhaseError(f"{_source(sc)}: --cell: {excerpt(name)} is not a key of the grid "
                             f"(its keys: {', '.join(names[k] for k in keys)})")
        if by_name[name] in wanted:
            raise PhaseError(f"{_source(sc)}: --cell: {names[by_name[name]]} is given twice")
        try:
            wanted[by_name[name]] = load_text(text) if text else ""
        except Exception:
            wanted[by_name[name]] = text
    if missing := [names[k] for k in keys if k not in wanted]:
        raise PhaseError(f"{_source(sc)}: --cell {excerpt(spec)}: give a value for {', '.join(missing)} too "
                         f"(expected {expected})")
    for k in keys:
        if not any(_same(wanted[k], v) for v in sc.grid[k]):
            raise PhaseError(f"{_source(sc)}: --cell: {names[k]}={value_text(wanted[k])} is not on the grid "
                             f"(its values: {', '.join(value_text(v) for v in sc.grid[k])})")
    for cell in cells(sc):
        if all(_same(cell.values[k], wanted[k]) for k in keys):
            return cell
    raise PhaseError(f"{_source(sc)}: --cell {excerpt(spec)}: no such cell")  # unreachable: every value is on the grid


def parse_grid_option(options: Iterable[str]) -> dict[str, list[Any]]:
    """`--grid training.d_steps=1,5,50 --grid optimizer.lr=0.03,0.1` -> the grid: block (each
    value read as YAML: 1 is a number, r1 a name); ValueError with what is wrong."""
    from .yamlload import load_text

    import yaml

    grid: dict[str, list[Any]] = {}
    for option in options:
        key, sep, values = option.partition("=")
        key = key.strip()
        if not sep or not key or not values.strip():
            raise ValueError(f"{excerpt(option)}: expected KEY=V1,V2,... (e.g. training.d_steps=1,5,50)")
        if key in grid:
            raise ValueError(f"{key}: given twice")
        try:
            grid[key] = [load_text(v.strip()) for v in _top_level_split(values)]
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or "invalid YAML"
            raise ValueError(f"{key}: a value is not YAML ({problem}): {excerpt(values)}") from None
    return grid


def _top_level_split(text: str) -> list[str]:
    """Split at commas outside brackets and braces: 1,5 -> [1, 5]; {kind: r1, gamma: 1},{kind: none}
    -> two mappings; [0.5, 0.9],[0.0, 0.9] -> two lists."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return parts + [current]


def cell_scenario(sc: Scenario, spec: str) -> Scenario:
    """The scenario of one cell, named for its own folder: OUT/<name>--d_steps=50,lr=0.1/."""
    cell = find_cell(sc, spec)
    name = f"{sc.name}--{cell.label}"
    if len(name) > 120 or not re.fullmatch(r"[A-Za-z0-9_.,=+-]+", cell.label):  # dicts, lists, long values
        name = f"{sc.name}--cell-{cell.key[:10]}"
    return parse_scenario(cell.raw, f"{_source(sc)} --cell {cell.label}", name, getattr(sc, "_base", None))


# --- one cell: a task for any executor -------------------------------------------------------

RECORD_KEYS = ("final_objective", "reached_reference_at_game", "distance_to_reference", "mean_d_real",
               "mean_d_fake", "final_energy_distance", "final_modes_covered", "modes_total",
               "final_high_quality_fraction")


def _record(member: dict, critic: bool) -> dict[str, Any]:
    """One seed's numbers, as its summary.json gives them (metrics.headline, rounded)."""
    from .metrics import rounded

    out = {"seed": member["seed"], "diverged": False, "critic": critic}
    out |= {k: member[k] for k in RECORD_KEYS if k in member}
    return rounded(out)


def _members(run) -> list[dict]:
    from .metrics import headline, sweep_headline

    if run.seeds is None:
        return [headline(run) | {"seed": run.seed}]
    return sweep_headline(run)["per_seed"]


def task(cell: Cell, sc: Scenario) -> dict[str, Any]:
    """What an executor sends to a worker: plain data (the cell's mapping), nothing pickled from
    this process's objects."""
    base = getattr(sc, "_base", None)
    return {"raw": cell.raw, "name": sc.name, "source": f"{_source(sc)}: grid: {cell.label}",
            "base": None if base is None else str(base), "key": cell.key, "label": cell.label,
            "values": cell.values}


def run_cell(t: dict[str, Any]) -> dict[str, Any]:
    """Train one cell (its seeds side by side) and return its result: every seed's numbers. A
    cell whose stacked training diverges is played again seed by seed, so each seed gets its own
    outcome. Runs anywhere gananim is installed (a local process, a Dask worker)."""
    from .errors import TrainingError
    from .trainer import train

    start = time.perf_counter()
    base = None if t["base"] is None else Path(t["base"])
    sc = parse_scenario(t["raw"], t["source"], t["name"], base)
    if cell_key(sc) != t["key"]:
        raise PhaseError(f"{t['source']}: this worker's gananim or torch differs from the client's "
                         "(the cell's cache key does not match); install the same versions on every worker")
    critic = None
    try:
        run = train(sc)
        critic = run.meta.get("d_output") == "critic"
        per_seed = [_record(m, critic) for m in _members(run)]
    except TrainingError:
        per_seed = []
        for seed in sc.seed_list():
            one = dict(t["raw"]) | {"seed": seed}
            one.pop("seeds", None)
            one_sc = parse_scenario(one, t["source"], t["name"], base)
            try:
                run = train(one_sc)
                per_seed.append(_record(_members(run)[0], run.meta.get("d_output") == "critic"))
            except TrainingError as exc:
                per_seed.append({"seed": seed, "diverged": True, "message": one_line(str(exc), 200)})
    result = {"key": t["key"], "label": t["label"], "values": t["values"], "per_seed": per_seed}
    return {"result": result, "seconds": time.perf_counter() - start}


# --- executors ---------------------------------------------------------------------------------

@dataclass
class Executed:
    """How the cells ran: the executor, the cells run, and each cell's own time in the worker."""
    executor: str
    cell_seconds: list[float] = field(default_factory=list)
    wall: float = 0.0


def execute(tasks: list[dict], on_result: Callable[[dict], None], *, jobs: int = 1,
            scheduler: Optional[str] = None, dask_local: Optional[int] = None,
            progress: Optional[Callable[[int, int], None]] = None) -> Executed:
    """Run the cell tasks and hand each result to `on_result` as it arrives (the caller caches it
    at once: an interruption keeps every finished cell). In this process (jobs 1), in `jobs`
    local processes, on the Dask scheduler at `scheduler`, or on a LocalCluster of `dask_local`
    workers started here."""
    start = time.perf_counter()
    done: list[float] = []

    def got(out: dict) -> None:
        on_result(out["result"])
        done.append(out["seconds"])
        if progress is not None:
            progress(len(done), len(tasks))

    def started() -> None:  # the executor is up: the progress line starts
        if progress is not None:
            progress(0, len(tasks))

    if scheduler is not None or dask_local is not None:
        name = f"dask-local-{dask_local}" if dask_local is not None else f"dask {scheduler}"
        if tasks:
            _on_dask(tasks, got, started, scheduler, dask_local)
    elif jobs > 1 and len(tasks) > 1:
        name = f"processes-{min(jobs, len(tasks))}"
        started()
        _on_processes(tasks, got, min(jobs, len(tasks)))
    else:
        name = "this process"
        started()
        for t in tasks:
            got(run_cell(t))
    return Executed(name, done, time.perf_counter() - start)


def _on_processes(tasks: list[dict], got: Callable[[dict], None], jobs: int) -> None:
    from .workers import start_workers, stop_workers

    pool = start_workers(jobs)
    try:
        for future in as_completed([pool.submit(run_cell, t) for t in tasks]):
            got(future.result())
    except BaseException:
        stop_workers(pool)
        raise
    pool.shutdown()


DASK_HINT = "pip install 'gananim[dask]'"


def _on_dask(tasks: list[dict], got: Callable[[dict], None], started: Callable[[], None], scheduler: Optional[str],
             local: Optional[int]) -> None:
    import logging

    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError:
        raise PhaseError(f"--scheduler and --dask-local run the cells on Dask distributed, which is not installed: "
                         f"{DASK_HINT}") from None
    cluster = None
    try:
        if local is not None:
            # one thread per worker: a cell's players are small, and processes share the cores
            cluster = LocalCluster(n_workers=local, threads_per_worker=1, processes=True, dashboard_address=":0",
                                   silence_logs=logging.ERROR)
            client = Client(cluster)
        else:
            try:
                client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise PhaseError(one_line(f"--scheduler {excerpt(scheduler)}: cannot reach the Dask scheduler "
                                          f"({type(exc).__name__}: {exc})")) from None
        started()
        try:
            futures = [client.submit(run_cell, t, key=f"gananim-cell-{t['key']}", pure=False) for t in tasks]
            for future in dask_completed(futures):
                got(future.result())
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


# --- the diagram -------------------------------------------------------------------------------

def settings_of(sc: Scenario) -> dict[str, Any]:
    from .outcomes import ENERGY_BELOW, QUALITY_ABOVE

    ph = sc.phase
    if ph is None:
        return {"energy_below": ENERGY_BELOW, "quality_above": QUALITY_ABOVE}
    return {"energy_below": float(ph.energy_below), "quality_above": float(ph.quality_above)}


def assemble(sc: Scenario, all_cells: list[Cell], results: dict[str, dict], source: str) -> dict[str, Any]:
    """phase.json: the axes, the rules in words, the scenario's own cell and every cell's counts
    of each outcome over its seeds, with the median game of settling."""
    import statistics

    from .outcomes import classify, default_outcomes, rules

    settings = settings_of(sc)
    records = [r for c in all_cells for r in results[c.key]["per_seed"]]
    names = list(sc.phase.outcomes) if sc.phase is not None and sc.phase.outcomes else default_outcomes(records)
    keys = list(sc.grid)
    short = short_names(keys)
    own = own_values(sc)
    own_cell = next((c.label for c in all_cells if all(_same(_at(c.scenario.model_dump(mode="json"), k), own[k])
                                                        for k in keys)), None)
    out_cells = []
    for c in all_cells:
        per_seed = []
        for r in results[c.key]["per_seed"]:
            got = classify(r, settings, names)
            per_seed.append(r | {"outcomes": [n for n in names if got[n]]})
        n = len(per_seed)
        counts = {name: sum(name in r["outcomes"] for r in per_seed) for name in names}
        settled = [r["reached_reference_at_game"] for r in per_seed
                   if not r["diverged"] and r.get("reached_reference_at_game") is not None]
        out_cells.append({"label": c.label, "values": c.values, "key": c.key, "seeds": n, "counts": counts,
                          "fractions": {k: v / n for k, v in counts.items()},
                          "median_settling_game": statistics.median(settled) if settled else None,
                          "per_seed": per_seed})
    from .metrics import rounded

    return rounded({
        "name": sc.name, "title": sc.display_title(), "description": sc.description.strip(),
        "axes": [{"key": k, "name": short[k], "values": sc.grid[k]} for k in keys],
        "seeds": sc.seed_list(), "outcomes": names,
        "games": None if {"training.games", "training.epochs"} & set(keys) else sc.training.games, "rules": rules(settings, names), "settings": settings,
        "own_cell": own_cell, "own_values": own,
        "cell_command": f"gananim render {shlex.quote(Path(source).name)} --cell {shlex.quote(all_cells[0].label)}",
        "cells": out_cells,
    })


def headline(data: dict[str, Any]) -> dict[str, Any]:
    """summary.json of a phase diagram (the gallery's card): its size, each outcome's share of
    all the games played, and the own cell's counts."""
    runs = sum(c["seeds"] for c in data["cells"])
    own = next((c for c in data["cells"] if c["label"] == data["own_cell"]), None)
    return {"name": data["name"], "title": data["title"], "phase": True,
            "axes": [{"key": a["key"], "values": a["values"]} for a in data["axes"]], "outcomes": data["outcomes"],
            "cells": len(data["cells"]),
            "seeds_per_cell": len(data["seeds"]), "runs": runs, "games": data["games"],
            "outcome_totals": {n: sum(c["counts"][n] for c in data["cells"]) for n in data["outcomes"]},
            "own_cell": None if own is None else {"label": own["label"], "counts": own["counts"], "seeds": own["seeds"]},
            "counts_by_cell": {c["label"]: c["counts"] for c in data["cells"]},
            "median_settling_game_by_cell": {c["label"]: c["median_settling_game"] for c in data["cells"]
                                             if c["median_settling_game"] is not None}}


@dataclass
class PhaseBuilt:
    name: str
    folder: Path
    cells: int
    trained: int  # cells run now (the others came from the cache)
    rendered: bool
    seconds: float
    executed: Optional[Executed] = None

    @property
    def trained_any(self) -> bool:
        return self.trained > 0


def phase_files(sc: Scenario) -> list[str]:
    return [*(f"phase.{fmt}" for fmt in sc.render.formats), *PHASE_FILES]


def _cached(path: Path, key: str) -> Optional[dict]:
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    ok = (isinstance(result, dict) and result.get("key") == key and isinstance(result.get("per_seed"), list)
          and all(isinstance(r, dict) and "seed" in r and "diverged" in r for r in result["per_seed"]))
    return result if ok else None


def _json_text(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def build_phase(sc: Scenario, text: bytes, source: str, out: str | Path, *, jobs: int = 1,
                scheduler: Optional[str] = None, dask_local: Optional[int] = None, force: bool = False,
                quiet: bool = True) -> PhaseBuilt:
    """Run (or reuse) every cell of the scenario's grid, then write OUT/<name>/phase.json,
    summary.json, phase.png (and render.formats) and scenario.yaml."""
    from .fileio import atomic_open, check_folder, check_targets, remove_stale_temps
    from .progress import Bar
    from .pipeline import RENDER_KEY, _digest

    start = time.perf_counter()
    out = Path(out)
    folder = out / sc.name
    check_folder(out)
    check_targets(folder, phase_files(sc))
    cache = folder / CELLS
    if cache.is_symlink() or (cache.exists() and not cache.is_dir()):
        from .errors import OutputError, shown

        raise OutputError(f"{shown(cache)}: exists and is not a folder (a phase diagram keeps its cells' results "
                          "there); remove it or choose another --out")
    remove_stale_temps(folder)
    remove_stale_temps(cache)
    all_cells = cells(sc)
    results: dict[str, dict] = {}
    for c in all_cells:
        cached = None if force else _cached(cache / f"{c.key}.json", c.key)
        if cached is not None:
            results[c.key] = cached
    todo, seen = [], set()
    for c in all_cells:
        if c.key not in results and c.key not in seen:  # two cells may be one game (a value that changes nothing)
            seen.add(c.key)
            todo.append(task(c, sc))

    def keep(result: dict) -> None:
        with atomic_open(cache / f"{result['key']}.json", "w") as fh:
            fh.write(_json_text(result))
        results[result["key"]] = result

    bar = Bar(f"{sc.name}: cells", "cells", enabled=not quiet and bool(todo))
    executed = execute(todo, keep, jobs=jobs, scheduler=scheduler, dask_local=dask_local, progress=bar)
    bar.close()
    data = assemble(sc, all_cells, results, source)
    phase_text = _json_text(data)
    key = _digest({"phase": phase_text, "render": sc.render.model_dump(mode="json"), "kind": "phase"})
    names = [f"phase.{fmt}" for fmt in sc.render.formats]
    fresh = ((folder / RENDER_KEY).exists() and (folder / RENDER_KEY).read_text() == key
             and all((folder / n).exists() for n in [*names, "phase.json", "summary.json"]))
    if not fresh:
        from .renderer.figures import save
        from .renderer.phase import phase_figure

        fig = phase_figure(data, sc.render.dpi)
        for name in names:
            save(fig, folder / name, sc.render.dpi)
        with atomic_open(folder / "phase.json", "w") as fh:
            fh.write(phase_text)
        with atomic_open(folder / "summary.json", "w") as fh:
            fh.write(_json_text(headline(data)))
        with atomic_open(folder / RENDER_KEY, "w") as fh:
            fh.write(key)
    with atomic_open(folder / "scenario.yaml") as fh:
        fh.write(text)
    return PhaseBuilt(sc.name, folder, len(all_cells), len(todo), not fresh, time.perf_counter() - start, executed)
