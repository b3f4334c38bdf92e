"""A Sphinx extension: ``extensions = ["gananim.sphinxext"]`` adds the ``gananim`` directive,
which trains and renders a scenario at build time (cached) and shows its animation and figures,
after matplotlib's plot directive::

    .. gananim:: scenarios/strong_discr.yaml
       :outputs: animation.gif summary.png
       :format: gif
       :size: web
       :alt: D takes 50 steps per game
       :width: 600px

The argument: a path relative to the .rst file's folder; with a leading ``/``, relative to
the source folder (as the image directive), else an absolute path; or a bare shipped name
(``strong_discr``). Options (all optional):

``:outputs:``  rendered files to show, e.g. ``animation.gif summary.png``; a bare name
               (``animation``) means its GIF/MP4 or PNG. Default: every GIF/MP4/PNG the
               scenario's render.outputs make.
``:format:``   the animation: gif | mp4 | both (mp4 needs imageio-ffmpeg). Default:
               ``gananim_format``, or what ``:outputs:`` names.
``:size:``     web | slide (replaces the scenario's render.size).
``:alt:``, ``:width:``, ``:class:``  as for an image (alt defaults to the scenario's title).

Config values: ``gananim_cache_dir`` (default ``<parent of the doctree dir>/.gananim``, e.g.
``_build/.gananim``; relative to conf.py's folder), ``gananim_format`` (gif).

HTML builders show the GIF (an ``<img>``) or the MP4 (a ``<video>`` whose file is copied to
``_images`` beside the others); builders that cannot show GIF or MP4 (LaTeX) get a still PNG,
the animation's last frame. Errors are warnings naming the .rst file and line with gananim's
one-line message (``suppress_warnings = ["gananim"]`` silences them).
"""
from __future__ import annotations

import html
import os
import posixpath
from pathlib import Path
from typing import Any
from urllib.parse import quote

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from . import __version__
from .embed import FORMATS, SIZES, EmbedError, embed, scenario_path, split_outputs

logger = logging.getLogger(__name__)


class gananim_video(nodes.General, nodes.Element):
    """An MP4 (``node['mp4']``, a source-relative path); its one child is the still image,
    which replaces it in builders that are not HTML and is the poster in HTML."""


def cache_dir(env) -> Path:
    """``gananim_cache_dir`` (made absolute at config-inited), else ``<doctree dir's parent>/.gananim``."""
    configured = env.config.gananim_cache_dir
    return Path(configured) if configured else Path(os.path.dirname(env.doctreedir)) / ".gananim"


def _absolute_cache_dir(app, config) -> None:
    if config.gananim_cache_dir:  # relative to conf.py's folder, as the docs say
        config.gananim_cache_dir = os.path.join(app.confdir, config.gananim_cache_dir)


class GananimDirective(SphinxDirective):
    required_arguments = 1
    optional_arguments = 0
    final_argument_whitespace = False
    has_content = False
    option_spec = {
        "outputs": directives.unchanged,
        "format": lambda arg: directives.choice(arg, FORMATS),
        "size": lambda arg: directives.choice(arg, SIZES),
        "alt": directives.unchanged,
        "width": directives.length_or_percentage_or_unitless,
        "class": directives.class_option,
    }

    def run(self) -> list[nodes.Node]:
        doc = Path(self.env.doc2path(self.env.docname))
        path = scenario_path(self.arguments[0], doc.parent, Path(self.env.srcdir))
        self.env.note_dependency(str(path.absolute()))  # an edited scenario re-reads the page
        try:
            shown = embed(path, cache_dir(self.env), fmt=self.options.get("format"),
                          size=self.options.get("size"), outputs=split_outputs(self.options.get("outputs")),
                          default_format=self.config.gananim_format)
        except EmbedError as exc:
            logger.warning("gananim: %s", exc, location=self.get_location(), type="gananim")
            return []
        alt = self.options.get("alt", shown.title)
        box = nodes.container(classes=["gananim", *self.options.get("class", [])])
        for media in shown.media:
            if media.kind == "mp4":
                video = gananim_video(mp4=self._srcrel(media.path), width=self.options.get("width"), alt=alt)
                video += self._image(media.still, alt)
                box += video
            elif media.kind == "gif":  # both files are candidates; `pick` keeps one per builder
                box += self._image(media.path.with_suffix(".*"), alt, gananim="gif")
            else:
                box += self._image(media.path, alt)
        return [box]

    def _docrel(self, path: Path) -> str:
        """`path` relative to the page's folder, the form an image node's uri takes."""
        here = Path(self.env.doc2path(self.env.docname)).parent
        return Path(os.path.relpath(path.absolute(), here.absolute())).as_posix()

    def _srcrel(self, path: Path) -> str:
        """`path` relative to the source folder (registered as an image, so HTML copies it)."""
        rel, _ = self.env.relfn2path(self._docrel(path), self.env.docname)
        self.env.note_dependency(rel)
        self.env.images.add_file(self.env.docname, rel)
        return rel

    def _image(self, path: Path, alt: str, **attrs: Any) -> nodes.image:
        node = nodes.image(uri=self._docrel(path), alt=alt, **attrs)
        if "width" in self.options:
            node["width"] = self.options["width"]
        self.set_source_info(node)
        return node


def pick(app, doctree: nodes.document, docname: str) -> None:
    """On doctree-resolved, per builder: the GIF where it can be shown, else the still PNG; the
    MP4 in HTML (its file added to the builder's images, so it is copied to _images), else its
    still image. Runs before the builder picks among an image's candidates."""
    builder, env = app.builder, app.env
    for node in list(doctree.findall(gananim_video)):
        if builder.format == "html" and node["mp4"] in env.images:
            node["dest"] = env.images[node["mp4"]][1]
            builder.images[node["mp4"]] = node["dest"]
        else:
            node.replace_self(node.children[0])
    keep = "image/gif" if "image/gif" in builder.supported_image_types else "image/png"
    for node in doctree.findall(nodes.image):
        if node.get("gananim") == "gif" and keep in node["candidates"]:
            node["candidates"] = {keep: node["candidates"][keep]}


def visit_video_html(self, node: gananim_video) -> None:
    src = posixpath.join(self.builder.imgpath, quote(node["dest"]))
    still = node.children[0]["uri"]  # the builder chose it: copied to _images as well
    poster = (posixpath.join(self.builder.imgpath, quote(self.builder.images[still]))
              if still in self.builder.images else None)
    attrs = ' controls loop muted playsinline'
    if poster:
        attrs += f' poster="{html.escape(poster)}"'
    if node.get("width"):
        width = node["width"] + ("px" if node["width"].isdigit() else "")
        attrs += f' style="width: {html.escape(width)}"'
    self.body.append(f'<video{attrs} aria-label="{html.escape(node["alt"])}">'
                     f'<source src="{html.escape(src)}" type="video/mp4"></video>\n')
    raise nodes.SkipNode


def setup(app) -> dict[str, Any]:
    app.add_config_value("gananim_cache_dir", None, "env", types=(str, type(None)))
    app.add_config_value("gananim_format", "gif", "env", types=(str,))
    app.add_node(gananim_video, html=(visit_video_html, None))
    app.add_directive("gananim", GananimDirective)
    app.connect("config-inited", _absolute_cache_dir)
    app.connect("doctree-resolved", pick)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
