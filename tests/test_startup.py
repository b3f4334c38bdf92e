"""Fast when nothing changed: checking scenarios and a render whose run and figures are current
import neither torch nor scipy nor scikit-learn (nor matplotlib for the render). Each check runs
in a fresh interpreter, where sys.modules shows what the path imported; how long it takes is
measured in benchmarks/bench.py, not here."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from gananim import builtin
from tests.conftest import tiny

HEAVY = ("torch", "scipy", "sklearn", "matplotlib")


def _imported(code: str) -> dict:
    """Run `code` in a fresh interpreter; it leaves its result in `result`. Returns that result
    and which of HEAVY the interpreter imported."""
    script = code + f"\nimport json, sys\nprint(json.dumps({{'result': result, 'heavy': [m for m in {HEAVY!r} if m in sys.modules]}}))\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def test_loading_every_shipped_scenario_imports_no_torch_scipy_or_sklearn():
    files = sorted(str(p) for p in builtin.folder().glob("*.yaml") if p.name != builtin.LAYOUT)
    assert len(files) > 20  # the digits (conv players) and the MNIST files (data missing) among them
    got = _imported(
        "from gananim.scenario import DataMissing, load_scenario\n"
        "from gananim.cost import check\n"
        "result = {}\n"
        f"for f in {files!r}:\n"
        "    try:\n"
        "        sc = load_scenario(f)\n"
        "        check(sc, f)  # what `gananim validate` adds: the cost estimate\n"
        "        result[f] = sc.train_key()\n"
        "    except DataMissing:\n"
        "        result[f] = 'missing'\n")
    assert set(got["result"]) == set(files)
    assert sum(v != "missing" for v in got["result"].values()) > 20
    assert not {"torch", "scipy", "sklearn"} & set(got["heavy"]), got["heavy"]


def test_a_cached_build_imports_no_torch_scipy_sklearn_or_matplotlib(tmp_path):
    from gananim.pipeline import build

    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny(training={"games": 10})))
    first = build(path, tmp_path / "out")
    assert first.trained and first.rendered
    got = _imported("from gananim.pipeline import build\n"
                    f"b = build({str(path)!r}, {str(tmp_path / 'out')!r})\n"
                    "result = [b.trained, b.rendered]\n")
    assert got["result"] == [False, False]
    assert got["heavy"] == []
    # the title is presentation: the run is reused, the figures drawn again (and only then matplotlib)
    path.write_text(yaml.safe_dump(tiny(training={"games": 10}, title="Another title")))
    got = _imported("from gananim.pipeline import build\n"
                    f"b = build({str(path)!r}, {str(tmp_path / 'out')!r})\n"
                    "result = [b.trained, b.rendered]\n")
    assert got["result"] == [False, True]
    assert "torch" not in got["heavy"] and "matplotlib" in got["heavy"]


def test_a_cached_cli_render_imports_none_of_them(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(tiny(training={"games": 10})))
    args = ["render", str(path), "--out", str(tmp_path / "out"), "-q"]
    code = ("from gananim.cli import main\n"
            "try:\n"
            f"    main({args!r})\n"
            "except SystemExit as exc:\n"
            "    result = exc.code\n")
    assert _imported(code)["result"] == 0  # trains
    got = _imported(code)
    assert got["result"] == 0 and got["heavy"] == []


def test_digit_counts_per_class_are_those_of_the_data():
    """data.Digits counts an epoch from its table, without loading scikit-learn."""
    from gananim.data import Digits
    from gananim.datasets import digits

    _, labels = digits()
    assert Digits.per_class == tuple(np.bincount(labels, minlength=10))
    for classes in (None, [0], [3, 8], list(range(10))):
        assert Digits(classes=classes).count() == len(digits(classes)[1])


@pytest.mark.parametrize("batch_norm", [True, False])
@pytest.mark.parametrize("width", [1, 3, 32])
@pytest.mark.parametrize("side", [4, 5, 8, 12, 28])
def test_conv_counts_without_torch_match_the_built_modules(side, width, batch_norm):
    """models.Conv counts parameters, multiply-adds and widths from its plan: the same numbers
    as the modules built on the meta device."""
    import torch
    from torch import nn

    from gananim.models import Conv

    spec = Conv(width=width, batch_norm=batch_norm)
    for d_in, d_out in ((side * side, 1), (16, side * side)):
        module, seen = spec._layers(d_in, d_out, meta=True), []

        def hook(layer, inputs, output):
            positions = (output if isinstance(layer, nn.Conv2d) else inputs[0]).shape[-2:].numel()
            seen.append((layer.weight.numel() * positions, output[0].numel()))

        for layer in module.modules():
            if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
                layer.register_forward_hook(hook)
        out = module(torch.empty(2, d_in, device="meta"))
        assert out.shape == (2, d_out)
        assert spec.parameter_count(d_in, d_out) == sum(p.numel() for p in module.parameters())
        assert spec.macs(d_in, d_out) == sum(m for m, _ in seen)
        assert spec.widths(d_in, d_out) == [d_in] + [n for _, n in seen]
