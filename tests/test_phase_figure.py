"""phase.png (renderer/phase.py) from constructed phase.json dicts, and a phase diagram's gallery
card (gallery.headline_rows, the page without an animation)."""
from __future__ import annotations

import itertools
import json

import pytest
from matplotlib.collections import QuadMesh
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from gananim import gallery
from gananim.outcomes import OUTCOMES
from gananim.phase import headline, value_text
from gananim.renderer import style
from gananim.renderer.figures import save
from gananim.renderer.phase import COUNT_GID, MEDIAN_GID, OWN_GID, phase_figure

OUTCOME_NAMES = ["settled", "stuck", "close", "diverged"]
D_STEPS = {"key": "training.d_steps", "name": "d_steps", "values": [1, 2, 5, 10, 20, 50]}
LR = {"key": "optimizer.lr", "name": "lr", "values": [0.01, 0.03, 0.1, 0.3]}
LOSS = {"key": "loss", "name": "loss", "values": ["minimax", "non_saturating", "wasserstein"]}


def diagram(axes: list[dict], n: int = 16, own: dict | None = None, outcomes=OUTCOME_NAMES) -> dict:
    """A phase.json dict: cell i has (i + 3k) mod (n + 1) seeds with outcome k, and the median
    settling game 100 + i where any seed settled; `own` gives the own cell's values by key."""
    cells = []
    for i, combo in enumerate(itertools.product(*(a["values"] for a in axes))):
        values = {a["key"]: v for a, v in zip(axes, combo)}
        counts = {name: (i + 3 * k) % (n + 1) for k, name in enumerate(outcomes)}
        cells.append({"label": ",".join(f"{a['name']}={value_text(v)}" for a, v in zip(axes, combo)),
                      "values": values, "key": f"k{i}", "seeds": n, "counts": counts,
                      "fractions": {name: c / n for name, c in counts.items()},
                      "median_settling_game": 100 + i if counts.get("settled") else None, "per_seed": []})
    own_label = None if own is None else next(c["label"] for c in cells if c["values"] == own)
    return {"name": "ph", "title": "A phase diagram", "description": "", "axes": axes, "seeds": list(range(n)),
            "games": 500, "outcomes": list(outcomes), "rules": {name: f"{name}: its rule in words" for name in outcomes},
            "own_cell": own_label, "cells": cells}


def all_axes(fig) -> list:
    """Every Axes of the figure, its subfigures' too, in the order they were made."""
    return list(fig.axes)


def maps_of(fig) -> list:
    """The heat maps (a mesh with a k/n in its cells: not the colour bar), facet by facet, each
    facet's outcomes in order."""
    return [ax for ax in all_axes(fig) if any(isinstance(c, QuadMesh) for c in ax.collections)
            and any(t.get_gid() == COUNT_GID for t in ax.texts)]


def texts(ax, gid: str) -> dict[tuple[int, int], Text]:
    return {tuple(int(round(v)) for v in t.xy): t for t in ax.texts if t.get_gid() == gid}


def outlines(ax) -> list[Rectangle]:
    return [p for p in ax.patches if p.get_gid() == OWN_GID]


def position(data: dict, i: int) -> tuple[int, ...]:
    """(x, y, facet) of cell i (product order: the first axis varies slowest)."""
    shape = [len(a["values"]) for a in data["axes"]]
    out = []
    for size in reversed(shape):
        out.append(i % size)
        i //= size
    return tuple(reversed(out)) + (0,) * (3 - len(shape))


@pytest.mark.parametrize("axes, facets", [([D_STEPS], 1), ([D_STEPS, LR], 1), ([D_STEPS, LR, LOSS], 3)])
def test_one_map_per_outcome_per_facet_row_with_every_cells_count(axes, facets):
    data = diagram(axes, own={a["key"]: a["values"][-1] for a in axes})
    fig = phase_figure(data, 100)
    maps = maps_of(fig)
    assert len(maps) == len(OUTCOME_NAMES) * facets
    outcomes = len(OUTCOME_NAMES)
    for k, ax in enumerate(maps[:outcomes]):
        assert ax.get_title().replace("\n", " ") == OUTCOMES[OUTCOME_NAMES[k]].label
    for i, cell in enumerate(data["cells"]):
        x, y, facet = position(data, i)
        for k, name in enumerate(OUTCOME_NAMES):
            ax = maps[facet * outcomes + k]
            assert texts(ax, COUNT_GID)[(x, y)].get_text() == f"{cell['counts'][name]}/16"
            median = texts(ax, MEDIAN_GID).get((x, y))
            if name == "settled" and cell["median_settling_game"] is not None:
                assert median.get_text() == f"g {cell['median_settling_game']}"
            else:
                assert median is None
    for ax in maps:
        assert len(texts(ax, COUNT_GID)) == len(data["cells"]) // facets


def test_the_own_cell_is_outlined_once_on_every_map_of_its_row():
    own = {"training.d_steps": 50, "optimizer.lr": 0.1}
    fig = phase_figure(diagram([D_STEPS, LR], own=own), 100)
    for ax in maps_of(fig):
        (outline,) = outlines(ax)
        x, y = outline.get_x() + outline.get_width() / 2, outline.get_y() + outline.get_height() / 2
        assert (x, y) == pytest.approx((5, 2))  # d_steps 50 is the 6th value, lr 0.1 the 3rd
    # facets: only the maps of the own cell's facet (loss=non_saturating, the second row)
    fig = phase_figure(diagram([D_STEPS, LR, LOSS], own=own | {"loss": "non_saturating"}), 100)
    assert [len(outlines(ax)) for ax in maps_of(fig)] == [0] * 4 + [1] * 4 + [0] * 4
    # a grid without the scenario's own setting: no outline, and the footnote says so
    fig = phase_figure(diagram([D_STEPS, LR]), 100)
    assert all(not outlines(ax) for ax in maps_of(fig))
    words = [t.get_text() for ax in all_axes(fig) for t in ax.texts]
    assert "this scenario's own setting is not a cell of this grid" in words


def test_the_footnote_names_the_own_setting_and_the_rules_are_under_the_maps():
    fig = phase_figure(diagram([D_STEPS, LR], own={"training.d_steps": 50, "optimizer.lr": 0.1}), 100)
    words = [t.get_text() for ax in all_axes(fig) for t in ax.texts]
    assert "outlined: this scenario's own setting (d_steps=50, lr=0.1)" in words
    rules = next(w for w in words if w.startswith("• settled"))
    assert [line for line in rules.split("\n") if line.startswith("•")] == [
        f"• {name}: its rule in words" for name in OUTCOME_NAMES] + [
        "• g N on the settled map: the median, over the cell's settled seeds, of the game from which V stays at the "
        "reference"]
    assert any(w.startswith("16 seeds per cell, 24 cells: 384 runs of 500 games each.") for w in words)


def test_counts_contrast_with_their_cell():
    data = diagram([D_STEPS, LR], n=4)  # counts run 0..4 of 4: empty and full cells on every map
    fig = phase_figure(data, 100)
    stuck = maps_of(fig)[1]
    colours = {t.get_text(): t.get_color() for t in texts(stuck, COUNT_GID).values()}
    assert colours["0/4"] == style.BLACK and colours["4/4"] == "white"


def test_every_text_lies_inside_the_figure_and_the_counts_are_large():
    # a 6 x 4 grid of 16 seeds (the strong-discriminator diagram's shape), one axis, and 3 x 3 in 3
    # facets: nothing cut off at the edges, and each k/n at 14 points or more (readable from the back
    # of a lecture hall)
    small = [D_STEPS | {"values": [1, 5, 50]}, LR | {"values": [0.03, 0.1, 0.3]}, LOSS]
    for axes in ([D_STEPS, LR], [D_STEPS], small):
        fig = phase_figure(diagram(axes, own={a["key"]: a["values"][0] for a in axes}), 100)
        fig.get_layout_engine().execute(fig)
        renderer = fig.canvas.get_renderer()
        box = fig.bbox
        for ax in all_axes(fig):
            for t in ax.texts + [ax.title, ax.xaxis.label, ax.yaxis.label]:
                if t.get_text():
                    extent = t.get_window_extent(renderer)
                    assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, t.get_text()
                    assert box.y0 - 1 <= extent.y0 and extent.y1 <= box.y1 + 1, t.get_text()
        counts = [t.get_fontsize() for ax in maps_of(fig) for t in texts(ax, COUNT_GID).values()]
        assert min(counts) >= 14, (len(axes), min(counts))


def test_the_same_dict_gives_the_same_png_bytes(tmp_path):
    data = diagram([D_STEPS, LR, LOSS], own={"training.d_steps": 5, "optimizer.lr": 0.3, "loss": "wasserstein"})
    first = save(phase_figure(data, 60), tmp_path / "a.png", 60).read_bytes()
    again = save(phase_figure(json.loads(json.dumps(data)), 60), tmp_path / "b.png", 60).read_bytes()
    with style.theme():  # build_phase draws it outside the theme, a notebook may inside: the same picture
        themed = save(phase_figure(data, 60), tmp_path / "c.png", 60).read_bytes()
    assert first == again == themed


def test_a_grid_whose_cells_do_not_fill_the_axes_is_refused():
    data = diagram([D_STEPS, LR])
    data["cells"].pop()
    with pytest.raises(ValueError, match="cells: expected 24"):
        phase_figure(data, 100)


# --- the gallery's card ------------------------------------------------------------------------

def phase_summary() -> dict:
    """summary.json as build_phase writes it (phase.headline, keys sorted)."""
    data = diagram([D_STEPS, LR], own={"training.d_steps": 50, "optimizer.lr": 0.1})
    return json.loads(json.dumps(headline(data), sort_keys=True))


def test_headline_rows_of_a_phase_diagram():
    s = phase_summary()
    totals = {name: sum((i + 3 * k) % 17 for i in range(24)) for k, name in enumerate(OUTCOME_NAMES)}
    own = {name: (22 + 3 * k) % 17 for k, name in enumerate(OUTCOME_NAMES)}  # cell 22: d_steps=50, lr=0.1
    assert gallery.headline_rows(s) == [
        ("phase diagram", "24 cells × 16 seeds = 384 runs of 500 games"),
        ("grid: training.d_steps", "1, 2, 5, 10, 20, 50"),  # the grid's order, x first
        ("grid: optimizer.lr", "0.01, 0.03, 0.1, 0.3"),
        ("its own setting", "d_steps=50,lr=0.1 (16 seeds)"),
        *[(OUTCOMES[n].label, f"{totals[n]} of 384 runs ({own[n]} of 16 at its own setting)")
          for n in OUTCOME_NAMES],  # in the diagram's order
    ]
    s["own_cell"] = None
    rows = dict(gallery.headline_rows(s))
    assert rows["its own setting"] == "not a cell of the grid"
    assert rows["stuck: D wins"] == f"{totals['stuck']} of 384 runs"


def test_a_phase_card_shows_its_figure_where_an_animation_would_be(tmp_path):
    folder = tmp_path / "ph"
    folder.mkdir()
    s = phase_summary()
    (folder / "summary.json").write_text(json.dumps(s))
    (folder / "phase.json").write_text("{}")
    (folder / "scenario.yaml").write_text("title: A phase diagram\n")
    save(phase_figure(diagram([D_STEPS]), 20), folder / "phase.png", 20)
    assert gallery.main_animation(folder) is None
    page, md = gallery.write_pages(tmp_path, ["ph"], {"ph": "Its description."})
    html, text = page.read_text(), md.read_text()
    assert ('<div class="stage"><a class="anim" href="./ph/phase.png"><img src="./ph/phase.png" width="340" '
            'height="') in html
    assert html.count("./ph/phase.png") == 2 and "embed:" not in html  # not again among the figures; no snippets
    assert '<a href="./ph/phase.json">phase.json</a>' in html
    assert "<td>stuck: D wins</td>" in html
    assert text.count("![A phase diagram: phase](./ph/phase.png)") == 1
    assert text.index("./ph/phase.png") < text.index("| phase diagram | 24 cells × 16 seeds = 384 runs of 500 games |")
    assert "· [phase.json](./ph/phase.json)" in text
