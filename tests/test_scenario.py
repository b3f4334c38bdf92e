import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gananim.data import DISTRIBUTIONS, NOISES
from gananim.losses import LOSSES
from gananim.models import PLAYERS
from gananim.optim import OPTIMIZERS
from gananim.scenario import ScenarioError, load_scenario, parse_scenario

from .conftest import tiny

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p for p in (ROOT / "scenarios").glob("*.yaml") if p.name != "gallery.yaml")  # the page's layout


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenarios_validate(path):
    from gananim.scenario import DataMissing

    try:
        sc = load_scenario(path)
    except DataMissing as exc:  # MNIST / Fashion-MNIST files not fetched: the message says how
        assert "source:" in path.read_text() and "not here; fetch them with: gananim data fetch" in str(exc)
        return
    assert sc.name == path.stem
    assert sc.description.strip()


def test_tutorial_settings_are_the_tutorials():
    for name in ("balanced", "strong_discr", "strong_gen", "noisy_strong_discr", "noisy_balanced"):
        sc = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        assert (sc.data.kind, sc.data.mean, sc.data.std, sc.data.samples) == ("gaussian", 5.0, 1.0, 10)
        assert (sc.noise.kind, sc.noise.low, sc.noise.high) == ("uniform", 0.0, 1.0)
        assert sc.generator.kind == sc.discriminator.kind == "linear"
        assert sc.generator.init == sc.discriminator.init == "normal"
        assert sc.generator.init_std == sc.discriminator.init_std == 0.1
        assert (sc.optimizer.kind, sc.optimizer.lr, sc.loss) == ("sgd", 0.1, "minimax")
        assert sc.training.batch_size == 10
    games = {n: load_scenario(ROOT / "scenarios" / f"{n}.yaml").training for n in
             ("balanced", "strong_discr", "strong_gen", "noisy_strong_discr", "noisy_balanced")}
    assert (games["balanced"].games, games["balanced"].d_steps, games["balanced"].g_steps) == (1500, 1, 1)
    assert (games["strong_discr"].games, games["strong_discr"].d_steps, games["strong_discr"].g_steps) == (500, 50, 1)
    assert (games["strong_gen"].games, games["strong_gen"].d_steps, games["strong_gen"].g_steps) == (500, 1, 50)
    for noisy in ("noisy_strong_discr", "noisy_balanced"):
        sc = load_scenario(ROOT / "scenarios" / f"{noisy}.yaml")
        assert (sc.instance_noise.std, sc.instance_noise.draw) == (1.0, "per_game")
        assert "per game" in sc.description and "both" in sc.description


def test_defaults_are_filled():
    sc = parse_scenario({"data": {"kind": "gaussian"}})
    assert sc.noise.kind == "uniform" and sc.generator.kind == "linear" and sc.loss == "minimax"
    assert sc.render.outputs == ["animation", "summary"]  # no hessian output without record.hessian
    assert parse_scenario(tiny()).render.outputs == ["animation", "summary", "hessian"]


def test_hessian_every_follows_the_method():
    small = parse_scenario(tiny())
    assert small.parameter_count() == 4 and small.record.hessian_every == 1  # exact: every game
    big = parse_scenario(tiny(generator={"kind": "mlp", "hidden": [32, 32]}))
    assert big.parameter_count() > 400 and big.record.hessian_every == big.record.every  # Lanczos: snapshots
    assert parse_scenario(tiny(record={"hessian_every": 7})).record.hessian_every == 7


def test_per_player_optimizer_override():
    sc = parse_scenario(tiny(optimizer={"kind": "sgd", "lr": 0.1, "generator": {"kind": "adam", "lr": 0.001}}))
    assert sc.optimizer.for_player("generator").kind == "adam"
    assert sc.optimizer.for_player("generator").lr == 0.001
    assert sc.optimizer.for_player("discriminator").lr == 0.1
    # a player's block overrides only the keys it sets: G keeps adam and its betas
    sc = parse_scenario(tiny(optimizer={"kind": "adam", "lr": 0.001, "betas": [0.5, 0.99], "generator": {"lr": 0.0002}}))
    g = sc.optimizer.for_player("generator")
    assert (g.kind, g.lr, g.betas) == ("adam", 0.0002, (0.5, 0.99))


def test_duplicate_keys_and_non_text_keys_are_errors(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("data: {kind: gaussian}\nseed: 1\nseed: 2\n")
    with pytest.raises(ScenarioError, match="dup.yaml: line 3: invalid YAML: duplicate key 'seed'"):
        load_scenario(path)
    with pytest.raises(ScenarioError, match="x.yaml: 1: keys must be names"):
        parse_scenario({"data": {"kind": "gaussian"}, 1: 2}, "x.yaml")


def test_validation_does_not_build_networks(monkeypatch):
    import torch

    def refuse(*args, **kwargs):
        raise AssertionError("validation built a layer")

    monkeypatch.setattr(torch.nn.Linear, "__init__", refuse)
    sc = parse_scenario({"data": {"kind": "gaussian"}, "record": {"hessian": True},
                         "generator": {"kind": "mlp", "hidden": [50_000, 50_000]}})
    assert sc.parameter_count() == (1 + 1) * 50_000 + 50_001 * 50_000 + 50_001 * 1 + 2


BAD = [
    ({"data": {"kind": "gaussian", "sdt": 1}}, "data.sdt: unknown key"),
    ({"data": {"kind": "gaussian"}, "trainig": {}}, "trainig: unknown key"),
    ({"data": {"kind": "gauss"}}, "data.kind: must be one of 'gaussian'"),
    ({"noise": {"kind": "uniform"}}, "data: required key is missing"),
    ({"data": {"kind": "gaussian", "std": -1}}, "data.std: must be greater than 0 (got -1)"),
    ({"data": {"kind": "gaussian"}, "training": {"d_steps": 0}}, "training.d_steps: must be greater than or equal to 1 (got 0)"),
    ({"data": {"kind": "gaussian"}, "optimizer": {"lr": 0}}, "optimizer.lr: must be greater than 0 (got 0)"),
    ({"data": {"kind": "gaussian"}, "loss": "wgan"}, "loss: must be 'minimax', 'non_saturating', 'least_squares', 'wasserstein' or 'hinge' (got 'wgan')"),
    ({"data": {"kind": "gaussian"}, "regularizer": {"kind": "weight_clip", "clip": 0}}, "regularizer.clip: must be greater than 0 (got 0)"),
    ({"data": {"kind": "gaussian"}, "regularizer": {"kind": "r3"}}, "regularizer.kind: must be one of 'none', 'weight_clip', 'gradient_penalty', 'r1', 'r2', 'consensus' (got 'r3')"),
    ({"data": {"kind": "gaussian"}, "instance_noise": {"anneal": "cosine"}}, "instance_noise.anneal: must be 'none' or 'linear' (got 'cosine')"),
    ({"data": {"kind": "gaussian"}, "training": {"update": "simultaneous", "d_steps": 5}}, "training.update: 'simultaneous' needs d_steps == g_steps (got d_steps=5, g_steps=1)"),
    ({"data": {"kind": "gaussian"}, "training": {"g_noise": "reuse", "g_steps": 2}}, "training.g_steps: must be 1 with g_noise: reuse (G's one step takes D's last fake batch) (got 2)"),
    ({"data": {"kind": "gaussian"}, "training": {"g_noise": "reuse", "update": "simultaneous"}}, "training.update: must be 'alternating' with g_noise: reuse"),
    ({"data": {"kind": "gaussian"}, "record": {"value": "after"}}, "record.value"),
    ({"data": {"kind": "gaussian"}, "generator": {"kind": "mlp", "hidden": [8, 0]}}, "generator.hidden[1]: must be greater than or equal to 1 (got 0)"),
    ({"data": {"kind": "gaussian"}, "generator": {"kind": "mlp", "activaton": "relu"}}, "generator.activaton: unknown key"),
    ({"data": {"kind": "gaussian"}, "noise": {"kind": "uniform", "low": 2}}, "noise.high: must be > low (2.0) (got 1.0)"),
    ({"data": {"kind": "gaussian", "samples": 5}}, "training.batch_size: must be <= data.samples (5) (got 10)"),
    ({"data": {"kind": "gaussian"}, "render": {"outputs": ["hessian"]}}, "render.outputs: 'hessian' needs record.hessian: true"),
    ({"data": {"kind": "gaussian"}, "training": [1, 2]}, "training: must be a mapping of keys (got [1, 2])"),
    ({"data": {"kind": "ring", "radius": 0}}, "data.radius: must be greater than 0 (got 0)"),
    ({"data": {"kind": "mixture", "components": [{"mean": [0, 0], "cov": [[1, 2], [2, 1]]}]}},
     "data.components[0].cov: must be a symmetric positive definite 2 x 2 matrix"),
    ({"data": {"kind": "sine", "x_low": 1, "x_high": 0}}, "data.x_high: must be > x_low (1.0) (got 0.0)"),
    ([1, 2], "expected a mapping of keys at the top level"),
    ({"data": {"kind": "gaussian", "mean": float("nan")}}, "data.mean: must be a finite number (got nan)"),
    ({"data": {"kind": "gaussian"}, "optimizer": {"lr": float("inf")}}, "optimizer.lr: must be a finite number (got inf)"),
    ({"data": {"kind": "gaussian"}, "training": {"games": True}}, "training.games: must be a valid integer (got True)"),
    ({"data": {"kind": "gaussian"}, "seed": 2**64}, "seed: must be less than or equal to"),
    ({"data": {"kind": "gaussian", "std": 0}}, "data.std: must be greater than 0 (got 0)"),
    ({"data": {"kind": "gaussian"}, "regularizer": "r1"}, "regularizer: must be a mapping of keys (got 'r1')"),
    ({"data": {"kind": "gaussian"}, "generator": {"kind": "mlp", "hidden": []}}, "generator.hidden: must have at least 1 item(s) (got [])"),
    ({"data": {"kind": "mixture", "components": [{"mean": [0]}]}}, "data.components[0].mean: must be a list of the right length (got [0])"),
    ({"data": {"kind": "gaussian"}, "seeds": [0, 1, 1]}, "seeds: must not repeat a seed (got [0, 1, 1])"),
    ({"data": {"kind": "gaussian"}, "seed": 2, "seeds": [0, 1]}, "seeds: give either seed or seeds, not both (got [0, 1])"),
    ({"data": {"kind": "gaussian"}, "seeds": [4]}, "seeds: must have at least 2 item(s) (got [4])"),
    ({"data": {"kind": "gaussian"}, "seeds": [0, -1]}, "seeds[1]: must be greater than or equal to 0 (got -1)"),
    ({"data": {"kind": "gaussian"}, "seeds": 16}, "seeds: must be a list (got 16)"),
    ({"data": {"kind": "gaussian"}, "seeds": list(range(65))}, "seeds: must have at most 64 item(s)"),
    ({"data": {"kind": "gaussian"}, "render": {"outputs": ["spread"]}}, "render.outputs: 'seeds' and 'spread' need a seed sweep"),
]


@pytest.mark.parametrize("raw, message", BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_bad_scenarios_name_the_key(raw, message):
    with pytest.raises(ScenarioError) as info:
        parse_scenario(raw, "x.yaml")
    text = str(info.value)
    assert text.startswith("x.yaml: ")
    assert message in text
    assert "\n" not in text


def test_allowed_names_come_from_the_registries():
    with pytest.raises(ScenarioError) as info:
        parse_scenario({"data": {"kind": "nope"}}, "x.yaml")
    assert all(repr(k) in str(info.value) for k in DISTRIBUTIONS)
    for registry, key in ((NOISES, "noise"), (PLAYERS, "generator"), (PLAYERS, "discriminator")):
        with pytest.raises(ScenarioError) as info:
            parse_scenario({"data": {"kind": "gaussian"}, key: {"kind": "nope"}}, "x.yaml")
        assert f"{key}.kind: must be one of" in str(info.value)
        assert all(repr(k) in str(info.value) for k in registry)
    for name in LOSSES:
        assert parse_scenario(tiny(loss=name)).loss == name


def test_output_names_come_from_the_renderer():
    from gananim.renderer import OUTPUTS

    with pytest.raises(ScenarioError) as info:
        parse_scenario(tiny(render={"outputs": ["nope"]}), "x.yaml")
    assert all(repr(name) in str(info.value) for name in OUTPUTS)
    for name, output in OUTPUTS.items():
        sweep = name in ("seeds", "spread")
        raw = tiny(render={"outputs": [name]}) | ({"seed": None, "seeds": [1, 2]} if sweep else {})
        if output.domains and "line" not in output.domains:  # drawn for other data only: refused here
            with pytest.raises(ScenarioError, match=f"'{name}' draws .* data, not line data"):
                parse_scenario(raw)
            raw["data"] = next({"kind": kind} for kind, spec in DISTRIBUTIONS.items() if spec.domain in output.domains)
            if raw["data"]["kind"] == "dirac":  # the Dirac-GAN's own players
                raw |= {"generator": {"kind": "dirac"}, "discriminator": {"kind": "dirac"}}
        if name == "jacobian":
            with pytest.raises(ScenarioError, match="'jacobian' needs record.jacobian: true"):
                parse_scenario(raw)
            raw["record"] = raw["record"] | {"jacobian": True}
        assert parse_scenario(raw).render.outputs == [name]


OPTIMIZER_KEYS = {"lr": 0.01, "momentum": 0.5, "betas": [0.5, 0.9]}  # every key any kind takes


@pytest.mark.parametrize("kind", sorted(OPTIMIZERS))
def test_an_optimizer_takes_its_own_keys_and_refuses_the_others(kind):
    takes = OPTIMIZERS[kind].keys
    assert set(takes) <= set(OPTIMIZER_KEYS)
    own = {key: OPTIMIZER_KEYS[key] for key in takes}
    sc = parse_scenario(tiny(optimizer={"kind": kind} | own))
    for key, value in own.items():
        got = getattr(sc.optimizer.for_player("generator"), key)
        assert (list(got) if isinstance(got, tuple) else got) == value
    assert set(sc.model_dump(mode="json")["optimizer"]) == {"kind", *takes, "generator", "discriminator"}
    for key in sorted(set(OPTIMIZER_KEYS) - set(takes)):
        for where, block in (("optimizer", {"kind": kind, key: OPTIMIZER_KEYS[key]}),
                             ("optimizer.discriminator", {"kind": kind, "discriminator": {key: OPTIMIZER_KEYS[key]}})):
            with pytest.raises(ScenarioError) as info:
                parse_scenario(tiny(optimizer=block), "x.yaml")
            assert f"x.yaml: {where}.{key}: {kind} does not take {key} (it takes {', '.join(takes)})" in str(info.value)


def test_a_player_of_another_optimizer_keeps_only_the_shared_keys_its_kind_takes():
    sc = parse_scenario(tiny(optimizer={"kind": "adam", "lr": 0.002, "betas": [0.5, 0.9],
                                        "discriminator": {"kind": "sgd", "momentum": 0.3}}))
    d, g = sc.optimizer.for_player("discriminator"), sc.optimizer.for_player("generator")
    assert (d.kind, d.lr, d.momentum) == ("sgd", 0.002, 0.3)
    assert (g.kind, g.lr, g.betas) == ("adam", 0.002, (0.5, 0.9))
    again = parse_scenario(sc.model_dump(mode="json"))  # the resolved scenario reads back the same
    assert again.optimizer.for_player("discriminator") == d and again.optimizer.for_player("generator") == g


def test_yaml_errors_and_missing_files(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("data: {kind: gaussian\nseed: 1\n")
    with pytest.raises(ScenarioError, match=r"broken.yaml: line \d+: invalid YAML"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match="nothere.yaml: no such file"):
        load_scenario(tmp_path / "nothere.yaml")
    unsafe = tmp_path / "unsafe.yaml"
    unsafe.write_text("data: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ScenarioError, match="invalid YAML"):
        load_scenario(unsafe)


@pytest.mark.parametrize("optimizer", [{}, {"kind": "adam", "lr": 0.001, "generator": {"lr": 0.0002}},
                                       {"kind": "rmsprop", "momentum": 0.2, "discriminator": {"kind": "sgd"}}])
def test_round_trip_through_yaml(tmp_path, optimizer):
    sc = parse_scenario(tiny(optimizer=optimizer))
    path = tmp_path / "again.yaml"
    path.write_text(yaml.safe_dump(sc.model_dump(mode="json")))
    again = load_scenario(path)
    assert again.model_dump() == sc.model_dump()
    for player in ("generator", "discriminator"):
        assert again.optimizer.for_player(player) == sc.optimizer.for_player(player)


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "gananim", *args], cwd=cwd, capture_output=True, text=True)


def test_cli_validate(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(tiny()))
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(tiny(training={"games": 0})))
    ok = run_cli("validate", str(good), cwd=tmp_path)
    assert ok.returncode == 0 and "good.yaml: ok (30 games" in ok.stdout
    res = run_cli("validate", str(good), str(bad), cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr.strip() == f"gananim: error: {bad}: training.games: must be greater than or equal to 1 (got 0)"
    assert "Traceback" not in res.stderr


def test_cli_render_bad_file_writes_nothing(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(tiny()))
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: {kind: gaussian}\nloss: wgan\n")
    res = run_cli("render", str(good), str(bad), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert res.returncode == 2
    assert len(res.stderr.strip().splitlines()) == 1
    assert "bad.yaml: loss: must be 'minimax', 'non_saturating', 'least_squares', 'wasserstein' or 'hinge' (got 'wgan')" in res.stderr
    assert not (tmp_path / "out").exists()


def test_a_players_optimizer_block_refuses_empty_values_and_hints_where_a_key_belongs(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("data: {kind: gaussian}\noptimizer:\n  kind: adam\n  generator:\n    lr:\n")
    with pytest.raises(ScenarioError, match=r"x.yaml: optimizer.generator.lr: needs a value \(got an empty one\)"):
        load_scenario(path)
    with pytest.raises(ScenarioError, match="optimizer.betas: sgd does not take betas .*; give it in "
                                            "optimizer.generator, whose kind takes it"):
        parse_scenario(tiny(optimizer={"kind": "sgd", "betas": [0.5, 0.9], "generator": {"kind": "adam"}}))


def test_reading_a_scenario_imports_no_drawing_code():
    """The schema takes its output names from renderer.OUTPUTS without importing matplotlib:
    `gananim validate` draws nothing and should not pay for it."""
    code = ("import sys; from gananim.scenario import load_scenario; load_scenario('scenarios/balanced.yaml'); "
            "print(sorted(m for m in ('matplotlib', 'PIL', 'scipy.spatial') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_keys_added_later_are_written_only_when_set():
    """training.epochs, training.g_noise and record.value join the recorded scenario (and the
    cache key) only when they differ from their defaults: scenarios cached before them keep
    their key."""
    plain = parse_scenario({"data": {"kind": "gaussian"}})
    assert not {"epochs", "g_noise"} & set(plain.recorded()["training"])
    assert "value" not in plain.recorded()["record"]
    set_ = parse_scenario({"data": {"kind": "gaussian"}, "training": {"g_noise": "reuse"}, "record": {"value": "d_step"}})
    assert set_.recorded()["training"]["g_noise"] == "reuse" and set_.recorded()["record"]["value"] == "d_step"
    assert set_.train_key() != plain.train_key()
