"""Colours, fonts and sizes in one place. Colours are Okabe-Ito (colour-blind safe); where
two things must be told apart (fooled / not fooled, negative / positive) they also differ by
marker or line style, never by colour alone."""
from __future__ import annotations

import contextlib
from typing import Iterator

import matplotlib as mpl

BLACK = "#000000"
ORANGE = "#E69F00"
SKY = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#8C8C8C"
LIGHT_GREY = "#D9D9D9"

PALETTE = [BLACK, ORANGE, SKY, GREEN, YELLOW, BLUE, VERMILLION, PURPLE, GREY, LIGHT_GREY]

REAL = GREEN  # real samples and the real density
DISC = BLUE  # the discriminator
FAKE = VERMILLION  # the generator's density
FOOLED = ORANGE  # a generated sample with D(G(z)) > 1/2  (marker '^')
NOT_FOOLED = PURPLE  # a generated sample with D(G(z)) <= 1/2 (marker 'v')
REFERENCE = "#555555"  # the objective's equilibrium value (dashed)
NEGATIVE = VERMILLION  # negative eigenvalues (solid)
POSITIVE = BLUE  # positive eigenvalues (dashed in counts)

# D's heat map, diverging around D = 1/2 (or f = 0): grey where D says fake, blue where real
HEAT = ["#969696", "#FFFFFF", "#4A98C9"]

ANIMATION_SIZE = (8.0, 6.6)  # inches; at dpi 100: 800 x 660 pixels
ANIMATION_SIZE_2D = (11.0, 6.6)  # a square field with the legend beside it
SUMMARY_SIZE = (18.0, 9.0)
HESSIAN_SIZE = (13.0, 10.0)

RC = {
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#EBEBEB",
    "grid.linewidth": 0.8,
    "lines.linewidth": 2.0,
    "svg.hashsalt": "gananim",  # reproducible SVG ids
    "path.simplify": True,
}


@contextlib.contextmanager
def theme() -> Iterator[None]:
    with mpl.rc_context(RC):
        yield
