"""Colours, fonts and sizes in one place. Colours are Okabe-Ito (colour-blind safe); where
two things must be told apart (fooled / not fooled, negative / positive) they also differ by
marker or line style, never by colour alone."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Iterator, Optional

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

SUMMARY_SIZE = (18.0, 9.0)
HESSIAN_SIZE = (13.0, 10.0)
FIELD_SIZE = (14.0, 9.5)  # field.png: the Dirac-GAN's field at the end, the distance to the equilibrium
JACOBIAN_SIZE = (16.0, 11.0)  # jacobian.png: two complex planes above, the extremes over games below
PHASE_SIZE = (17.0, 10.5)  # phase.png: a heat map per outcome (a row per facet), the rules under them

# the magnitude |v| of a gradient field under its streamlines: white to a light sky blue, one
# hue whose lightness only falls (sequential, colour-blind safe), so dark lines read on all of it
SPEED = ["#FFFFFF", "#A6D2EF"]
TRAJECTORY = VERMILLION  # the players' parameters over games (the current point: black-edged)
EQUILIBRIUM = YELLOW  # a black-edged star: told apart by its shape

@dataclass(frozen=True)
class Size:
    """A size preset of the animations (render.size): inches per data domain, a fixed dpi (or
    None: render.dpi), and the fonts, in points."""
    line: tuple[float, float]
    plane: tuple[float, float]
    image: tuple[float, float]
    dirac: tuple[float, float]  # the Dirac-GAN's (θ, ψ) field; beside it the title, legend, eigenvalues, strip
    dpi: Optional[int]
    text: float  # tick labels, legend, axis labels
    title: float  # the frame's title and its game counter

    def inches(self, domain: str) -> tuple[float, float]:
        return getattr(self, domain)

    def rc(self) -> dict:
        return RC | {"font.size": self.text, "axes.titlesize": self.text + 1, "axes.labelsize": self.text,
                     "xtick.labelsize": self.text - 1, "ytick.labelsize": self.text - 1,
                     "legend.fontsize": self.text - 1}


# web: 8 x 6.6 inches (800 x 660 pixels at dpi 100) for a line, 12 x 6.6 for a square field with
# the rest beside it, a column for images, the slide's shape for the Dirac-GAN (its eigenvalues'
# table needs the room beside the field); slide: 1280 x 720 pixels at 100 dpi; 16 pt is 22 px,
# and DejaVu Sans's capitals are 0.73 em high: 16 px (tick labels at 16 pt too: text - 1 with text 17)
SIZES = {
    "web": Size(line=(8.0, 6.6), plane=(12.0, 6.6), image=(7.6, 9.8), dirac=(12.8, 7.2), dpi=None, text=13,
                title=15),
    "slide": Size(line=(12.8, 7.2), plane=(12.8, 7.2), image=(12.8, 7.2), dirac=(12.8, 7.2), dpi=100, text=17,
                  title=21),
}
CAP_HEIGHT = 0.729  # DejaVu Sans: capital height / font size


def size_of(settings: dict) -> Size:
    """The preset that render settings name (web when they name none)."""
    return SIZES[settings.get("size") or "web"]


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
def theme(size: Optional[Size] = None) -> Iterator[None]:
    """Figures drawn inside take the style's settings (and the fonts of a size preset)."""
    with mpl.rc_context(size.rc() if size is not None else RC):
        yield
