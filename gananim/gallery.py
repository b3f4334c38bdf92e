"""The gallery page: OUT/index.html (one self-contained static page: inline CSS, no
scripts, no network) and OUT/gallery.md, from the rendered folders and their summary.json.
Every text taken from a scenario is HTML-escaped. No torch, no training.

The page's sections (families of scenarios in teaching order, pairs side by side) are data: an
optional gallery.yaml beside the scenario files (read_layout); the scenarios it leaves out go to
a last section, and without it the page is one list in file order (arrange)."""
from __future__ import annotations

import difflib
import html
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

from .fileio import atomic_open, remove_stale_temps

PAGES = ("index.html", "gallery.md")
# a rendered folder holds a copy of its scenario (scenario.yaml) beside these records: a gallery
# over a folder that contains its own output (`gananim gallery . --out gallery`) skips them
RECORDS = (".render-key", ".gananim-files")


def scenario_files(directory: str | Path) -> list[Path]:
    """The scenario files under `directory`, in page order (by file name): plain files, not hidden
    and not in hidden folders (.venv, .git; as a shell's * would), not the copies inside
    rendered folders, and not the page's layout (`directory`/gallery.yaml)."""
    root = Path(directory)
    files = [p for p in root.rglob("*.yaml")
             if not any(part.startswith(".") for part in p.relative_to(root).parts) and p.is_file()
             and not any((p.parent / record).exists() for record in RECORDS) and p != root / LAYOUT]
    return sorted(files, key=lambda p: (p.name, str(p)))


def href(*parts: str) -> str:
    """A relative link to a file in the gallery: ./ then each part URL-encoded, so that a folder
    named like 'javascript:...' or 'a#b?c' is a path on the page and nothing else."""
    return "./" + "/".join(quote(p, safe="") for p in parts)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])|^([#+-])", re.M)


def md_text(text: str) -> str:
    """Text from a scenario as Markdown shows it, never as markup: HTML escaped, and the
    characters that make links, emphasis, code, tables and headings escaped with a backslash."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), html.escape(text, quote=False))


LAYOUT = "gallery.yaml"  # beside the scenario files: the page's sections (optional)
COMPARE = ("compare", "compare.gif")  # `gananim compare ... --out OUT/compare`: shown when it is there
# (a section's compare_out names another folder than "compare", for a second comparison)
OTHER = "Other scenarios"  # the last section: what gallery.yaml leaves out, in file order


class LayoutError(ValueError):
    """A gallery.yaml that cannot be used; the message is one line naming file and key."""


@dataclass(frozen=True)
class Section:
    """A part of the page: a heading, an intro and the cards of `names` in this order. `pairs`
    lays the cards two per row (1st beside 2nd, 3rd beside 4th) where the screen holds both at
    their natural size; `compare` (when not None) shows OUT/<compare_out>/compare.gif, the games
    of those scenarios side by side, when that file is there."""
    title: str
    names: tuple[str, ...] = ()
    intro: str = ""
    pairs: bool = False
    compare: tuple[str, ...] | None = None
    compare_out: str = COMPARE[0]


_KEYS = {"title": ("text", str), "intro": ("text", str), "scenarios": ("a list of scenario names", list),
         "pairs": ("true or false", bool), "compare": ("a list of scenario names", list),
         "compare_out": ("a folder name", str)}  # key: (words, type)


def read_layout(directory: str | Path, names: list[str]) -> list[Section] | None:
    """The sections in DIRECTORY/gallery.yaml, checked against `names` (the stems of the scenario
    files there); None without the file. Raises LayoutError, one line: file, key, what is expected.

    ``sections: [{title: ..., intro: ..., scenarios: [balanced, ...], pairs: false}, ...]``; a
    section may instead (or as well) have ``compare: [balanced, strong_discr, ...]`` (shown from
    OUT/compare, or OUT/<compare_out> with ``compare_out: NAME``, a plain folder name).
    """
    import yaml

    from .errors import excerpt, one_line, shown
    from .yamlload import load_text, read_bounded

    path = Path(directory) / LAYOUT
    if not path.is_file():
        return None
    source = shown(path)

    def fail(key: str, message: str) -> LayoutError:
        return LayoutError(one_line(f"{source}: {key}: {message}"))

    def named(key) -> str:  # a key as written, or its bounded repr when it is not a short plain name
        return key if isinstance(key, str) and key.isprintable() and 0 < len(key) <= 60 else excerpt(key)

    try:
        raw = load_text(read_bounded(path))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise LayoutError(one_line(f"{source}: cannot read ({exc.__class__.__name__}: {exc})")) from None
    except yaml.YAMLError as exc:
        raise LayoutError(one_line(f"{source}: invalid YAML: {exc}")) from None
    if not isinstance(raw, dict):
        raise LayoutError(one_line(f"{source}: expected a mapping with the key sections (got {excerpt(raw)})"))
    for key in raw:
        if key != "sections":
            raise fail(named(key), "unknown key (expected: sections)")
    if not isinstance(raw.get("sections"), list) or not raw["sections"]:
        raise fail("sections", f"must be a list of sections (mappings with title and scenarios) "
                               f"(got {excerpt(raw.get('sections'))})")
    known, seen, sections = set(names), {}, []
    for i, sec in enumerate(raw["sections"]):
        where = f"sections[{i}]"
        if not isinstance(sec, dict):
            raise fail(where, f"must be a mapping with the keys {', '.join(_KEYS)} (got {excerpt(sec)})")
        for key, value in sec.items():
            if key not in _KEYS:
                raise fail(f"{where}.{named(key)}", f"unknown key (expected one of: {', '.join(_KEYS)})")
            kind, expected = _KEYS[key]
            if not isinstance(value, expected):
                raise fail(f"{where}.{key}", f"must be {kind} (got {excerpt(value)})")
        if not sec.get("title", "").strip():
            raise fail(f"{where}.title", "required key is missing" if "title" not in sec else "must not be empty")
        if not sec.get("scenarios") and "compare" not in sec:
            raise fail(f"{where}.scenarios", "must name at least one scenario (or the section must have compare)")
        folder = sec.get("compare_out", COMPARE[0])
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", folder) or folder in known:
            raise fail(f"{where}.compare_out", f"must be a plain folder name that is no scenario's (got {excerpt(folder)})")
        for key in ("scenarios", "compare"):
            for j, name in enumerate(sec.get(key, [])):
                if not isinstance(name, str) or name not in known:
                    close = difflib.get_close_matches(name, sorted(known), 1) if isinstance(name, str) else []
                    raise fail(f"{where}.{key}[{j}]", f"must name a scenario file in {shown(directory)} "
                                                     f"(got {excerpt(name)}{f'; did you mean {close[0]!r}?' if close else ''})")
                if key == "scenarios":
                    if name in seen:
                        raise fail(f"{where}.{key}[{j}]", f"must name each scenario once (got {name!r}, "
                                                         f"already in {seen[name]})")
                    seen[name] = where
        sections.append(Section(sec["title"], tuple(sec.get("scenarios", [])), sec.get("intro", ""),
                                sec.get("pairs", False), tuple(sec["compare"]) if "compare" in sec else None,
                                folder))
    return sections


def arrange(names: list[str], layout: list[Section] | None, compare_shown: bool | set[str] = False) -> list[Section]:
    """The page's sections. Without a layout: one untitled list of `names` in their order. With
    one: its sections (keeping only `names`), then the names it leaves out, in their order, under
    "Other scenarios". A compare section is kept only when its GIF is there (`compare_shown`: the
    compare folders that hold one; True: "compare"); when the layout has none (or there is no
    layout) and OUT/compare's GIF is there, one is added before "Other scenarios"."""
    if isinstance(compare_shown, bool):
        compare_shown = {COMPARE[0]} if compare_shown else set()
    present = set(names)
    if layout is None:
        sections, rest = [Section("", tuple(names))], []
    else:
        sections = [replace(s, names=tuple(n for n in s.names if n in present)) for s in layout]
        listed = {n for s in sections for n in s.names}
        rest = [Section(OTHER, tuple(n for n in names if n not in listed))]
    if COMPARE[0] in compare_shown and not any(s.compare is not None for s in sections):
        sections.append(Section("Side by side", intro="Scenarios played at the same time, each frame showing "
                                                      "every game at the same game number (gananim compare).",
                                compare=()))
    return [s for s in sections + rest if s.names or (s.compare is not None and s.compare_out in compare_shown)]


CARD_EXTRA = 42  # px around a card's content (padding 2 x 1.2rem, borders): a pair's column minimum

CSS = """
body{font:16px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f6f6f4;color:#1a1a1a}
header{padding:1.5rem 2rem;background:#fff;border-bottom:1px solid #ddd}
h1{margin:0 0 .3rem;font-size:1.8rem} header p{margin:0;color:#555}
nav.toc{padding:.8rem 2rem;background:#fff;border-bottom:1px solid #ddd;font-size:.92rem}
nav.toc ol{margin:0;padding-left:1.3rem} nav.toc ol>li{margin:.2rem 0}
nav.toc ol>li>a{font-weight:600}
nav.toc ul{display:inline;margin:0;padding:0} nav.toc ul li{display:inline}
nav.toc ol>li>a+ul::before{content:": ";color:#777} nav.toc ul li+li::before{content:" · ";color:#999}
a{color:#0072B2}
main{padding:1.5rem 1rem}
section.group{max-width:1240px;margin:0 auto 2.5rem}
@media (min-width:1760px){section.group.pairs{max-width:2100px}}  /* room for two at natural size */
section.group>h2{font-size:1.55rem;margin:.4rem 0 .3rem}
.intro{max-width:80ch;color:#333;margin:.2rem 0 1rem;white-space:pre-wrap}
.cards{display:grid;grid-template-columns:minmax(0,1fr);gap:1.5rem}
.pairs .cards{grid-template-columns:repeat(auto-fit,minmax(min(100%,var(--card-min,1000px)),1fr))}
article{background:#fff;border:1px solid #ddd;border-radius:8px;padding:1rem 1.2rem;min-width:0}
article h3{margin:.1rem 0 .4rem;font-size:1.25rem}
.desc{color:#333;white-space:pre-wrap;max-width:90ch}
img,video{max-width:100%;height:auto;display:block;border:1px solid #eee}
.stage{display:flex;flex-wrap:wrap;gap:.6rem 1.2rem;align-items:flex-start;margin:.6rem 0}
.stage>.anim{flex:none;max-width:100%}
.stage>.side{flex:1 1 300px;min-width:0}
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:.5rem;margin:.6rem 0}
.figs img{width:100%}
table{border-collapse:collapse;font-size:.9rem;margin:0 0 .5rem} td{padding:.15rem .6rem .15rem 0;vertical-align:top}
td:first-child{color:#555}
details{margin:.4rem 0} summary{cursor:pointer;color:#0072B2}
pre{background:#f3f3f3;padding:.5rem;overflow-x:auto;font-size:.8rem;white-space:pre-wrap;word-break:break-all}
.links a{margin-right:.8rem;color:#0072B2}
.absent{background:#FFF4E0;border-left:4px solid #E69F00;padding:.5rem .8rem}
"""


def _num(value, digits: int = 3) -> str:
    if value is None:
        return "never"
    return f"{value:.{digits}f}".replace("-", "−") if isinstance(value, float) else str(value)


ANIMATIONS = ("animation.gif", "seeds.gif", "progress.gif", "animation.mp4", "seeds.mp4", "progress.mp4")
FIGURES = ("phase.png", "summary.png", "field.png", "progression.png", "losses.png", "dhist.png", "hessian.png",
           "jacobian.png", "spread.png")
PHASE_FIGURE = "phase.png"  # a phase diagram's card: no animation, this figure in its place


def main_animation(folder: Path) -> str | None:
    """The animation a card shows: a sweep's small multiples, or the scenario's own."""
    order = sorted(ANIMATIONS, key=lambda a: (not a.startswith("seeds"), a.endswith(".mp4")))
    return next((a for a in order if (folder / a).exists()), None)


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) in pixels from the image's header, or None when it cannot be read."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, ValueError):
        return None


def _sweep_rows(s: dict) -> list[tuple[str, str]]:
    seeds, hit = s["seeds"], s["seeds_reaching_reference"]
    return [("seeds", f"{len(seeds)}: {', '.join(map(str, seeds))}"),
            ("seeds whose objective settles at the reference",
             f"{len(hit)} of {len(seeds)}" + (f" (seeds {', '.join(map(str, hit))})" if hit else "")),
            ("final objective across seeds", f"median {_num(s['final_objective_median'])}, from "
             f"{_num(s['final_objective_min'])} to {_num(s['final_objective_max'])} "
             f"(reference {_num(s['reference_objective'])})"),
            ("energy distance to the data, median", _num(s["final_energy_distance_median"]))]


def is_critic(s: dict) -> bool:
    """Whether D's numbers in summary.json are a Wasserstein critic's values f (any real number,
    no 1/2 to compare with), not probabilities: metrics.headline records no distance from 1/2
    for a critic (None), or says so with d_output."""
    return s.get("d_output") == "critic" or ("max_abs_d_minus_half_on_data_range" in s
                                             and s["max_abs_d_minus_half_on_data_range"] is None)


def _d_row(s: dict) -> tuple[str, str]:
    real, fake = s["mean_d_real"], s["mean_d_fake"]
    if not is_critic(s):
        return "mean D on real / on fake", f"{_num(real)} / {_num(fake)}"
    w1 = s.get("final_w1")  # the true W1 between G's samples and the data, where recorded (a line)
    return ("mean critic f on real / on fake",
            f"{_num(real)} / {_num(fake)} (gap {_num(real - fake)}"
            + (f"; W1 from samples {_num(w1)})" if isinstance(w1, (int, float)) else ")"))


def _phase_rows(s: dict) -> list[tuple[str, str]]:
    """A phase diagram's card (phase.headline): its size, its axes, the scenario's own cell and
    each outcome's share of all the runs (a cell's seed: one run of the game) and of the own cell's seeds."""
    from .outcomes import OUTCOMES
    from .phase import value_text

    runs, own = s["runs"], s.get("own_cell")
    rows = [("phase diagram", f"{s['cells']} cells × {s['seeds_per_cell']} seeds = {runs} runs" + (f" of {s['games']} games" if s.get("games") else ""))]
    rows += [(f"grid: {a['key']}", ", ".join(value_text(v) for v in a["values"])) for a in s["axes"]]
    rows.append(("its own setting",
                 "not a cell of the grid" if own is None else f"{own['label']} ({own['seeds']} seeds)"))
    for name in s["outcomes"]:  # the diagram's order (summary.json sorts the keys of outcome_totals)
        mine = "" if own is None else f" ({own['counts'][name]} of {own['seeds']} at its own setting)"
        rows.append((OUTCOMES[name].label if name in OUTCOMES else name,
                     f"{s['outcome_totals'][name]} of {runs} runs{mine}"))
    return rows


def headline_rows(s: dict) -> list[tuple[str, str]]:
    """The numbers a card shows, from summary.json. A critic's values are labelled as such: its
    objective is the gap E f(x) − E f(G(z)), an estimate of W1 (0 at the equilibrium)."""
    if s.get("phase"):
        return _phase_rows(s)
    if "seeds" in s:
        return _sweep_rows(s)
    objective = "final objective (critic gap E f(x) − E f(G(z)))" if is_critic(s) else "final objective"
    rows = [(objective, f"{_num(s['final_objective'])} (reference {_num(s['reference_objective'])})"),
            ("stays within 0.05 of it from game", _num(s["reached_reference_at_game"])),
            ("energy distance to the data", _num(s["final_energy_distance"])),
            _d_row(s)]
    if "modes_total" in s:
        rows.append(("modes covered, high-quality samples",
                     f"{s['final_modes_covered']} / {s['modes_total']}, {100 * s['final_high_quality_fraction']:.0f} %"))
    if "classes_total" in s:  # images: by a classifier of the real data (imagemetrics.py)
        rows.append(("classes covered, precision / recall",
                     f"{s['final_classes_covered']} / {s['classes_total']}, "
                     f"{_num(s['final_precision'])} / {_num(s['final_recall'])}"))
        rows += [("diagnosis", finding["says"]) for finding in s.get("diagnosis", [])] or [("diagnosis", "no rule fired")]
    if "final_spectrum" in s:
        rows.append(("final Hessian of the objective", s["final_spectrum"]["kind"]))
    return rows


def snippets(name: str, title: str, animation: str) -> dict[str, str]:
    """Copy-paste embeds of a card's animation, paths relative to the gallery folder (URL-encoded;
    the title escaped for each language)."""
    src = href(name, animation)
    one_line = " ".join(title.split())
    if animation.endswith(".mp4"):
        return {"Markdown": f"[{md_text(one_line)}]({src})",
                "reStructuredText": f".. raw:: html\n\n   <video src=\"{src}\" controls loop muted></video>",
                "HTML": f'<video src="{src}" controls loop muted aria-label="{html.escape(one_line)}"></video>'}
    return {"Markdown": f"![{md_text(one_line)}]({src})",
            "reStructuredText": f".. image:: {src}\n   :alt: {one_line}",
            "HTML": f'<img src="{src}" alt="{html.escape(one_line)}">'}


def _animation(folder: Path, name: str, file: str, title: str) -> str:
    """The animation at its natural size (width and height from the file: the page's CSS only
    lets it shrink to a narrow screen, never scales it on a wide one)."""
    e = html.escape
    if file.endswith(".mp4"):
        return f'<video class="anim" src="{e(href(name, file))}" controls loop muted aria-label="{e(title)}"></video>'
    size = image_size(folder / file)
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    return f'<img class="anim" src="{e(href(name, file))}"{dims} alt="{e(title)}: animation" loading="lazy">'


def _lead_figure(folder: Path, s: dict) -> str | None:
    """The figure a card without an animation shows in its place: a phase diagram's phase.png."""
    return PHASE_FIGURE if s.get("phase") and (folder / PHASE_FIGURE).exists() else None


def _figure(folder: Path, name: str, file: str, title: str) -> str:
    """A figure in an animation's place, at its natural size (shrunk to the page), linked to itself."""
    e = html.escape
    size = image_size(folder / file)
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    return (f'<a class="anim" href="{e(href(name, file))}"><img src="{e(href(name, file))}"{dims} '
            f'alt="{e(title)}: {file[:-4]}" loading="lazy"></a>')


def _embeds(name: str, title: str, file: str) -> str:
    e = html.escape
    return "".join(f"<details><summary>embed: {e(kind)}</summary><pre><code>{e(text)}</code></pre></details>"
                   for kind, text in snippets(name, title, file).items())


def _card(folder: Path, s: dict, description: str) -> str:
    name, title = folder.name, s["title"]
    e = html.escape
    main = main_animation(folder)
    lead = _lead_figure(folder, s) if main is None else None
    anim = _animation(folder, name, main, title) if main else _figure(folder, name, lead, title) if lead else ""
    figs = "".join(f'<a href="{e(href(name, f))}"><img src="{e(href(name, f))}" alt="{e(title)}: {f[:-4]}" '
                   f'loading="lazy"></a>' for f in FIGURES if (folder / f).exists() and f != lead)
    rows = "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in headline_rows(s))
    links = " ".join(f'<a href="{e(href(name, f))}">{f}</a>' for f in ("scenario.yaml", "summary.json", "phase.json",
                                                                       *ANIMATIONS)
                     if (folder / f).exists() and f != main)
    return (f'{_opening(name, title, description)}<div class="stage">{anim}'
            f'<div class="side"><table>{rows}</table><p class="links">{links}</p></div></div>'
            f'<div class="figs">{figs}</div>{_embeds(name, title, main) if main else ""}</article>')


def absent_card(path: Path, message: str) -> dict[str, str]:
    """What the card of a scenario whose data files are absent shows: its title and description
    (read from the file as it is) and the message, which says how to fetch the data."""
    from .yamlload import load_text, read_bounded

    raw = load_text(read_bounded(path))
    title = raw.get("title") if isinstance(raw.get("title"), str) else path.stem
    description = raw.get("description") if isinstance(raw.get("description"), str) else ""
    return {"title": title, "description": description, "message": message.split(": ", 1)[-1]}


def _opening(name: str, title: str, description: str) -> str:
    """A card's start, rendered or absent: its anchor (the scenario's name), title and description."""
    e = html.escape
    return f'<article id="{e(name)}"><h3>{e(title)}</h3><p class="desc">{e(description.strip())}</p>'


def _absent(name: str, card: dict[str, str]) -> str:
    e = html.escape
    return (f'{_opening(name, card["title"], card["description"])}<p class="absent"><strong>Not rendered: its data '
            f'files are not here.</strong> {e(card["message"])}; then run the gallery again.</p></article>')


def _compare_names(section: Section, summaries: dict) -> str:
    e = html.escape
    return ", ".join(f'<a href="#{e(quote(n, safe=""))}">{e(summaries[n]["title"])}</a>'
                     for n in section.compare if n in summaries)


def _compare(out: Path, section: Section, summaries: dict) -> str:
    """The card of OUT/<compare_out>/compare.gif: what it shows and links to the compared cards."""
    e = html.escape
    folder, file = section.compare_out, COMPARE[1]
    which = _compare_names(section, summaries)
    says = (f"{which}: side by side, every frame at the same game." if which
            else "The games side by side, every frame at the same game.")
    return (f'<article id="{e(folder)}"><div class="stage">{_animation(out / folder, folder, file, section.title)}'
            f'</div><p class="desc">{says} Made by <code>gananim compare</code>.</p>'
            f'<p class="links"><a href="{e(href(folder, file))}">{e(file)}</a></p>'
            f"{_embeds(folder, section.title, file)}</article>")


def _ids(sections: list[Section], names: list[str]) -> list[str]:
    """An anchor per section, unlike any card's (a card's anchor is its scenario's name)."""
    taken = set(names) | {COMPARE[0]} | {s.compare_out for s in sections}
    ids = []
    for i, _ in enumerate(sections, 1):
        anchor = f"section-{i}"
        while anchor in taken:
            anchor = "_" + anchor
        ids.append(anchor)
    return ids


def _page_html(out: Path, title: str, sections: list[Section], names: list[str], summaries: dict,
               descriptions: dict[str, str], absent: dict) -> str:
    e = html.escape
    ids = _ids(sections, names)

    def link(n: str) -> str:
        return f'<li><a href="#{e(quote(n, safe=""))}" title="{e(summaries[n]["title"])}">{e(n)}</a></li>'

    toc = []
    for anchor, s in zip(ids, sections):
        heading = f'<a href="#{anchor}">{e(s.title)}</a>' if s.title else ""
        toc.append(f"<li>{heading}" + (f"<ul>{''.join(map(link, s.names))}</ul>" if s.names else "") + "</li>")
    body = []
    for k, s in enumerate(sections):
        widths = [(image_size(out / n / a) or (0, 0))[0] for n in s.names if n not in absent
                  for a in [main_animation(out / n)] if a and a.endswith(".gif")]
        style = f' style="--card-min:{max(widths) + CARD_EXTRA}px"' if s.pairs and widths else ""
        cards = "".join(_absent(n, absent[n]) if n in absent else _card(out / n, summaries[n], descriptions.get(n, ""))
                        for n in s.names)
        body.append(f'<section id="{ids[k]}" class="group{" pairs" if s.pairs else ""}"{style}>'
                    + (f"<h2>{e(s.title)}</h2>" if s.title else "")
                    + (f'<p class="intro">{e(s.intro.strip())}</p>' if s.intro.strip() else "")
                    + f'<div class="cards">{_compare(out, s, summaries) if s.compare is not None else ""}{cards}</div>'
                    + "</section>")
    shown = len(names) - len(absent)
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(title)}</title>'
            f"<style>{CSS}</style></head><body><header><h1>{e(title)}</h1>"
            f"<p>{shown} scenarios rendered by gananim"
            f"{f' ({len(absent)} more wait for their data files)' if absent else ''}. Each card: the animation, the summary and Hessian "
            f"figures, the headline numbers, the scenario file and snippets to embed the animation.</p></header>"
            f'<nav class="toc" aria-label="Contents"><ol>{"".join(toc)}</ol></nav><main>{"".join(body)}</main></body></html>\n')


def _page_md(out: Path, title: str, sections: list[Section], summaries: dict, descriptions: dict[str, str],
             absent: dict) -> str:
    md = [f"# {md_text(title)}", ""]
    for s in sections:
        if s.title:
            md += [f"## {md_text(s.title)}", ""] + ([md_text(s.intro.strip()), ""] if s.intro.strip() else [])
        if s.compare is not None:
            which = ", ".join(md_text(" ".join(summaries[n]["title"].split())) for n in s.compare if n in summaries)
            md += [snippets(s.compare_out, s.title or "compare", COMPARE[1])["Markdown"], "",
                   f"{which + ': side' if which else 'Side'} by side, every frame at the same game "
                   f"(made by `gananim compare`).", ""]
        for n in s.names:
            sm = summaries[n]
            heading = md_text(" ".join(sm["title"].split()))
            text = sm["description"] if n in absent else descriptions.get(n, "")  # absent: absent_card's
            md += [f"### {heading}", "", md_text(text.strip()), ""]
            if n in absent:
                md += [f"**Not rendered: its data files are not here.** {md_text(sm['message'])}; then run the gallery again.",
                       ""]
                continue
            anim = main_animation(out / n)
            lead = _lead_figure(out / n, sm) if anim is None else None  # in the animation's place, as on the page
            md += [snippets(n, sm["title"], anim)["Markdown"], ""] if anim else []
            md += [f"![{heading}: {lead[:-4]}]({href(n, lead)})", ""] if lead else []
            md += ["| | |", "| --- | --- |"] + [f"| {md_text(k)} | {md_text(v)} |" for k, v in headline_rows(sm)] + [""]
            figs = [f"![{heading}: {f[:-4]}]({href(n, f)})" for f in FIGURES if (out / n / f).exists() and f != lead]
            phase = f" · [phase.json]({href(n, 'phase.json')})" if (out / n / "phase.json").exists() else ""
            md += figs + ["", f"[scenario file]({href(n, 'scenario.yaml')}) · [summary.json]({href(n, 'summary.json')})"
                          f"{phase}", ""]
    return "\n".join(md)


def write_pages(out: str | Path, names: list[str], descriptions: dict[str, str],
                title: str = "gananim gallery", absent: dict[str, dict[str, str]] | None = None,
                layout: list[Section] | None = None) -> tuple[Path, Path]:
    """Write OUT/index.html and OUT/gallery.md for the rendered folders `names` (in this order);
    the names in `absent` (absent_card) get a card that says how to fetch their data. `layout`
    (read_layout) groups the cards in sections; OUT/compare/compare.gif is shown when there."""
    out = Path(out)
    absent = absent or {}
    remove_stale_temps(out)
    summaries = {n: json.loads((out / n / "summary.json").read_text()) if n not in absent else absent[n]
                 for n in names}
    folders = {COMPARE[0]} | {s.compare_out for s in layout or []}
    sections = arrange(names, layout, {f for f in folders if (out / f / COMPARE[1]).is_file()})
    with atomic_open(out / "index.html", "w") as fh:
        fh.write(_page_html(out, title, sections, names, summaries, descriptions, absent))
    with atomic_open(out / "gallery.md", "w") as fh:
        fh.write(_page_md(out, title, sections, summaries, descriptions, absent))
    return out / "index.html", out / "gallery.md"
