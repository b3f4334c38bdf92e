"""Panels: each draws one view of a Run on an Axes it is given.

A panel is built once (static artists drawn, changing artists created) and then
``update(i)`` moves its artists to snapshot i and returns them; it never calls pyplot.
PANELS maps the data dimension to the animation's main panel.
"""
from .field2d import Field2D
from .mapping1d import Mapping1D
from .objective import ObjectiveStrip

PANELS = {1: Mapping1D, 2: Field2D}

__all__ = ["PANELS", "Field2D", "Mapping1D", "ObjectiveStrip"]
