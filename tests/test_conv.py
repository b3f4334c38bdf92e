"""Convolutional players, epochs over a data set of images, and the loss and D figures."""
import json
import re

import numpy as np
import pytest
import torch
from PIL import Image

from gananim import engines
from gananim.losses import LOSSES, REGULARIZERS
from gananim.models import Conv, Stack, conv_stages
from gananim.renderer import render
from gananim.scenario import ScenarioError, parse_scenario
from gananim.trainer import _Draws, train

CONV = {
    "title": "Digits, conv", "seed": 3, "data": {"kind": "digits", "classes": [0, 1]},
    "noise": {"kind": "normal", "dim": 8},
    "generator": {"kind": "conv", "width": 8}, "discriminator": {"kind": "conv", "width": 8},
    "loss": "non_saturating", "optimizer": {"kind": "adam", "lr": 0.0002, "betas": [0.5, 0.999]},
    "training": {"epochs": 2, "batch_size": 60}, "record": {"every": 3},
    "render": {"outputs": ["progress", "losses", "dhist", "summary"], "dpi": 50},
}


@pytest.mark.parametrize("side, stages, small", [(8, 1, 4), (28, 2, 7), (16, 2, 4), (5, 0, 5)])
def test_a_side_is_halved_down_to_at_least_four(side, stages, small):
    assert conv_stages(side) == (stages, small)


@pytest.mark.parametrize("pixels", [64, 784])
@pytest.mark.parametrize("batch_norm", [True, False])
def test_conv_players_map_noise_to_images_and_images_to_one_logit(pixels, batch_norm):
    spec, rng = Conv(width=4, batch_norm=batch_norm), torch.Generator().manual_seed(0)
    G, D = spec.build(6, pixels, rng), spec.build(pixels, 1, rng)
    fake = G(torch.randn(5, 6))
    assert fake.shape == (5, pixels) and fake.abs().max() <= 1  # tanh out
    assert D(fake).shape == (5, 1)
    assert spec.parameter_count(6, pixels) == sum(p.numel() for p in G.parameters())
    assert spec.parameter_count(pixels, 1) == sum(p.numel() for p in D.parameters())
    has_bn = any(isinstance(m, torch.nn.BatchNorm2d) for m in [*G.modules(), *D.modules()])
    assert has_bn == batch_norm
    # a convolution's weights serve every position: more multiply-adds than weights
    assert spec.macs(6, pixels) > spec.parameter_count(6, pixels)


def test_normal_init_is_the_dcgan_weights_init():
    G = Conv(width=64).build(32, 784, torch.Generator().manual_seed(0))
    convs = [m.weight for m in G.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    scales = torch.cat([m.weight.detach() for m in G.modules() if isinstance(m, torch.nn.BatchNorm2d)])
    weights = torch.cat([w.detach().reshape(-1) for w in convs])
    assert abs(float(weights.std()) - 0.02) < 0.001 and abs(float(weights.mean())) < 0.001
    assert abs(float(scales.mean()) - 1) < 0.01 and 0.01 < float(scales.std()) < 0.03


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("regularizer", sorted(REGULARIZERS))
def test_every_loss_and_regularizer_takes_conv_players(loss, regularizer):
    rngs = [torch.Generator().manual_seed(0)]
    spec = Conv(width=4)
    G, D = Stack([spec.build(4, 64, rngs[0])]), Stack([spec.build(64, 1, rngs[0])])
    reg = REGULARIZERS[regularizer](**({"clip": 0.5} if regularizer == "weight_clip" else {}))
    engine = engines.engine_for(G, D, LOSSES[loss], reg, rngs, None)
    assert engine.name == "autograd"
    real = torch.rand(1, 8, 64) * 2 - 1
    z = torch.randn(1, 8, 4)  # the fake batch's source: consensus differentiates through G as well
    d_loss, d_grads = engine.d_step(real, G.sample(z), (z, None))
    g_loss, g_grads = engine.g_step(torch.randn(1, 8, 4), None)
    for value, grads in ((d_loss(), d_grads), (g_loss(), g_grads)):
        assert torch.isfinite(value).all() and all(torch.isfinite(g).all() for g in grads)
        assert any(g.abs().sum() > 0 for g in grads)


def test_conv_needs_square_images(tmp_path):
    with pytest.raises(ScenarioError, match=r"x.yaml: generator.kind: 'conv' draws square images; data.kind "
                                            r"'gaussian' gives 1-dimensional line data"):
        parse_scenario({"data": {"kind": "gaussian"}, "generator": {"kind": "conv"}}, "x.yaml")
    import struct  # 36 pixels that are not 6 x 6: IDX images of 4 x 9

    (tmp_path / "images").write_bytes(b"\0\0\x08\x03" + struct.pack(">3I", 4, 4, 9) + bytes(144))
    (tmp_path / "labels").write_bytes(b"\0\0\x08\x01" + struct.pack(">I", 4) + bytes(4))
    with pytest.raises(ScenarioError, match="discriminator.kind: 'conv' draws square images; data.kind 'idx' gives 4x9"):
        parse_scenario({"data": {"kind": "idx", "images": "images", "labels": "labels"},
                        "discriminator": {"kind": "conv"}}, "x.yaml", base=tmp_path)


def test_epochs_set_the_games_and_go_through_every_image_once_per_epoch():
    sc = parse_scenario(CONV, name="conv")
    n = sc.data.count()
    assert n == 360 and sc.games_per_epoch() == 6 and sc.training.games == 12
    draws = _Draws(sc, [torch.Generator().manual_seed(0)], [None])
    images = sc.data.dataset()[0]
    for _ in range(2):  # two epochs: each holds every image exactly once, in a new order
        seen = torch.cat([draws.real()[0] for _ in range(6)])
        index = torch.cdist(seen, images).argmin(dim=1)
        assert sorted(index.tolist()) == list(range(360))
    again = parse_scenario(sc.model_dump(mode="json"), name="conv")  # the resolved form reads back
    assert again.training.games == 12 and again.train_key() == sc.train_key()


@pytest.mark.parametrize("change, message", [
    ({"games": 5}, "training.games: give either games or epochs, not both (2 epochs are 12 games)"),
    ({"batch_size": 400}, "training.batch_size: must be at most the number of images (360)"),
])
def test_epochs_errors_are_one_line(change, message):
    raw = CONV | {"training": CONV["training"] | change}
    with pytest.raises(ScenarioError, match=f"^x.yaml: {re.escape(message)}"):
        parse_scenario(raw, "x.yaml")
    with pytest.raises(ScenarioError, match="training.epochs: needs a data set to go through"):
        parse_scenario({"data": {"kind": "ring"}, "training": {"epochs": 3}}, "x.yaml")


# ring8 left this list in issue 17 (it records Jacobian spectra now: a new resolved form, by intent);
# r1_ring8's digest was taken at the revision before issue 17
@pytest.mark.parametrize("name, digest", [("strong_discr", "c1f8e49aed221262"), ("r1_ring8", "a02f893c34b3e9ac"),
                                          ("wgan_gp_ring8", "7f01a0c6755929d4"), ("balanced_mlp", "3e2b5165b3c58ffb")])
def test_scenarios_from_before_epochs_and_conv_keep_their_resolved_form(name, digest):
    """The resolved scenario (what a cached run's key hashes) of a shipped 1D/2D game is the one
    the revision before image players wrote (digests taken there): their cached runs stay valid."""
    import hashlib
    from pathlib import Path

    from gananim.scenario import load_scenario

    sc = load_scenario(Path(__file__).resolve().parent.parent / "scenarios" / f"{name}.yaml")
    content = sc.model_dump(mode="json", exclude={"title", "description", "render"})
    assert "epochs" not in content["training"]
    assert hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16] == digest


def test_epochs_line_up_with_games_for_several_d_steps_and_seeds():
    """With d_steps 2 and 7 images left over per epoch, an epoch is games_per_epoch games; each
    holds distinct images and every epoch starts a new order; two seeds draw as they do alone."""
    raw = CONV | {"training": {"epochs": 3, "batch_size": 50, "d_steps": 2}}
    sc = parse_scenario(raw, name="conv")
    assert sc.games_per_epoch() == 3 and sc.training.games == 9  # 360 // (50 * 2)
    images = sc.data.dataset()[0]

    def epochs(seeds):
        swept = parse_scenario(raw | {"seed": None, "seeds": seeds} if len(seeds) > 1 else raw | {"seed": seeds[0]})
        draws = _Draws(swept, [torch.Generator().manual_seed(s) for s in seeds], [None] * len(seeds))
        seen = []
        for game in range(9):
            draws.start_game(game)
            seen += [draws.real() for _ in range(2)]
        return torch.stack(seen)  # (18, seeds, 50, 64)

    both = epochs([3, 4])
    for k, seed in enumerate([3, 4]):
        assert torch.equal(both[:, k], epochs([seed])[:, 0])
    for epoch in range(3):
        batch = both[6 * epoch: 6 * epoch + 6, 0].reshape(-1, 64)
        index = torch.cdist(batch, images).argmin(dim=1)
        assert len(set(index.tolist())) == 300  # 300 distinct images of 360 in each epoch
    assert not torch.equal(both[0, 0], both[6, 0])  # a new order each epoch


@pytest.fixture(scope="module")
def conv_run(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANANIM_CACHE", str(tmp_path_factory.mktemp("cache")))
        return train(parse_scenario(CONV, name="conv"))


def test_a_conv_game_trains_in_epochs_and_records_epoch_means(conv_run):
    run = conv_run
    assert run.meta["time_unit"] == "epoch" and run.meta["games_per_epoch"] == 6
    assert run.snap_game.tolist() == [0, 3, 6, 9, 12]
    assert np.allclose(run.epoch_d_loss, run.d_loss.reshape(2, 6).mean(axis=1))
    assert np.allclose(run.epoch_g_loss, run.g_loss.reshape(2, 6).mean(axis=1))
    assert not np.allclose(run.g_grid[0], run.g_grid[-1])


def test_a_conv_game_repeats_exactly(conv_run, tmp_path):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANANIM_CACHE", str(tmp_path))
        again = train(parse_scenario(CONV, name="conv"))
    for key in ("d_loss", "g_loss", "g_grid", "d_on_fake"):
        assert np.array_equal(again.arrays[key], conv_run.arrays[key])


def test_progress_losses_and_dhist_render(conv_run, tmp_path):
    written = render(conv_run, tmp_path / "c")
    gif = Image.open(written["progress"])
    assert gif.n_frames == 5
    assert Image.open(written["losses"]).size == (750, 375) and Image.open(written["dhist"]).size[0] > 400
    summary = json.loads((tmp_path / "c" / "summary.json").read_text())
    stats = summary["loss_statistics"]
    assert stats["d_loss"]["initial"] == float(f"{float(conv_run.d_loss[0]):.6g}")  # 6 significant digits kept
    assert stats["g_loss"]["max"] == float(f"{float(conv_run.g_loss.max()):.6g}")
    assert stats["d_loss"]["mean"] == pytest.approx(float(conv_run.d_loss.mean()))
    again = render(conv_run, tmp_path / "again")
    for name in ("progress", "losses", "dhist"):
        assert again[name].read_bytes() == written[name].read_bytes()


def test_figures_for_other_data_refuse_image_outputs():
    with pytest.raises(ScenarioError, match="'progress' draws image data, not line data"):
        parse_scenario({"data": {"kind": "gaussian"}, "render": {"outputs": ["progress"]}}, "x.yaml")


def test_the_nash_check_of_conv_players_reads_their_hessian_blocks(tmp_path, monkeypatch):
    """record.hessian on batch-norm conv players: Lanczos on autograd's Hessian-vector products;
    the diagnosis's local Nash check reads the last blocks and says what they show."""
    from gananim.diagnosis import diagnose, history_of

    monkeypatch.setenv("GANANIM_CACHE", str(tmp_path))
    raw = CONV | {"record": {"every": 6, "hessian": True, "hessian_k": 2}}
    run = train(parse_scenario(raw, name="nash"))
    assert run.meta["hessian_method"] == "lanczos" and run.hessian_game.tolist() == [1, 6, 12]
    (finding,) = [f for f in diagnose(history_of(run)) if f.rule == "local_nash"]
    assert finding.numbers["d_block_max"] == pytest.approx(float(run.hessian_eigvals_d[-1].max()))
    assert finding.numbers["g_block_min"] == pytest.approx(float(run.hessian_eigvals_g[-1].min()))
    holds = finding.numbers["d_block_max"] <= finding.numbers["tolerance"] and \
        finding.numbers["g_block_min"] >= -finding.numbers["tolerance"]
    assert finding.numbers["holds"] == holds and ("do not hold" in finding.says) == (not holds)


def test_large_and_convolutional_players_train_on_every_core():
    """One thread for tiny dense players (fastest for them); every core for convolutions and for
    players as large as the MNIST assignment's (section i of the benchmarks measured both)."""
    from gananim.models import MLP

    assert Conv(width=8).parallel(64, 1) and Conv(width=8).parallel(8, 64)
    assert MLP(hidden=[1024, 512, 256], activation="leaky_relu").parallel(784, 1)
    assert not MLP(hidden=[256, 256]).parallel(64, 1) and not MLP().parallel(2, 1)
    seen = []
    with pytest.MonkeyPatch.context() as patch:
        real = torch.set_num_threads
        patch.setattr(torch, "set_num_threads", lambda n: (seen.append(n), real(n)))
        train(parse_scenario({"data": {"kind": "gaussian"}, "training": {"games": 2}}))
    assert seen[0] == 1  # then the caller's count restored


def test_a_conv_run_does_not_depend_on_the_caller_s_thread_count(conv_run, tmp_path):
    """Gallery workers run with one thread; `render` with the default: the same numbers."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GANANIM_CACHE", str(tmp_path))
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            again = train(parse_scenario(CONV, name="conv"))
        finally:
            torch.set_num_threads(before)
    assert torch.get_num_threads() == before
    assert np.array_equal(again.d_loss, conv_run.d_loss) and np.array_equal(again.g_grid, conv_run.g_grid)


@pytest.mark.parametrize("every, epochs, rows", [(28, 20, [0, 5, 10, 15, 20]), (56, 40, [0, 10, 20, 30, 40]),
                                                 (140, 100, list(range(0, 101, 10)))])
def test_progression_rows_fall_on_epochs_that_have_a_snapshot(every, epochs, rows):
    from gananim.renderer.figures import progression_rows
    from gananim.run import Run

    games = epochs * 28
    run = Run({"game": np.arange(1, games + 1), "snap_game": np.arange(0, games + 1, every)},
              {"time_unit": "epoch", "games_per_epoch": 28, "scenario": {"record": {"every": every}}})
    assert (run.snap_game[progression_rows(run)] / 28).tolist() == rows
