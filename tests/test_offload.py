"""The trainer's second process for the Jacobian's Arnoldi spectra (gananim/offload.py): the
recorded numbers are the bytes an in-process run records (one seed and a sweep); results come
back in order, shared between both processes; a failure there is raised here; no process is
left behind, whether the run ends, fails or diverges."""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from gananim import hessian, offload
from gananim.errors import TrainingError
from gananim.renderer import parallel
from gananim.scenario import parse_scenario
from gananim.trainer import train
from tests.conftest import tiny
from tests.test_hostile import alive, descendants, wait_for

pytestmark = pytest.mark.skipif(not parallel.usable(), reason="the second process needs fork and two cores")


def _ring(**changes) -> dict:
    """A 2D MLP game (P = 219) whose Jacobian is recorded by Arnoldi at games 1, 4, 8 and 10 and
    its Hessian by Lanczos at games 1, 5 and 10 (the exact paths' limit is lowered by the
    tests); `changes` replace top-level keys."""
    return tiny() | {
        "data": {"kind": "ring", "k": 4, "radius": 1.0, "std": 0.1}, "noise": {"kind": "normal", "dim": 2},
        "generator": {"kind": "mlp", "hidden": [8, 8]}, "discriminator": {"kind": "mlp", "hidden": [8, 8]},
        "optimizer": {"kind": "adam", "lr": 0.01},
        "training": {"games": 10, "d_steps": 1, "batch_size": 32},
        "record": {"every": 5, "hessian": True, "hessian_every": 5, "jacobian": True, "jacobian_every": 4,
                   "jacobian_k": 4}} | changes


@pytest.fixture
def arnoldi(monkeypatch):
    monkeypatch.setattr(hessian, "MAX_EXACT_PARAMS", 10)
    started = []
    start = offload.Offload._start

    def counted(self):
        started.append(True)
        start(self)

    monkeypatch.setattr(offload.Offload, "_start", counted)
    return started


def _both(monkeypatch, raw):
    monkeypatch.setenv(parallel.ENV, "1")
    alone = train(parse_scenario(raw))
    monkeypatch.delenv(parallel.ENV)
    return alone, train(parse_scenario(raw))


def test_spectra_from_the_second_process_are_the_same_bytes(monkeypatch, arnoldi):
    alone, beside = _both(monkeypatch, _ring())
    assert arnoldi == [True]  # one child, for the run that may use one
    assert beside.meta["jacobian_method"] == "arnoldi"
    assert beside.jacobian_game.tolist() == [1, 4, 8, 10] and beside.jacobian_eigvals.shape == (4, 12)
    assert np.array_equal(alone.jacobian_eigvals, beside.jacobian_eigvals)
    assert np.array_equal(alone.jacobian_max_real, beside.jacobian_max_real)
    assert beside.meta["hessian_method"] == "lanczos" and beside.hessian_game.tolist() == [1, 5, 10]
    for key in ("hessian_eigvals", "hessian_eigvals_d", "hessian_eigvals_g"):
        assert np.array_equal(getattr(alone, key), getattr(beside, key)), key
    assert not multiprocessing.active_children()


def test_a_sweeps_spectra_stay_with_their_seed(monkeypatch, arnoldi):
    raw = _ring()
    del raw["seed"]
    alone, beside = _both(monkeypatch, raw | {"seeds": [3, 4]})
    assert np.array_equal(alone.jacobian_eigvals, beside.jacobian_eigvals)
    assert np.array_equal(alone.hessian_eigvals, beside.hessian_eigvals)
    assert beside.jacobian_eigvals.shape == (2, 4, 12)
    for k, seed in enumerate((3, 4)):  # seed k's rows are its own run's (to float rounding)
        single = train(parse_scenario(_ring(seed=seed)))
        np.testing.assert_allclose(beside.jacobian_eigvals[k], single.jacobian_eigvals, rtol=1e-6, atol=1e-9)
    assert not np.allclose(beside.jacobian_eigvals[0], beside.jacobian_eigvals[1])


def _slow_square(x):
    time.sleep(0.15)
    return x * x, os.getpid()


def test_results_come_back_in_order_from_both_processes():
    work = offload.Offload(_slow_square, parallel=True)
    try:
        for x in range(6):
            work.submit(x)
        got = work.results()
    finally:
        work.close()
    assert [value for value, _ in got] == [0, 1, 4, 9, 16, 25]
    pids = {pid for _, pid in got}
    assert os.getpid() in pids and len(pids) == 2  # the child took the front, this process the back
    assert got[0][1] != os.getpid() and got[-1][1] == os.getpid()
    assert not multiprocessing.active_children()


def _fails_on_two(x):
    if x == 2:
        raise ValueError(f"no spectrum at {x}")
    return x


def test_a_failure_in_the_child_is_raised_here():
    work = offload.Offload(_fails_on_two, parallel=True)
    try:
        work.submit(2)
        for x in (3, 4):
            work.submit(x)
        with pytest.raises(ValueError, match="no spectrum at 2"):
            work.results()
    finally:
        work.close()
    assert not multiprocessing.active_children()


def test_a_diverging_run_leaves_no_process(monkeypatch, arnoldi):
    raw = _ring(training={"games": 200, "d_steps": 1, "batch_size": 32}, optimizer={"kind": "sgd", "lr": 3.0},
                loss="least_squares")
    with pytest.raises(TrainingError, match="diverged"):
        train(parse_scenario(raw))
    assert arnoldi == [True]  # the child had started (game 1) before the game diverged (game 3)
    assert not multiprocessing.active_children()


def test_one_process_where_the_environment_says_so(monkeypatch):
    monkeypatch.setenv(parallel.ENV, "1")
    work = offload.Offload(_slow_square)
    for x in range(3):
        work.submit(x)
    assert work.process is None
    assert [v for v, _ in work.results()] == [0, 1, 4]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_render_stops_its_spectra_process(tmp_path, signum):
    import yaml

    raw = _ring(generator={"kind": "mlp", "hidden": [16, 16]}, discriminator={"kind": "mlp", "hidden": [16, 16]},
                training={"games": 4000, "d_steps": 1, "batch_size": 32})  # P = 691: Arnoldi, in the second process
    raw["record"] |= {"every": 500, "jacobian_every": 10, "hessian_every": 1000}
    (tmp_path / "big.yaml").write_text(yaml.safe_dump(raw))
    proc = subprocess.Popen([sys.executable, "-m", "gananim", "render", "big.yaml", "--out", "out", "-q"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wait_for(lambda: len(descendants(proc.pid)) >= 2)  # the render helper and the spectra process
    children = descendants(proc.pid)
    proc.send_signal(signum)  # to the command only: it stops its children itself
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    assert "Traceback" not in err
    assert wait_for(lambda: not any(alive(p) for p in children), timeout=15)
    assert not (tmp_path / "out" / "big" / "run.npz").exists()


def test_players_on_several_threads_keep_their_spectra_here(monkeypatch, arnoldi):
    """A process whose OpenMP pool has run (players that train on every core) must not fork a
    child that computes with torch: the fork would hang in its first parallel region. Those
    spectra are computed here after training, as before offload.py."""
    from gananim import models

    monkeypatch.setattr(models.MLP, "parallel", lambda self, *dims: True)  # "large": every core
    run = train(parse_scenario(_ring()))
    assert arnoldi == [] and run.meta["jacobian_method"] == "arnoldi" and run.jacobian_eigvals.shape == (4, 12)
