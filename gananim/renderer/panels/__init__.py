"""Panels: each draws one view of a Run on an Axes it is given.

A panel is built once (static artists drawn, changing artists created) and then
``update(i)`` moves its artists to snapshot i and returns them; it never calls pyplot.
PANELS maps the data's domain (``Run.domain``: line, plane, image, dirac) to the animation's
main panel, LAYOUTS to how a figure is laid out around it.
"""
from dataclasses import dataclass

from .. import style
from .field2d import Field2D
from .images import ImageGrid
from .mapping1d import Mapping1D
from .objective import ObjectiveStrip
from .vector_field import VectorField


@dataclass(frozen=True)
class Layout:
    legend_beside: bool  # a square field: the title, counter, legend and strip beside it (else below)
    tile: tuple[float, float]  # inches of one seed's tile in the small multiples


PANELS = {"line": Mapping1D, "plane": Field2D, "image": ImageGrid, "dirac": VectorField}
LAYOUTS = {
    "line": Layout(legend_beside=False, tile=(3.6, 2.6)),
    "plane": Layout(legend_beside=True, tile=(3.0, 3.0)),
    "image": Layout(legend_beside=False, tile=(3.0, 3.2)),
    "dirac": Layout(legend_beside=True, tile=(4.2, 3.4)),  # wider than the plane: its colour bar, longer titles
}

__all__ = ["LAYOUTS", "PANELS", "Field2D", "ImageGrid", "Layout", "Mapping1D", "ObjectiveStrip",
           "VectorField"]
