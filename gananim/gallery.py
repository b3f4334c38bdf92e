"""The gallery page: OUT/index.html (one self-contained static page: inline CSS, no
scripts, no network) and OUT/gallery.md, from the rendered folders and their summary.json.
Every text taken from a scenario is HTML-escaped. No torch, no training."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import quote

from .fileio import atomic_open, remove_stale_temps

PAGES = ("index.html", "gallery.md")
# a rendered folder holds a copy of its scenario (scenario.yaml) beside these records: a gallery
# over a folder that contains its own output (`gananim gallery . --out gallery`) skips them
RECORDS = (".render-key", ".gananim-files")


def scenario_files(directory: str | Path) -> list[Path]:
    """The scenario files under `directory`, in page order (by file name): plain files, not hidden
    and not in hidden folders (.venv, .git; as a shell's * would), and not the copies inside
    rendered folders."""
    root = Path(directory)
    files = [p for p in root.rglob("*.yaml")
             if not any(part.startswith(".") for part in p.relative_to(root).parts) and p.is_file()
             and not any((p.parent / record).exists() for record in RECORDS)]
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


CSS = """
body{font:16px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f6f6f4;color:#1a1a1a}
header{padding:1.5rem 2rem;background:#fff;border-bottom:1px solid #ddd}
h1{margin:0 0 .3rem;font-size:1.8rem} header p{margin:0;color:#555}
nav{padding:.6rem 2rem;background:#fff;border-bottom:1px solid #ddd;font-size:.9rem}
nav a{margin-right:.9rem;color:#0072B2}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:1.5rem;padding:1.5rem 2rem}
article{background:#fff;border:1px solid #ddd;border-radius:8px;padding:1rem 1.2rem}
article h2{margin:.1rem 0 .4rem;font-size:1.25rem}
.desc{color:#333;white-space:pre-wrap}
img,video{max-width:100%;height:auto;display:block;margin:.6rem 0;border:1px solid #eee}
.figs{display:grid;grid-template-columns:1fr 1fr;gap:.5rem}
table{border-collapse:collapse;font-size:.9rem;margin:.5rem 0} td{padding:.15rem .6rem .15rem 0;vertical-align:top}
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
FIGURES = ("summary.png", "progression.png", "losses.png", "dhist.png", "hessian.png", "spread.png")


def main_animation(folder: Path) -> str | None:
    """The animation a card shows: a sweep's small multiples, or the scenario's own."""
    order = sorted(ANIMATIONS, key=lambda a: (not a.startswith("seeds"), a.endswith(".mp4")))
    return next((a for a in order if (folder / a).exists()), None)


def _sweep_rows(s: dict) -> list[tuple[str, str]]:
    seeds, hit = s["seeds"], s["seeds_reaching_reference"]
    return [("seeds", f"{len(seeds)}: {', '.join(map(str, seeds))}"),
            ("seeds whose objective settles at the reference",
             f"{len(hit)} of {len(seeds)}" + (f" (seeds {', '.join(map(str, hit))})" if hit else "")),
            ("final objective across seeds", f"median {_num(s['final_objective_median'])}, from "
             f"{_num(s['final_objective_min'])} to {_num(s['final_objective_max'])} "
             f"(reference {_num(s['reference_objective'])})"),
            ("energy distance to the data, median", _num(s["final_energy_distance_median"]))]


def headline_rows(s: dict) -> list[tuple[str, str]]:
    """The numbers a card shows, from summary.json."""
    if "seeds" in s:
        return _sweep_rows(s)
    rows = [("final objective", f"{_num(s['final_objective'])} (reference {_num(s['reference_objective'])})"),
            ("stays within 0.05 of it from game", _num(s["reached_reference_at_game"])),
            ("energy distance to the data", _num(s["final_energy_distance"])),
            ("mean D on real / on fake", f"{_num(s['mean_d_real'])} / {_num(s['mean_d_fake'])}")]
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


def _card(folder: Path, s: dict, description: str) -> str:
    name, title = folder.name, s["title"]
    e = html.escape
    main = main_animation(folder)
    if main is None:
        anim = ""
    elif main.endswith(".gif"):
        anim = f'<img src="{e(href(name, main))}" alt="{e(title)}: animation" loading="lazy">'
    else:
        anim = f'<video src="{e(href(name, main))}" controls loop muted aria-label="{e(title)}"></video>'
    figs = "".join(f'<a href="{e(href(name, f))}"><img src="{e(href(name, f))}" alt="{e(title)}: {f[:-4]}" '
                   f'loading="lazy"></a>' for f in FIGURES if (folder / f).exists())
    rows = "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in headline_rows(s))
    embeds = "".join(f"<details><summary>embed: {e(kind)}</summary><pre><code>{e(text)}</code></pre></details>"
                     for kind, text in (snippets(name, title, main).items() if main else []))
    links = " ".join(f'<a href="{e(href(name, f))}">{f}</a>' for f in ("scenario.yaml", "summary.json", *ANIMATIONS)
                     if (folder / f).exists() and f != main)
    return (f'<article id="{e(name)}"><h2>{e(title)}</h2><p class="desc">{e(description.strip())}</p>{anim}'
            f'<table>{rows}</table><div class="figs">{figs}</div><p class="links">{links}</p>{embeds}</article>')


def absent_card(path: Path, message: str) -> dict[str, str]:
    """What the card of a scenario whose data files are absent shows: its title and description
    (read from the file as it is) and the message, which says how to fetch the data."""
    from .yamlload import load_text, read_bounded

    raw = load_text(read_bounded(path))
    title = raw.get("title") if isinstance(raw.get("title"), str) else path.stem
    description = raw.get("description") if isinstance(raw.get("description"), str) else ""
    return {"title": title, "description": description, "message": message.split(": ", 1)[-1]}


def _absent(name: str, card: dict[str, str]) -> str:
    e = html.escape
    return (f'<article id="{e(name)}"><h2>{e(card["title"])}</h2><p class="desc">{e(card["description"].strip())}</p>'
            f'<p class="absent"><strong>Not rendered: its data files are not here.</strong> {e(card["message"])}; '
            f"then run the gallery again.</p></article>")


def write_pages(out: str | Path, names: list[str], descriptions: dict[str, str],
                title: str = "gananim gallery", absent: dict[str, dict[str, str]] | None = None) -> tuple[Path, Path]:
    """Write OUT/index.html and OUT/gallery.md for the rendered folders `names` (in this order);
    the names in `absent` (absent_card) get a card that says how to fetch their data."""
    out = Path(out)
    absent = absent or {}
    remove_stale_temps(out)
    summaries = {n: json.loads((out / n / "summary.json").read_text()) if n not in absent else absent[n]
                 for n in names}
    e = html.escape
    nav = "".join(f'<a href="#{e(quote(n, safe=""))}">{e(summaries[n]["title"])}</a>' for n in names)
    cards = "".join(_absent(n, absent[n]) if n in absent else _card(out / n, summaries[n], descriptions.get(n, ""))
                    for n in names)
    page = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(title)}</title>'
            f"<style>{CSS}</style></head><body><header><h1>{e(title)}</h1>"
            f"<p>{len(names) - len(absent)} scenarios rendered by gananim"
            f"{f' ({len(absent)} more wait for their data files)' if absent else ''}. Each card: the animation, the summary and Hessian "
            f"figures, the headline numbers, the scenario file and snippets to embed the animation.</p></header>"
            f"<nav>{nav}</nav><main>{cards}</main></body></html>\n")
    with atomic_open(out / "index.html", "w") as fh:
        fh.write(page)
    md = [f"# {md_text(title)}", ""]
    for n in names:
        s = summaries[n]
        heading = md_text(" ".join(s["title"].split()))
        if n in absent:
            md += [f"## {heading}", "", md_text(s["description"].strip()), "",
                   f"**Not rendered: its data files are not here.** {md_text(s['message'])}; then run the gallery again.",
                   ""]
            continue
        anim = main_animation(out / n)
        md += [f"## {heading}", "", md_text(descriptions.get(n, "").strip()), ""]
        md += [snippets(n, s["title"], anim)["Markdown"], ""] if anim else []
        md += ["| | |", "| --- | --- |"] + [f"| {md_text(k)} | {md_text(v)} |" for k, v in headline_rows(s)] + [""]
        figs = [f"![{heading}: {f[:-4]}]({href(n, f)})" for f in FIGURES if (out / n / f).exists()]
        md += figs + ["", f"[scenario file]({href(n, 'scenario.yaml')}) · [summary.json]({href(n, 'summary.json')})", ""]
    with atomic_open(out / "gallery.md", "w") as fh:
        fh.write("\n".join(md))
    return out / "index.html", out / "gallery.md"
