"""phase.png: a phase diagram (gananim/phase.py's phase.json) drawn as heat maps, one per outcome
side by side, a row of them per value of the third axis (facets). Each cell is coloured by the
fraction of its seeds that had the outcome and says it as k/n; the scenario's own cell is
outlined on every map of its row; the rules in words are under the maps.

Reads only the phase.json dict (no Run, no torch); builds its own Figure (no pyplot). Every font
size is set here, not taken from the rc settings: build_phase draws it outside style.theme."""
from __future__ import annotations

import math
import re
import textwrap
from typing import Optional

import numpy as np
from matplotlib import colormaps, patheffects
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure, SubFigure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.textpath import TextToPath
from matplotlib.transforms import ScaledTranslation

from ..outcomes import OUTCOMES
from ..phase import value_text
from . import style
from .figures import _new

# the fraction of seeds: one hue whose lightness only falls (ColorBrewer's Blues, its near-white end left
# out so the white lines between cells show), so it reads by lightness alone (colour-blind safe), light at
# none of the seeds and dark at all of them: the cells where an outcome happens stand out
FRACTION_MAP = ListedColormap(colormaps["Blues"](np.linspace(0.12, 1.0, 256)), name="phase_fraction")
TITLE, SUBTITLE, PANEL, LABEL, TICK, RULES = 21, 16, 17, 16, 15, 15  # points: read from the back of a hall
COUNT_MAX, COUNT_MIN = 22, 10  # the k/n in a cell: as large as the cell allows, within these
MEDIAN = 0.8  # the settled map's second line (the median game of settling), relative to the k/n
OWN_GID, COUNT_GID, MEDIAN_GID = "own-cell", "count", "median"  # tests find the outline and texts by these
OUTLINE = dict(fill=False, edgecolor=style.BLACK, lw=3.5, zorder=5, clip_on=False,
               path_effects=[patheffects.withStroke(linewidth=8, foreground="white")])  # reads on any colour
HEAD_H, KEY_H = 1.3, 0.5  # inches: the title block and colour bar above the maps, the outline's key under them
TITLE_CHARS = 80  # a longer title wraps onto a second line
FACETS_EXTRA = 0.5  # inches: a figure with facet rows is this much taller
ROW_H = 2.9  # inches per facet row when y has one value (a strip of cells, not a stretched square)
LEFT, PANEL_GAP = 1.2, 0.25  # inches: y label and ticks, the gap between two maps (for the font estimates)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of one line of DejaVu Sans text, in points (from the font's metrics: no renderer)."""
    props = FontProperties(size=size, weight="bold" if bold else "normal")
    return TextToPath().get_text_width_height_descent(text, props, ismath=False)[0]


def outcome_label(name: str) -> str:
    return OUTCOMES[name].label if name in OUTCOMES else name


def axis_label(axis: dict) -> str:
    """'d_steps (training.d_steps)', or the key alone when it is its own short name."""
    return axis["name"] if axis["name"] == axis["key"] else f"{axis['name']} ({axis['key']})"


def _wrap_value(text: str, width: int) -> str:
    """A tick label in lines of about `width` characters, broken after commas and spaces only
    (a JSON value stays as written)."""
    if len(text) <= width:
        return text
    lines, line = [], ""
    for token in re.findall(r"[^, ]+[, ]*|[, ]+", text):
        if line and len(line) + len(token.rstrip()) > width:
            lines.append(line.rstrip())
            line = ""
        line += token
    return "\n".join(lines + [line.rstrip()])


def grid_arrays(data: dict) -> dict[str, np.ndarray]:
    """The cells as arrays indexed [x, y, facet]: counts (per outcome: outcome axis first), seeds
    and the median settling game (nan: none). Cells come in itertools.product order of the axes."""
    shape = tuple(len(a["values"]) for a in data["axes"])
    shape3 = shape + (1,) * (3 - len(shape))
    if len(data["cells"]) != math.prod(shape):
        raise ValueError(f"phase.json: cells: expected {math.prod(shape)} (the product of the axes' lengths), "
                         f"got {len(data['cells'])}")
    names = data["outcomes"]
    counts = np.zeros((len(names),) + shape3, dtype=int)
    seeds = np.zeros(shape3, dtype=int)
    median = np.full(shape3, np.nan)
    for i, cell in enumerate(data["cells"]):
        where = np.unravel_index(i, shape) + (0,) * (3 - len(shape))
        seeds[where] = cell["seeds"]
        for k, name in enumerate(names):
            counts[(k,) + where] = cell["counts"][name]
        if cell.get("median_settling_game") is not None:
            median[where] = cell["median_settling_game"]
    return {"counts": counts, "seeds": seeds, "median": median}


def own_position(data: dict) -> Optional[tuple[int, int, int]]:
    """(x, y, facet) of the scenario's own cell, or None when the grid does not hold it."""
    shape = tuple(len(a["values"]) for a in data["axes"])
    for i, cell in enumerate(data["cells"]):
        if data.get("own_cell") is not None and cell["label"] == data["own_cell"]:
            return tuple(int(v) for v in np.unravel_index(i, shape)) + (0,) * (3 - len(shape))
    return None


def own_text(data: dict) -> str:
    """'d_steps=50, lr=0.1': the own cell's values by the axes' short names."""
    cell = next(c for c in data["cells"] if c["label"] == data["own_cell"])
    return ", ".join(f"{a['name']}={value_text(cell['values'][a['key']])}" for a in data["axes"])


def _ink(rgba) -> str:
    """Black on a light cell, white on a dark one (relative luminance, sRGB)."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgba[:3]]
    return style.BLACK if 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2] > 0.3 else "white"


def _game(value: float) -> str:
    return f"g {value:g}"


def _fonts(data: dict, arrays: dict, width: float, maps_h: float, cols: int, rows: int) -> dict[str, float]:
    """Font sizes that fit a cell and a tick (points), from the maps' estimated size when they
    stand in `rows` rows (all facets) of `cols` maps."""
    nx, ny, nf = arrays["seeds"].shape
    panel_w = (width - LEFT - PANEL_GAP * (cols - 1)) / cols
    # the first row of maps has titles and each of the last facet's rows x tick labels (all rows when the
    # outcomes wrap: then each map has its own), the last one the x label; each facet has its heading
    wrapped = rows // nf
    panel_h = (maps_h - 0.4 - 0.45 * nf * (nf > 1) - 0.45 * wrapped - 0.4 * wrapped) / rows
    cell_w, cell_h = 72 * panel_w / nx, 72 * max(panel_h, 0.3) / ny
    # the widest k/n and median line, in points per point of font size
    widest = max(text_width(f"{k}/{n}", 10, bold=True) / 10
                 for k, n in np.broadcast(arrays["counts"].max(axis=0), arrays["seeds"]))
    count = min(0.86 * cell_w / widest, 0.9 * cell_h / 1.2, COUNT_MAX)
    two = count  # the settled map: the count's line and the median's under it
    if _medians(data, arrays):
        median = max(text_width(_game(v), 10) / 10 for v in arrays["median"][np.isfinite(arrays["median"])])
        two = min(0.86 * cell_w / max(widest, MEDIAN * median), 0.9 * cell_h / (1.1 * (1 + MEDIAN)), COUNT_MAX)
    longest = max(len(value_text(v)) for v in data["axes"][0]["values"])
    tick = min(TICK, max(11.0, 0.92 * cell_w / (0.62 * longest)))
    return {"count": max(COUNT_MIN, count), "two_lines": max(COUNT_MIN, two), "tick": tick,
            "tick_chars": max(4, int(0.92 * cell_w / (0.62 * tick))), "panel_h": panel_h,
            "title_chars": max(10, int(72 * panel_w / (0.55 * PANEL)))}


def _medians(data: dict, arrays: dict) -> bool:
    """Whether the settled map carries a second line (the median game of settling) in some cell."""
    return "settled" in data["outcomes"] and bool(np.isfinite(arrays["median"]).any())


def _columns(data: dict, arrays: dict, width: float, maps_h: float) -> tuple[int, dict[str, float]]:
    """Maps per row and the fonts that go with it. Facets: a row per facet, every outcome in it.
    Without: every outcome in one row, or in two when that gives the cells' k/n a larger font
    (a wide x axis, many outcomes)."""
    outcomes, nf = len(data["outcomes"]), arrays["seeds"].shape[2]
    one = _fonts(data, arrays, width, maps_h, outcomes, nf)
    if nf > 1 or outcomes < 3:
        return outcomes, one
    half = math.ceil(outcomes / 2)
    two = _fonts(data, arrays, width, maps_h, half, 2)
    smallest = lambda fonts: min(fonts["count"], fonts["two_lines"])  # noqa: E731
    return (half, two) if smallest(two) > smallest(one) + 1 else (outcomes, one)


def _heat_map(ax: Axes, data: dict, arrays: dict, k: int, facet: int, fonts: dict,
              own: Optional[tuple[int, int, int]]) -> None:
    """One outcome's map in one facet row: the fractions, k/n in each cell (and the median game of
    settling on the settled map), and the own cell's outline."""
    name = data["outcomes"][k]
    counts, seeds = arrays["counts"][k, :, :, facet], arrays["seeds"][:, :, facet]  # (x, y)
    nx, ny = seeds.shape
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(seeds > 0, counts / np.maximum(seeds, 1), np.nan)
    ax.pcolormesh(np.arange(nx + 1) - 0.5, np.arange(ny + 1) - 0.5, frac.T, cmap=FRACTION_MAP, vmin=0, vmax=1,
                  edgecolors="white", linewidth=2, shading="flat")
    medians = name == "settled"
    size = fonts["two_lines"] if medians else fonts["count"]
    for x in range(nx):
        for y in range(ny):
            ink = _ink(FRACTION_MAP(frac[x, y])) if np.isfinite(frac[x, y]) else style.BLACK
            median = arrays["median"][x, y, facet] if medians else np.nan
            two = np.isfinite(median)
            ax.annotate(f"{counts[x, y]}/{seeds[x, y]}", (x, y), ha="center", va="baseline" if two else "center",
                        xytext=(0, 0.12 * size) if two else (0, 0), textcoords="offset points",
                        fontsize=size, fontweight="bold", color=ink, gid=COUNT_GID)
            if two:
                ax.annotate(_game(median), (x, y), ha="center", va="top", xytext=(0, -0.18 * size),
                            textcoords="offset points", fontsize=MEDIAN * size, color=ink, gid=MEDIAN_GID)
    if own is not None and own[2] == facet:
        ax.add_patch(Rectangle((own[0] - 0.47, own[1] - 0.47), 0.94, 0.94, gid=OWN_GID, **OUTLINE))
    ax.set_xlim(-0.5, nx - 0.5)
    ax.set_ylim(-0.5, ny - 0.5)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    x_axis = data["axes"][0]
    ax.set_xticks(range(nx), [_wrap_value(value_text(v), fonts["tick_chars"]) for v in x_axis["values"]])
    if len(data["axes"]) > 1:
        ax.set_yticks(range(ny), [value_text(v) for v in data["axes"][1]["values"]])
    else:
        ax.set_yticks([])
    ax.tick_params(length=0, pad=6, labelsize=fonts["tick"])
    ax.tick_params(axis="y", labelsize=TICK)


def _header(sub: SubFigure, data: dict, title_lines: int) -> None:
    """The title and what a cell says (left), the colour bar (right)."""
    grid = sub.add_gridspec(1, 2, width_ratios=[12, 4.2], wspace=0.08)
    ax = sub.add_subplot(grid[0, 0])
    ax.axis("off")
    seeds, cells = len(data["seeds"]), len(data["cells"])
    runs = sum(c["seeds"] for c in data["cells"])
    ax.text(0, 1, textwrap.fill(data["title"], TITLE_CHARS), transform=ax.transAxes, ha="left", va="top",
            fontsize=TITLE, fontweight="bold")
    each = f" of {data['games']} games each" if data.get("games") else ""  # None: the grid varies it
    ax.text(0, 0, f"{seeds} seeds per cell, {cells} cells: {runs} runs{each}.\nIn each cell, k/n: k of its n seeds had "
                  f"the map's outcome (colour: k/n).", transform=ax.transAxes, ha="left", va="bottom",
            fontsize=SUBTITLE, linespacing=1.3)
    cax = sub.add_subplot(grid[0, 1])
    bar = sub.colorbar(ScalarMappable(Normalize(0, 1), FRACTION_MAP), cax=cax, orientation="horizontal")
    bar.set_ticks([0, 0.25, 0.5, 0.75, 1], labels=["0", "0.25", "0.5", "0.75", "1"])
    bar.set_label("fraction of seeds", fontsize=LABEL)
    cax.tick_params(labelsize=TICK)
    cax.grid(False)  # style.RC turns grids on: the bar is the same with and without style.theme
    cax.set_box_aspect(0.09)  # a bar, not a slab: as tall as the header allows would be too much


def _rule_lines(data: dict, width: int, medians: bool) -> list[str]:
    lines = []
    for name in data["outcomes"]:
        rule = data["rules"].get(name, name)
        lines += textwrap.wrap(f"• {rule}", width, subsequent_indent="   ", break_on_hyphens=False)
    if medians:
        lines += textwrap.wrap("• g N on the settled map: the median, over the cell's settled seeds, of the game "
                               "from which V stays at the reference", width, subsequent_indent="   ")
    return lines


def _footer(sub: SubFigure, data: dict, lines: list[str], key_h: float, rules_h: float) -> None:
    """The own cell's outline explained, then the rules in words."""
    key, rules = sub.subplots(2, 1, height_ratios=[key_h, rules_h])
    key.axis("off")
    key.set_xlim(0, 1)
    key.set_ylim(0, 1)
    if data.get("own_cell") is not None:
        side = 22  # points: a sample cell with the outline, its left edge on the text's
        shift = ScaledTranslation(side / 2 / 72, 0, sub.figure.dpi_scale_trans)
        key.plot([0], [0.5], marker="s", ms=side, mfc=FRACTION_MAP(0.5), mec=OUTLINE["edgecolor"], mew=OUTLINE["lw"],
                 transform=key.transAxes + shift, clip_on=False, path_effects=OUTLINE["path_effects"])
        key.annotate(f"outlined: this scenario's own setting ({own_text(data)})", (0, 0.5), xycoords="axes fraction",
                     xytext=(side + 12, 0), textcoords="offset points", ha="left", va="center", fontsize=SUBTITLE)
    else:
        key.text(0.0, 0.5, "this scenario's own setting is not a cell of this grid", transform=key.transAxes,
                 ha="left", va="center", fontsize=SUBTITLE)
    rules.axis("off")
    rules.text(0, 1, "\n".join(lines), transform=rules.transAxes, ha="left", va="top", fontsize=RULES,
               linespacing=1.35)


def phase_figure(data: dict, dpi: int) -> Figure:
    """The heat maps of a phase diagram (phase.json as a dict): a map per outcome, a row of them
    per value of the third axis (without one, the outcomes may wrap onto two rows); x is the
    first axis, y the second (one row of cells without it)."""
    arrays = grid_arrays(data)
    _, ny, nf = arrays["seeds"].shape
    names, axes = data["outcomes"], data["axes"]
    width, height = style.PHASE_SIZE
    height += FACETS_EXTRA * (nf > 1)
    lines = _rule_lines(data, int(72 * (width - 0.6) / (0.56 * RULES)), _medians(data, arrays))
    rules_h = len(lines) * RULES * 1.45 / 72 + 0.2
    foot_h = KEY_H + rules_h
    title_lines = len(textwrap.wrap(data["title"], TITLE_CHARS))
    title_h = HEAD_H + 0.4 * (title_lines - 1)
    maps_h = max(height - title_h - foot_h, 1.8 * nf + 1)  # many rules or facets: the figure grows
    cols, fonts = _columns(data, arrays, width, maps_h)
    per_facet = math.ceil(len(names) / cols)  # rows of maps in a facet's row
    if ny == 1:  # one row of cells: the maps as strips, the figure shorter
        maps_h = min(maps_h, ROW_H * nf * per_facet)
        fonts = _fonts(data, arrays, width, maps_h, cols, nf * per_facet)
    fig = _new((width, title_h + maps_h + foot_h), dpi)
    head, maps, foot = fig.subfigures(3, 1, height_ratios=[title_h, maps_h, foot_h])
    _header(head, data, title_lines)
    own = own_position(data)
    # facets: each row as tall as its maps plus what it holds besides (the first the titles, the last the x axis)
    tall = [fonts["panel_h"] + 0.45 + 0.3 * (i == 0) + 0.6 * (i == nf - 1) for i in range(nf)]
    rows = [maps] if nf == 1 else maps.subfigures(nf, 1, height_ratios=tall)
    for facet, row in enumerate(rows):
        panels = row.subplots(per_facet, cols, squeeze=False).ravel()
        for ax in panels[len(names):]:  # an odd number of outcomes on two rows: the last place stays empty
            ax.remove()
        if nf > 1:
            row.suptitle(f"{axis_label(axes[2])} = {value_text(axes[2]['values'][facet])}", x=0.0, ha="left",
                         fontsize=PANEL, fontweight="bold")
        for k, ax in enumerate(panels[:len(names)]):
            _heat_map(ax, data, arrays, k, facet, fonts, own)
            if facet == 0 or per_facet > 1:
                ax.set_title(textwrap.fill(outcome_label(names[k]), fonts["title_chars"]), fontsize=PANEL)
            if facet == nf - 1 and k + cols >= len(names):  # no map under it
                ax.set_xlabel(axis_label(axes[0]), fontsize=LABEL)
            elif facet < nf - 1:  # the facets share the x values: those of the last row label every row
                ax.tick_params(axis="x", labelbottom=False)
            if k % cols == 0 and len(axes) > 1:  # the dotted key too where the map is tall enough for it
                full = axis_label(axes[1])
                fits = text_width(full, LABEL) < 72 * fonts["panel_h"]
                ax.set_ylabel(full if fits else axes[1]["name"], fontsize=LABEL)
            elif k % cols:
                ax.tick_params(axis="y", labelleft=False)
    _footer(foot, data, lines, KEY_H, rules_h)
    return fig
