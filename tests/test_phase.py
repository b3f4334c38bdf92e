"""Phase diagrams: the grid's cells, their validation, the outcome rules, the diagram's numbers
against separate renders of its cells, resuming an interrupted sweep, and the same bytes from
every executor (this process, local processes, a Dask LocalCluster of two workers)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from gananim import phase
from gananim.outcomes import OUTCOMES, classify, default_outcomes
from gananim.scenario import ScenarioError, load_scenario, parse_scenario

from .conftest import tiny

ROOT = Path(__file__).resolve().parents[1]


def gananim(*args, cwd):
    return subprocess.run([sys.executable, "-m", "gananim", *args], cwd=cwd, capture_output=True, text=True)


def grid_game(**changes) -> dict:
    """A short strong-D game over d_steps x lr, 3 seeds: cells of a fraction of a second."""
    raw = tiny(training={"games": 60, "d_steps": 1}, record={"every": 30, "hessian": False})
    raw.pop("seed")
    raw |= {"seeds": [0, 1, 2], "grid": {"training.d_steps": [1, 5], "optimizer.lr": [0.1, 0.3]}}
    raw |= changes
    return raw


def write(tmp_path: Path, raw: dict, name: str = "ph") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


# --- the grid -------------------------------------------------------------------------------------

def test_cells_are_the_product_of_the_grid_each_the_file_with_those_keys():
    sc = parse_scenario(grid_game(), "ph.yaml", "ph")
    cells = phase.cells(sc)
    assert [c.label for c in cells] == ["d_steps=1,lr=0.1", "d_steps=1,lr=0.3", "d_steps=5,lr=0.1", "d_steps=5,lr=0.3"]
    assert [(c.scenario.training.d_steps, c.scenario.optimizer.lr) for c in cells] == [(1, 0.1), (1, 0.3), (5, 0.1), (5, 0.3)]
    assert len({c.key for c in cells}) == 4
    # a cell is the same game as a file that sets those values and has no grid
    by_hand = grid_game(training={"games": 60, "d_steps": 5, "g_steps": 1, "batch_size": 10},
                        optimizer={"kind": "sgd", "lr": 0.3})
    del by_hand["grid"]
    assert cells[3].scenario.train_key() == parse_scenario(by_hand, "x", "x").train_key()
    assert cells[3].key == phase.cell_key(parse_scenario(by_hand, "x", "x"))
    assert "grid" not in cells[0].raw and cells[0].scenario.grid is None


def test_short_names_fall_back_to_the_dotted_key_when_two_share_a_last_part():
    assert phase.short_names(["training.d_steps", "optimizer.lr"]) == {"training.d_steps": "d_steps", "optimizer.lr": "lr"}
    assert phase.short_names(["optimizer.lr", "optimizer.generator.lr"]) == {
        "optimizer.lr": "optimizer.lr", "optimizer.generator.lr": "optimizer.generator.lr"}


def test_grid_and_phase_leave_other_scenarios_cache_keys_alone():
    plain = parse_scenario(tiny(), "t", "t")
    assert "grid" not in plain.model_dump(mode="json") and "phase" not in plain.model_dump(mode="json")
    gridded = parse_scenario(tiny() | {"grid": {"training.d_steps": [2]}}, "t", "t")
    assert gridded.train_key() == plain.train_key()  # the base game is the same game


@pytest.mark.parametrize("grid, message", [
    ({"training.d_steps": [1, 0]}, "ph.yaml: grid: training.d_steps=0: training.d_steps: must be greater than or equal to 1 (got 0)"),
    ({"training.dsteps": [1]}, "ph.yaml: grid: training.dsteps=1: training.dsteps: unknown key; did you mean 'd_steps'?"),
    ({"seeds": [[1, 2]]}, "ph.yaml: grid: seeds: a grid varies the game, not 'seeds' (the seeds come from seeds:)"),
    ({"training.d_steps": [1, 1]}, "ph.yaml: grid: training.d_steps: must not list a value twice (got [1, 1])"),
    ({"a.b": [1], "c.d": [1], "e.f": [1], "g.h": [1]}, "ph.yaml: grid: must name 1 to 3 dotted keys"),
    ({"training.d_steps": []}, "ph.yaml: grid: training.d_steps: must list 1 to 64 values (got 0)"),
    ({"optimizer.lr": [0.1, "fast"]}, "ph.yaml: grid: optimizer.lr=fast: optimizer.lr:"),
])
def test_every_cell_is_validated_before_anything_runs(tmp_path, grid, message):
    path = write(tmp_path, grid_game(grid=grid))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value).startswith(str(tmp_path / message)) or str(err.value).startswith(message), str(err.value)
    res = gananim("render", "ph.yaml", "--out", "out", cwd=tmp_path)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    assert res.stderr.startswith("gananim: error: ph.yaml: grid: ")
    assert not (tmp_path / "out").exists()  # nothing half-written


def test_phase_settings_need_a_grid(tmp_path):
    raw = tiny(phase={"energy_below": 0.2})
    with pytest.raises(ScenarioError, match=r"^t: phase: sets how a phase diagram reads its cells: it needs a grid"):
        parse_scenario(raw, "t", "t")
    with pytest.raises(ScenarioError, match=r"phase.outcomes"):
        parse_scenario(grid_game(phase={"outcomes": ["won"]}), "t", "t")


# --- outcomes -------------------------------------------------------------------------------------

def record(**changes) -> dict:
    base = {"seed": 0, "diverged": False, "critic": False, "final_objective": -1.38, "reached_reference_at_game": 120,
            "distance_to_reference": 0.006, "mean_d_real": 0.5, "mean_d_fake": 0.5, "final_energy_distance": 0.05}
    return base | changes


SETTINGS = {"energy_below": 0.1, "quality_above": 0.5}


@pytest.mark.parametrize("changes, expected", [
    ({}, {"settled": True, "stuck": False, "diverged": False, "close": True}),
    ({"reached_reference_at_game": None, "final_energy_distance": 0.1}, {"settled": False, "stuck": False, "diverged": False, "close": False}),
    ({"reached_reference_at_game": None, "final_objective": -0.002, "mean_d_real": 0.9996, "mean_d_fake": 0.0015,
      "final_energy_distance": 2.7}, {"settled": False, "stuck": True, "diverged": False, "close": False}),
    # D confident but V not near 0, or V near 0 but D unsure: not stuck
    ({"reached_reference_at_game": None, "final_objective": -0.2, "mean_d_real": 0.99, "mean_d_fake": 0.01}, {"stuck": False}),
    ({"reached_reference_at_game": None, "final_objective": -0.05, "mean_d_real": 0.85, "mean_d_fake": 0.01}, {"stuck": False}),
    ({"diverged": True}, {"settled": False, "stuck": False, "diverged": True, "close": False}),
])
def test_outcome_rules_on_constructed_seeds(changes, expected):
    r = record(**changes)
    assert {k: v for k, v in classify(r, SETTINGS, list(expected)).items()} == expected


def test_coverage_outcome_and_default_outcomes():
    mixture = record(final_modes_covered=8, modes_total=8)
    assert classify(mixture, SETTINGS, ["covered"]) == {"covered": True}
    assert classify(mixture | {"final_modes_covered": 7}, SETTINGS, ["covered"]) == {"covered": False}
    assert classify(mixture | {"final_high_quality_fraction": 0.5}, SETTINGS | {"quality_above": 0.5},
                    ["high_quality"]) == {"high_quality": True}
    assert classify(mixture | {"final_high_quality_fraction": 0.49}, SETTINGS | {"quality_above": 0.5},
                    ["high_quality"]) == {"high_quality": False}
    assert default_outcomes([mixture]) == ["settled", "stuck", "diverged", "covered", "high_quality", "close"]
    assert default_outcomes([record(critic=True)]) == ["settled", "diverged", "close"]  # a critic has no confident D
    assert default_outcomes([record(), {"seed": 1, "diverged": True}]) == ["settled", "stuck", "diverged", "close"]
    assert set(OUTCOMES) == {"settled", "stuck", "diverged", "covered", "high_quality", "close"}


def test_assemble_counts_fractions_median_game_and_the_own_cell():
    sc = parse_scenario(grid_game(), "ph.yaml", "ph")  # its own values: d_steps 1, lr 0.1 (TINY's optimizer default)
    cells = phase.cells(sc)
    results = {}
    for i, c in enumerate(cells):
        per_seed = [record(seed=0, reached_reference_at_game=100 + i), record(seed=1, reached_reference_at_game=300),
                    {"seed": 2, "diverged": True, "message": "boom"}]
        if i == 1:
            per_seed[0] = record(seed=0, reached_reference_at_game=None, final_energy_distance=0.5)
        results[c.key] = {"key": c.key, "per_seed": per_seed}
    data = phase.assemble(sc, cells, results, "ph.yaml")
    assert data["outcomes"] == ["settled", "stuck", "diverged", "close"]
    assert data["own_cell"] == "d_steps=1,lr=0.1"
    first, second = data["cells"][0], data["cells"][1]
    assert first["counts"] == {"settled": 2, "stuck": 0, "diverged": 1, "close": 2}
    assert first["fractions"]["settled"] == pytest.approx(2 / 3, rel=1e-5)
    assert first["median_settling_game"] == 200  # median of 100 and 300
    assert second["counts"]["settled"] == 1 and second["median_settling_game"] == 300
    assert [r["outcomes"] for r in second["per_seed"]] == [[], ["settled", "close"], ["diverged"]]
    assert data["rules"]["close"].endswith("below 0.1")
    assert data["cell_command"] == "gananim render ph.yaml --cell d_steps=1,lr=0.1"


# --- against separate renders, resume, executors --------------------------------------------------------

def test_the_diagrams_cells_equal_separate_renders_of_those_cells(tmp_path):
    write(tmp_path, grid_game())
    res = gananim("render", "ph.yaml", "--out", "out", "-j", "1", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "4 cells: 4 run (this process), 0 cached" in res.stderr
    folder = tmp_path / "out" / "ph"
    data = json.loads((folder / "phase.json").read_text())
    assert {p.name for p in folder.iterdir()} >= {"phase.png", "phase.json", "summary.json", "scenario.yaml", "cells"}
    assert len(list((folder / "cells").glob("*.json"))) == 4
    for label in ("d_steps=5,lr=0.3", "d_steps=1,lr=0.1"):
        res = gananim("render", "ph.yaml", "--out", "out", "--cell", label, "-q", cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        summary = json.loads((tmp_path / "out" / f"ph--{label}" / "summary.json").read_text())
        cell = next(c for c in data["cells"] if c["label"] == label)
        assert [r["seed"] for r in cell["per_seed"]] == summary["seeds"] == [0, 1, 2]
        for ours, theirs in zip(cell["per_seed"], summary["per_seed"]):
            for key in ("final_objective", "reached_reference_at_game", "final_energy_distance", "mean_d_real", "mean_d_fake"):
                assert ours[key] == theirs[key], (label, key)
        assert cell["counts"]["settled"] == len(summary["seeds_reaching_reference"])
    # rendering the diagram again reuses every cell
    res = gananim("render", "ph.yaml", "--out", "out", cwd=tmp_path)
    assert "4 cells: 0 run, 4 cached" in res.stderr


def test_cell_arguments_that_are_not_on_the_grid_are_one_line_errors(tmp_path):
    write(tmp_path, grid_game())
    for spec, message in [
        ("d_steps=2,lr=0.1", "ph.yaml: --cell: d_steps=2 is not on the grid (its values: 1, 5)"),
        ("d_steps=5", "ph.yaml: --cell 'd_steps=5': give a value for lr too (expected d_steps=VALUE,lr=VALUE)"),
        ("steps=5,lr=0.1", "ph.yaml: --cell: 'steps' is not a key of the grid (its keys: d_steps, lr)"),
    ]:
        res = gananim("render", "ph.yaml", "--out", "out", "--cell", spec, cwd=tmp_path)
        assert res.returncode == 2 and res.stderr.strip() == f"gananim: error: {message}", res.stderr
    assert not (tmp_path / "out").exists()
    # dotted names work too
    sc = load_scenario(tmp_path / "ph.yaml")
    assert phase.find_cell(sc, "training.d_steps=5, optimizer.lr=0.3").label == "d_steps=5,lr=0.3"


def test_an_interrupted_sweep_resumes_with_only_the_cells_it_lacks(tmp_path):
    raw = grid_game(training={"games": 400, "d_steps": 1, "g_steps": 1, "batch_size": 10})
    raw["grid"] = {"training.d_steps": [1, 5, 20], "optimizer.lr": [0.1, 0.3]}
    write(tmp_path, raw)
    cells = tmp_path / "out" / "ph" / "cells"
    proc = subprocess.Popen([sys.executable, "-m", "gananim", "sweep", "ph.yaml", "--out", "out", "-j", "1", "-q"],
                            cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(cells.glob("*.json")) if cells.exists() else []) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    done = sorted(p.name for p in cells.glob("*.json"))
    assert 2 <= len(done) < 6
    assert not list(cells.glob(".*.tmp")) and not (tmp_path / "out" / "ph" / "phase.json").exists()
    res = gananim("sweep", "ph.yaml", "--out", "out", "-j", "1", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert f"6 cells: {6 - len(done)} run (this process), {len(done)} cached" in res.stderr
    resumed = (tmp_path / "out" / "ph" / "phase.json").read_bytes()
    res = gananim("sweep", "ph.yaml", "--out", "fresh", "-j", "1", "-q", cwd=tmp_path)
    assert res.returncode == 0
    assert (tmp_path / "fresh" / "ph" / "phase.json").read_bytes() == resumed


def test_every_executor_gives_the_same_bytes(tmp_path):
    pytest.importorskip("distributed")
    sc = parse_scenario(grid_game(), str(tmp_path / "ph.yaml"), "ph")
    texts = {}
    for name, how in [("inline", {"jobs": 1}), ("processes", {"jobs": 2}), ("dask", {"dask_local": 2})]:
        built = phase.build_phase(sc, b"x", "ph.yaml", tmp_path / name, **how)
        assert built.trained == 4
        folder = tmp_path / name / "ph"
        texts[name] = {p.name: p.read_bytes() for p in sorted((folder / "cells").iterdir())}
        texts[name]["phase.json"] = (folder / "phase.json").read_bytes()
        texts[name]["phase.png"] = (folder / "phase.png").read_bytes()
        assert built.executed.executor == {"inline": "this process", "processes": "processes-2", "dask": "dask-local-2"}[name]
    assert len(texts["inline"]) == 6
    assert texts["inline"] == texts["processes"] == texts["dask"]


def test_sweep_takes_its_grid_from_the_command_line(tmp_path):
    raw = grid_game()
    del raw["grid"]
    write(tmp_path, raw, "plain")
    res = gananim("sweep", "plain.yaml", "--grid", "training.d_steps=1,5", "--seeds", "2", "--out", "out", "-j", "2",
                  cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    data = json.loads((tmp_path / "out" / "plain_phase" / "phase.json").read_text())
    assert [c["label"] for c in data["cells"]] == ["d_steps=1", "d_steps=5"] and data["seeds"] == [0, 1]
    assert "2 cells: 2 run (processes-2), 0 cached" in res.stderr
    res = gananim("sweep", "plain.yaml", "--out", "out", cwd=tmp_path)
    assert res.returncode == 2 and "grid: this scenario has no grid: block" in res.stderr
    res = gananim("sweep", "plain.yaml", "--grid", "training.d_steps", "--out", "out", cwd=tmp_path)
    assert res.returncode == 2 and "--grid: 'training.d_steps': expected KEY=V1,V2,..." in res.stderr


def test_an_unreachable_scheduler_is_one_line(tmp_path):
    pytest.importorskip("distributed")
    write(tmp_path, grid_game())
    res = gananim("render", "ph.yaml", "--out", "out", "--scheduler", "tcp://127.0.0.1:9", cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("gananim: error: --scheduler 'tcp://127.0.0.1:9': cannot reach the Dask scheduler")
    assert len(res.stderr.strip().splitlines()) == 1


def test_the_shipped_phase_diagrams_are_valid_and_mark_their_own_cell():
    sd = load_scenario(ROOT / "scenarios" / "phase_strong_discr.yaml")
    assert len(phase.cells(sd)) == 24 and len(sd.seed_list()) == 16
    assert phase.own_values(sd) == {"training.d_steps": 50, "optimizer.lr": 0.1}
    ring = load_scenario(ROOT / "scenarios" / "phase_ring8.yaml")
    assert len(phase.cells(ring)) == 15 and ring.data.kind == "ring"
    assert phase.own_values(ring) == {"optimizer.lr": 0.001, "training.d_steps": 1}


def test_review_cases_dicts_quoting_outcomes_and_the_environment(tmp_path):
    # a grid over mappings: the own cell is found after validation fills defaults, and its folder name is safe
    raw = grid_game(regularizer={"kind": "r1", "gamma": 1})
    raw["grid"] = {"regularizer": [{"kind": "none"}, {"kind": "r1", "gamma": 1}], "optimizer.lr": [0.1]}
    sc = parse_scenario(raw, "reg.yaml", "reg")
    cells = phase.cells(sc)
    results = {c.key: {"key": c.key, "per_seed": [record()]} for c in cells}
    data = phase.assemble(sc, cells, results, "some/dir/reg.yaml")
    assert data["own_cell"] == cells[1].label
    assert data["cell_command"] == "gananim render reg.yaml --cell 'regularizer={\"kind\":\"none\"},lr=0.1'"
    assert phase.cell_scenario(sc, cells[1].label).name == f"reg--cell-{cells[1].key[:10]}"
    with pytest.raises(phase.PhaseError, match="lr is given twice"):
        phase.find_cell(sc, "regularizer={kind: none},lr=0.1,lr=0.1")
    # mixture-only outcomes are refused on a line, with the cell named
    with pytest.raises(ScenarioError, match=r"phase.outcomes: 'covered' needs data with modes"):
        parse_scenario(grid_game(phase={"outcomes": ["covered"]}), "t", "t")
    # a critic is never "stuck"
    critic = record(critic=True, reached_reference_at_game=None, final_objective=0.05, mean_d_real=5.0, mean_d_fake=-3.0)
    assert classify(critic, SETTINGS, ["stuck"]) == {"stuck": False}
    # --grid values may be mappings and lists; bad YAML is one line
    assert phase.parse_grid_option(["regularizer={kind: r1, gamma: 1},{kind: none}", "optimizer.betas=[0.5, 0.9],[0.0, 0.9]"]) == {
        "regularizer": [{"kind": "r1", "gamma": 1}, {"kind": "none"}], "optimizer.betas": [[0.5, 0.9], [0.0, 0.9]]}
    with pytest.raises(ValueError, match="a value is not YAML"):
        phase.parse_grid_option(["training.d_steps=[1"])
    # --dask-local wins over DASK_SCHEDULER_ADDRESS in the environment (an unreachable one here)
    write(tmp_path, grid_game(grid={"training.d_steps": [1]}, seeds=[0, 1]))
    env = dict(os.environ, DASK_SCHEDULER_ADDRESS="tcp://127.0.0.1:9")
    res = subprocess.run([sys.executable, "-m", "gananim", "render", "ph.yaml", "--out", "out", "--dask-local", "1"],
                         cwd=tmp_path, capture_output=True, text=True, env=env)
    assert res.returncode == 0, res.stderr
    assert "1 cells: 1 run (dask-local-1), 0 cached" in res.stderr
