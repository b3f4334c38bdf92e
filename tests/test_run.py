import json
import zipfile

import numpy as np

from gananim.run import Run


def test_save_load_round_trip(tiny_run, tmp_path):
    path = tiny_run.save(tmp_path / "run.npz")
    back = Run.load(path)
    assert back.meta == tiny_run.meta
    assert sorted(back.arrays) == sorted(tiny_run.arrays)
    for key, value in tiny_run.arrays.items():
        assert np.array_equal(back.arrays[key], value), key


def test_run_file_is_plain_numpy(tiny_run, tmp_path):
    path = tiny_run.save(tmp_path / "run.npz")
    with np.load(path) as npz:  # no pickle, no gananim needed
        meta = json.loads(npz["meta"].item())
        assert meta["scenario"]["seed"] == 3 and meta["versions"]["torch"]
        assert npz["objective"].shape == (30,)


def test_same_run_same_bytes_and_no_timestamps(tiny_run, tmp_path):
    a = tiny_run.save(tmp_path / "a.npz").read_bytes()
    b = tiny_run.save(tmp_path / "b.npz").read_bytes()
    assert a == b
    with zipfile.ZipFile(tmp_path / "a.npz") as zf:
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert str(tmp_path).encode() not in a


def test_missing_array_error_names_what_exists(tiny_run):
    try:
        tiny_run.nope
    except AttributeError as exc:
        assert "objective" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
