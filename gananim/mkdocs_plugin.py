"""A MkDocs plugin (``plugins: [gananim]`` in mkdocs.yml): a fenced block whose info string is
``gananim`` trains and renders a scenario at build time (cached) and is replaced by its
animation and figures::

    ```gananim
    scenario: scenarios/strong_discr.yaml
    outputs: animation.gif summary.png   # or a list; default: every GIF/MP4/PNG it renders
    format: gif                          # gif | mp4 | both (mp4 needs imageio-ffmpeg)
    size: web                            # web | slide
    alt: D takes 50 steps per game       # default: the scenario's title
    width: 600px
    ```

The block holds YAML; a block of one line is the scenario alone (```` ```gananim ```` then
``strong_discr``). ``scenario`` is a path relative to the Markdown file's folder; with a
leading ``/``, relative to docs_dir; or a bare shipped name (``strong_discr``). A fenced block
with another info string (```` ```markdown ````, say) is left alone, so the syntax can be shown.

The block becomes raw HTML: ``<img>`` for a GIF/PNG, ``<video controls loop muted
playsinline>`` for an MP4 (its poster the last frame), with URLs relative to the page's final
URL (``use_directory_urls`` included). The files are copied after the build into
``site/_gananim/<name>-<digest>/``. Options in mkdocs.yml::

    plugins:
      - gananim:
          cache_dir: .gananim     # relative to mkdocs.yml; kept between builds (the default)
          format: gif             # the default animation format of a block

An error (bad scenario, key or value) stops the build with gananim's one-line message naming
the Markdown file and line.
"""
from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Any, Optional

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.utils import get_relative_url

from .embed import FORMATS, SIZES, EmbedError, embed, scenario_path, split_outputs

INFO = "gananim"
KEYS = ("scenario", "outputs", "format", "size", "alt", "width")
_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<info>[^\s`{]*)")


class GananimConfig(base.Config):
    cache_dir = c.Type(str, default=".gananim")
    format = c.Choice(FORMATS, default="gif")
    site_folder = c.Type(str, default="_gananim")


def blocks(markdown: str) -> list[tuple[int, int, str, str]]:
    """The gananim fences: (first line, line after the closing fence, indent, body), 0-based;
    fences with another info string are skipped whole. Raises ValueError (with the 1-based line)
    for a gananim fence that is never closed."""
    lines = markdown.split("\n")
    found, i = [], 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence = m["fence"]
        close = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        end = next((j for j in range(i + 1, len(lines)) if close.match(lines[j])), None)
        if m["info"] == INFO:
            if end is None:
                raise ValueError(f"{i + 1}: the ```gananim block is never closed")
            body = "\n".join(line[len(m["indent"]):] for line in lines[i + 1:end])
            found.append((i, end + 1, m["indent"], body))
        i = len(lines) if end is None else end + 1
    return found


def parse_block(body: str) -> dict[str, Any]:
    """The block's YAML: a mapping of KEYS with `scenario`, or one line naming the scenario."""
    import yaml

    try:
        data = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        raise EmbedError(f"not YAML: {' '.join(str(exc).split())[:120]}") from None
    if isinstance(data, str):
        data = {"scenario": data}
    if not isinstance(data, dict):
        raise EmbedError(f"expected the keys {', '.join(KEYS)} (scenario: required)")
    unknown = sorted(set(map(str, data)) - set(KEYS))
    if unknown:
        raise EmbedError(f"{unknown[0]}: unknown key (allowed: {', '.join(KEYS)})")
    if not isinstance(data.get("scenario"), str) or not data["scenario"].strip():
        raise EmbedError("scenario: required (a path or a shipped name)")
    for key, allowed in (("format", FORMATS), ("size", SIZES)):
        if key in data and data[key] not in allowed:
            raise EmbedError(f"{key}: must be one of {', '.join(allowed)} (got {data[key]!r})")
    return data


class GananimPlugin(BasePlugin[GananimConfig]):
    def __init__(self) -> None:
        self.copies: dict[str, Path] = {}  # site path -> cached file
        self.watched: set[str] = set()

    def on_config(self, config, **kwargs: Any):
        self.copies.clear()
        root = Path(config.config_file_path or ".").absolute().parent
        self.cache = root / self.config.cache_dir
        return config

    def on_page_markdown(self, markdown: str, *, page, config, files, **kwargs: Any) -> Optional[str]:
        try:
            found = blocks(markdown)
        except ValueError as exc:
            raise PluginError(f"{page.file.src_uri}:{exc}") from None
        if not found:
            return markdown
        lines = markdown.split("\n")
        offset = _front_matter_lines(page, markdown)
        for start, end, indent, body in reversed(found):
            try:
                snippet = self._render(parse_block(body), page, config)
            except EmbedError as exc:
                raise PluginError(f"{page.file.src_uri}:{start + 1 + offset}: gananim: {exc}") from None
            lines[start:end] = ["", indent + snippet, ""]
        return "\n".join(lines)

    def _render(self, block: dict[str, Any], page, config) -> str:
        here = Path(page.file.abs_src_path).parent
        path = scenario_path(block["scenario"], here, Path(config.docs_dir))
        self.watched.add(str(path.absolute()))
        shown = embed(path, self.cache, fmt=block.get("format"), size=block.get("size"),
                      outputs=split_outputs(block.get("outputs")), default_format=self.config.format)
        alt = html.escape(str(block.get("alt", shown.title)))
        style = f' style="width: {html.escape(str(block["width"]))}"' if block.get("width") else ""
        parts = []
        for media in shown.media:
            url = html.escape(self._publish(shown.folder, media.path, page))
            if media.kind == "mp4":
                poster = html.escape(self._publish(shown.folder, media.still, page))
                parts.append(f'<video controls loop muted playsinline poster="{poster}" aria-label="{alt}"{style}>'
                             f'<source src="{url}" type="video/mp4"></video>')
            else:
                parts.append(f'<img src="{url}" alt="{alt}"{style}>')
        return f'<div class="gananim">{"".join(parts)}</div>'

    def _publish(self, folder: Path, file: Path, page) -> str:
        """Note `file` for copying into the site; its URL relative to the page."""
        site_path = f"{self.config.site_folder}/{folder.parent.name}/{file.name}"
        self.copies[site_path] = file
        return get_relative_url(site_path, page.url)

    def on_post_build(self, *, config, **kwargs: Any) -> None:
        site = Path(config.site_dir)
        for site_path, file in self.copies.items():
            target = site / site_path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, target)

    def on_serve(self, server, *, config, builder, **kwargs: Any):
        for path in sorted(self.watched):  # an edited scenario rebuilds the site
            if Path(path).exists():
                server.watch(path)
        return server


def _front_matter_lines(page, markdown: str) -> int:
    """Lines of YAML front matter MkDocs removed before on_page_markdown (so errors name the
    line in the file)."""
    try:
        source = page.file.content_string
    except (OSError, AttributeError, UnicodeDecodeError):
        return 0
    return max(0, source.count("\n") - markdown.count("\n"))
