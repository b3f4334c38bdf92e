"""The scenario schema (pydantic v2, unknown keys forbidden) and loading.

A scenario file is YAML read with ``yaml.safe_load``. Any problem becomes one
``ScenarioError`` line: ``FILE: dotted.key: what was expected (got ...)``. Allowed names
come from the registries (DISTRIBUTIONS, NOISES, PLAYERS, LOSSES, OPTIMIZERS), so a new
entry appears in the schema and its error messages by itself.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, Strict, ValidationError, ValidationInfo, field_validator,
                      model_serializer, model_validator)

from . import __version__
from .data import DISTRIBUTIONS, NOISES, Int, MissingData, Real
from .errors import excerpt, one_line, shown
from .hessian import MAX_EXACT_PARAMS
from .losses import LOSSES, REGULARIZERS
from .models import DISCRIMINATORS, GENERATORS, PLAYERS
from .optim import OPTIMIZERS
from .outcomes import ENERGY_BELOW, OUTCOMES, QUALITY_ABOVE
from .renderer import OUTPUTS
from .run import SWEEP_OUTPUTS, default_outputs
# bumped whenever the trainer's arithmetic changes (2: seeds stacked, closed-form gradients,
# Lanczos tolerance 1e-4; 3: MLP gradients chained by hand, zero-sum G blocks from V; 4: Hessian
# products chained by hand, Lanczos without restarts): cached runs of an older revision are
# trained again
TRAIN_REVISION = 4
MAX_TITLE = 200  # characters: a frame title and a card heading
MAX_DESCRIPTION = 5000  # characters: a gallery caption


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message is one line naming file and key."""


class DataMissing(ScenarioError):
    """A scenario whose data files are not there (yet): the message says how to fetch them."""


def _union(registry: dict[str, type[BaseModel]]) -> Any:
    return Annotated[Union[tuple(registry.values())], Field(discriminator="kind")]


class _Block(BaseModel):
    # validate_assignment: `sc.training.d_steps = 0` in Python is refused at once, as in a file
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_assignment=True)

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            super().__setattr__(name, value)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise ScenarioError(one_line(f"<set in Python>: {type(self).__name__}.{_describe(first, {name: value})} "
                                         "(Scenario.replace names the whole dotted key)")) from None


Betas = tuple[Annotated[Real, Field(ge=0, lt=1)], Annotated[Real, Field(ge=0, lt=1)]]


class OptimizerSettings(_Block):
    """One player's optimiser. Each kind takes the keys its class in OPTIMIZERS lists (`keys`):
    a key another kind takes is refused, not ignored, and is not written back out."""

    kind: Literal[tuple(OPTIMIZERS)] = "sgd"  # type: ignore[valid-type]
    lr: Real = Field(0.1, gt=0.0)
    momentum: Real = Field(0.0, ge=0.0, lt=1.0)  # sgd, rmsprop
    betas: Betas = (0.9, 0.999)  # adam

    @model_serializer(mode="wrap")
    def _own_keys_only(self, handler) -> dict[str, Any]:
        takes = {"kind", "generator", "discriminator", *OPTIMIZERS[self.kind].keys}
        return {key: v for key, v in handler(self).items() if key in takes}


class PlayerOptimizer(_Block):
    """A player's own optimiser settings: each key given replaces the shared one."""

    kind: Optional[Literal[tuple(OPTIMIZERS)]] = None  # type: ignore[valid-type]
    lr: Optional[Real] = Field(None, gt=0.0)
    momentum: Optional[Real] = Field(None, ge=0.0, lt=1.0)
    betas: Optional[Betas] = None

    @field_validator("*", mode="before")
    @classmethod
    def _given(cls, value: Any) -> Any:
        if value is None:  # None stands for "not given": an empty value in the file is an error
            raise ValueError("needs a value (got an empty one)")
        return value

    @model_serializer(mode="wrap")
    def _given_keys_only(self, handler) -> dict[str, Any]:
        return {key: v for key, v in handler(self).items() if v is not None}


def _refuse_foreign(given: set[str], values: dict[str, Any], kind: str, where: str,
                    players: dict[str, str] | None = None) -> None:
    """Refuse the first key in `given` that `kind` does not take; `players` (player -> its own
    kind) names the player whose optimizer takes it, where one does."""
    takes = OPTIMIZERS[kind].keys
    foreign = sorted(given - {"kind", *takes})
    if foreign:
        got = values[foreign[0]]
        owner = next((p for p, k in (players or {}).items() if foreign[0] in OPTIMIZERS[k].keys), None)
        hint = f"; give it in optimizer.{owner}, whose kind takes it" if owner else ""
        raise _KeyError(f"{where}{foreign[0]}", f"{kind} does not take {foreign[0]} (it takes {', '.join(takes)}){hint}",
                        list(got) if isinstance(got, tuple) else got)


class Optimizer(OptimizerSettings):
    """Shared settings; `generator:` / `discriminator:` override them per player."""

    generator: Optional[PlayerOptimizer] = None
    discriminator: Optional[PlayerOptimizer] = None

    @model_validator(mode="after")
    def _keys_of_kind(self) -> "Optimizer":
        shared = self.model_fields_set - {"generator", "discriminator"}
        kinds = {p: getattr(self, p).kind for p in ("generator", "discriminator")
                 if getattr(self, p) is not None and getattr(self, p).kind not in (None, self.kind)}
        _refuse_foreign(shared, self.__dict__, self.kind, "optimizer.", kinds)
        for player in ("generator", "discriminator"):
            own = getattr(self, player)
            if own is not None:
                given = {key for key, v in own.__dict__.items() if v is not None}
                _refuse_foreign(given, own.__dict__, own.kind or self.kind, f"optimizer.{player}.")
        return self

    def for_player(self, player: str) -> OptimizerSettings:
        """The shared settings, with the keys the player's block gives replacing them; a player
        whose block names another kind keeps only the shared keys that kind takes."""
        own = getattr(self, player)
        mine = own.model_dump() if own is not None else {}
        kind = mine.get("kind", self.kind)
        shared = {key: getattr(self, key) for key in OPTIMIZERS[kind].keys}
        return OptimizerSettings(**shared | mine | {"kind": kind})


class InstanceNoise(_Block):
    """Gaussian noise N(0, std^2) added to D's real and fake inputs (Sønderby et al. 2017;
    Arjovsky & Bottou 2017)."""

    std: Real = Field(0.0, ge=0.0)
    anneal: Literal["none", "linear"] = "none"  # linear: from std in the first game to 0 in the last
    # per_game: one noise vector per game, added to both the real and the fake batch at every
    # step of that game (the 2017 tutorial's noisy GAN); per_step: fresh, independent draws.
    draw: Literal["per_step", "per_game"] = "per_step"

    def std_at(self, game: int, games: int) -> float:
        """The noise std during game `game` (0-based) of `games`."""
        return self.std * (1 - game / max(games - 1, 1)) if self.anneal == "linear" else self.std


def _without_defaults(dumped: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """A block's dump without the keys added after scenarios were cached that hold their default."""
    return {k: v for k, v in dumped.items() if k not in defaults or v != defaults[k]}


class Training(_Block):
    games: Int = Field(500, ge=1, le=1_000_000)
    # an alternative to games for a data set of images: each epoch shuffles the images and D's
    # steps go through them a batch at a time (games = epochs x games_per_epoch)
    epochs: Optional[Int] = Field(None, ge=1, le=100_000)
    d_steps: Int = Field(1, ge=1, le=10_000)
    g_steps: Int = Field(1, ge=1, le=10_000)
    batch_size: Int = Field(10, ge=1, le=100_000)
    # alternating: D's steps, then G's steps against the updated D; simultaneous: both
    # gradients at the same point, then both players step (needs d_steps == g_steps)
    update: Literal["alternating", "simultaneous"] = "alternating"
    # fresh: G's step draws its own noise batch (Goodfellow et al.'s algorithm 1); reuse: G steps
    # on the fake batch of D's last step, one G forward a game (the PyTorch DCGAN example's loop)
    g_noise: Literal["fresh", "reuse"] = "fresh"

    @model_serializer(mode="wrap")
    def _new_keys_when_set(self, handler) -> dict[str, Any]:
        """`epochs` and `g_noise` are written only when they differ from their defaults: older
        scenarios keep their resolved form (and their cache keys)."""
        return _without_defaults(handler(self), {"epochs": None, "g_noise": "fresh"})


def _ordered(pair: tuple[float, float]) -> tuple[float, float]:
    if not pair[0] < pair[1]:
        raise ValueError(f"must be [low, high] with low < high (got {excerpt(list(pair))})")
    return pair


Range = Annotated[tuple[Real, Real], AfterValidator(_ordered)]  # an axis range: [low, high]


class View(_Block):
    """Where D is drawn (the 1D x grid, the 2D heat map): by default the data's view_range.
    Scenarios of one family set the same view so that their frames share axes."""
    x: Optional[Range] = None
    y: Optional[Range] = None  # 2D only


class Record(_Block):
    every: Int = Field(10, ge=1, le=1_000_000)  # one snapshot (= one animation frame) every N games
    hessian: Annotated[bool, Strict()] = False  # eigenvalues of the Hessian of V (and of each player's block)
    # games between Hessian spectra; default: every game for the exact path (up to 400
    # parameters), every snapshot for the Lanczos path
    hessian_every: Optional[Int] = Field(None, ge=1, le=1_000_000)
    hessian_k: Int = Field(3, ge=1, le=50)  # Lanczos: this many eigenvalues at each end
    mapping_samples: Optional[Int] = Field(None, ge=1, le=5000)  # fixed noise draws followed through G (10 in 1D, 512 in 2D)
    density_samples: Int = Field(4000, ge=10, le=1_000_000)  # G draws per snapshot for its density
    grid: Int = Field(400, ge=10, le=10_000)  # points of the x grid D is evaluated on
    # where each game's V and D's means are taken: game_end: on the game's last batches at the
    # players' new parameters (three more forwards a game); d_step: D's outputs in its last step
    # of the game, before that step (free: the numbers a training loop prints)
    value: Literal["game_end", "d_step"] = "game_end"
    view: Optional[View] = None  # x (and y in 2D) ranges where D is drawn; default: the data's
    # eigenvalues of the game Jacobian (the Jacobian of both players' negative gradients): all
    # of them up to MAX_EXACT_PARAMS parameters, else Arnoldi's jacobian_k largest in magnitude
    # and jacobian_k largest in real and in imaginary part; every jacobian_every games (default: every snapshot)
    jacobian: Annotated[bool, Strict()] = False
    jacobian_every: Optional[Int] = Field(None, ge=1, le=1_000_000)
    jacobian_k: Int = Field(6, ge=1, le=50)

    @model_serializer(mode="wrap")
    def _value_when_set(self, handler) -> dict[str, Any]:
        return _without_defaults(handler(self), {"value": "game_end", "view": None, "jacobian": False,
                                                 "jacobian_every": None, "jacobian_k": 6})


class Render(_Block):
    outputs: Optional[list[Literal[tuple(OUTPUTS)]]] = Field(None, min_length=1)  # type: ignore[valid-type]
    # web: compact figures for a page; slide: 1280 x 720 animations with text whose capitals
    # are at least 16 pixels high, for a projector
    size: Literal["web", "slide"] = "web"
    # the animation's pace: `seconds` for one loop (holds included), or a fixed `fps`; the first
    # frame and the last are held, and so are the frames of the games in `hold` and (events:
    # auto) those where V, D's means or G's distance to the data change most
    seconds: Real = Field(20.0, ge=2, le=600)
    fps: Optional[Int] = Field(None, ge=1, le=50)
    hold: list[Annotated[int, Strict(), Field(ge=0, le=1_000_000)]] = Field(default_factory=list, max_length=50)
    events: Literal["auto", "none"] = "auto"
    value_range: Optional[Range] = None  # the y range of the animation's objective strip (a family shares one)
    formats: list[Literal["png", "pdf", "svg"]] = Field(default_factory=lambda: ["png"], min_length=1)  # static figures
    dpi: Int = Field(100, ge=50, le=300)

    @model_validator(mode="after")
    def _no_repeats(self) -> "Render":
        for key in ("outputs", "formats"):
            values = getattr(self, key) or []
            if len(set(values)) != len(values):
                raise _KeyError(f"render.{key}", "must not name a value twice", values)
        return self


GRID_KEYS = 3  # a phase diagram's axes: x, y and the facets
GRID_VALUES = 64  # values of one key
GRID_CELLS = 4096  # cells of one diagram
NOT_GRIDDED = ("title", "description", "seed", "seeds", "grid", "phase", "render")  # keys a grid may not vary


def _check_grid(grid: Optional[dict[str, list[Any]]]) -> Optional[dict[str, list[Any]]]:
    if grid is None:
        return None
    if not 1 <= len(grid) <= GRID_KEYS:
        raise ValueError(f"must name 1 to {GRID_KEYS} dotted keys of the scenario (x, y, facets), each with a "
                         f"list of values (got {len(grid)} keys)")
    cells = 1
    for key, values in grid.items():
        parts = key.split(".")
        if not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p) for p in parts):
            raise ValueError(f"{excerpt(key)}: must be a dotted key of the scenario such as training.d_steps")
        if parts[0] in NOT_GRIDDED:
            raise ValueError(f"{key}: a grid varies the game, not {parts[0]!r} (the seeds come from seeds:)")
        if not 1 <= len(values) <= GRID_VALUES:
            raise ValueError(f"{key}: must list 1 to {GRID_VALUES} values (got {len(values)})")
        shown_values = [json.dumps(v, sort_keys=True) for v in values]
        if len(set(shown_values)) != len(shown_values):
            raise ValueError(f"{key}: must not list a value twice (got {excerpt(values)})")
        cells *= len(values)
    if cells > GRID_CELLS:
        raise ValueError(f"makes {cells:,} cells; at most {GRID_CELLS:,} in one diagram")
    return grid


class PhaseSettings(_Block):
    """How a phase diagram reads its cells: which outcomes get a heat map (default: those every
    seed's numbers can answer), the energy-distance threshold of 'close' and the share of G's
    samples near a mode of 'high_quality'."""
    outcomes: Optional[list[Literal[tuple(OUTCOMES)]]] = Field(None, min_length=1)  # type: ignore[valid-type]
    energy_below: Real = Field(ENERGY_BELOW, gt=0, le=1e6)
    quality_above: Real = Field(QUALITY_ABOVE, gt=0, le=1)  # mixtures: the share of G's samples near a mode


class Scenario(_Block):
    title: Optional[str] = Field(None, max_length=MAX_TITLE)
    description: str = Field("", max_length=MAX_DESCRIPTION)
    seed: Optional[Int] = Field(None, ge=0, le=2**62)  # not given: 0 (a sweep: none, its seeds instead)
    # a seed sweep: the same game once per seed, all trained together (small multiples and
    # the spread across seeds are rendered); replaces `seed`
    seeds: Optional[list[Annotated[int, Strict(), Field(ge=0, le=2**62)]]] = Field(None, min_length=2, max_length=64)
    data: _union(DISTRIBUTIONS)
    noise: _union(NOISES) = Field(default_factory=lambda: NOISES["uniform"]())
    generator: _union(GENERATORS) = Field(default_factory=lambda: PLAYERS["linear"]())
    discriminator: _union(DISCRIMINATORS) = Field(default_factory=lambda: PLAYERS["linear"]())
    loss: Literal[tuple(LOSSES)] = "minimax"  # type: ignore[valid-type]
    regularizer: _union(REGULARIZERS) = Field(default_factory=lambda: REGULARIZERS["none"]())
    instance_noise: InstanceNoise = Field(default_factory=InstanceNoise)
    optimizer: Optimizer = Field(default_factory=Optimizer)
    training: Training = Field(default_factory=Training)
    record: Record = Field(default_factory=Record)
    render: Render = Field(default_factory=Render)
    # a phase diagram: dotted keys of this scenario, each with a list of values; every cell (one
    # combination) is this game with those values, played once per seed (phase.py)
    grid: Annotated[Optional[dict[str, list[Any]]], AfterValidator(_check_grid)] = None
    phase: Optional[PhaseSettings] = None

    @model_serializer(mode="wrap")
    def _grid_when_set(self, handler) -> dict[str, Any]:
        """`grid` and `phase` are written only when given: other scenarios keep their cache keys."""
        return _without_defaults(handler(self), {"grid": None, "phase": None})

    @field_validator("title", "description")
    @classmethod
    def _printable(cls, text: Optional[str], info: ValidationInfo) -> Optional[str]:
        allowed = "" if info.field_name == "title" else "\n\t"
        bad = next((c for c in text or "" if not (c.isprintable() or c in allowed or unicodedata.category(c) == "Zs")),
                   None)
        if bad is not None:
            raise ValueError(f"must be printable text{' on one line' if not allowed else ''} "
                             f"(got the control character {bad!r})")
        return text

    @model_validator(mode="after")
    def _consistent(self) -> "Scenario":
        if self.seeds is not None:
            if self.seed is not None:
                raise _KeyError("seeds", "give either seed or seeds, not both", self.seeds)
            if len(set(self.seeds)) != len(self.seeds):
                raise _KeyError("seeds", "must not repeat a seed", self.seeds)
        elif self.seed is None:
            # the default seed, filled in: `seed: 0` and no seed are the same game (set in __dict__:
            # an assignment would validate the whole scenario again, validate_assignment)
            self.__dict__["seed"] = 0
        n = getattr(self.data, "samples", None)
        if n is not None and self.training.batch_size > n:
            raise _KeyError("training.batch_size", f"must be <= data.samples ({n})", self.training.batch_size)
        for player in ("generator", "discriminator"):
            shape = tuple(getattr(self.data, "image_shape", ()))
            if getattr(self, player).kind == "conv" and (self.data.domain != "image" or len(set(shape)) != 1):
                shape = "x".join(map(str, getattr(self.data, "image_shape", ()))) or f"{self.data.dim}-dimensional"
                raise _KeyError(f"{player}.kind", f"'conv' draws square images; data.kind "
                                f"{self.data.kind!r} gives {shape} {self.data.domain} data", "conv")
        tr = self.training
        if hasattr(self.data, "count") and tr.batch_size > self.data.count():
            raise _KeyError("training.batch_size", f"must be at most the number of images ({self.data.count()})",
                            tr.batch_size)
        if tr.epochs is not None:
            if not hasattr(self.data, "count"):
                raise _KeyError("training.epochs", f"needs a data set to go through (digits or idx); give "
                                f"training.games for {self.data.kind} data", tr.epochs)
            games = tr.epochs * self.games_per_epoch()
            if "games" in tr.model_fields_set and tr.games != games:
                raise _KeyError("training.games", f"give either games or epochs, not both ({tr.epochs} epochs "
                                f"are {games} games)", tr.games)
            if games > 1_000_000:
                raise _KeyError("training.epochs", f"must make at most 1,000,000 games (it makes {games:,})",
                                tr.epochs)
            tr.games = games
        if tr.update == "simultaneous" and tr.d_steps != tr.g_steps:
            raise _KeyError("training.update", f"'simultaneous' needs d_steps == g_steps "
                            f"(got d_steps={tr.d_steps}, g_steps={tr.g_steps})", tr.update)
        if tr.g_noise == "reuse" and tr.update != "alternating":
            raise _KeyError("training.update", "must be 'alternating' with g_noise: reuse (G steps on D's last "
                            "fake batch, after D's step)", tr.update)
        if tr.g_noise == "reuse" and tr.g_steps != 1:
            raise _KeyError("training.g_steps", "must be 1 with g_noise: reuse (G's one step takes D's last fake "
                            "batch)", tr.g_steps)
        if late := [g for g in self.render.hold if g > tr.games]:
            raise _KeyError("render.hold", f"games to hold must be at most training.games ({tr.games})", late)
        view = self.record.view
        if view is not None and view.y is not None and self.data.domain != "plane":
            raise _KeyError("record.view.y", f"only 2D data has a y range ({self.data.kind} is "
                            f"{self.data.domain} data)", list(view.y))
        if view is not None and self.data.domain == "image":
            raise _KeyError("record.view", "images have no view range", view.model_dump(exclude_none=True))
        if self.data.domain == "dirac":
            if self.generator.kind != "dirac":
                raise _KeyError("generator.kind", "must be 'dirac' (a point mass) for data.kind 'dirac': the "
                                "Dirac-GAN has one parameter per player", self.generator.kind)
            d = self.discriminator
            if not (d.kind == "dirac" or (d.kind == "linear" and not d.bias)):
                raise _KeyError("discriminator.kind", "must be 'dirac' (or 'linear' with bias: false) for "
                                "data.kind 'dirac': D(x) = psi * x", d.kind)
        if self.phase is not None and self.grid is None:
            raise _KeyError("phase", "sets how a phase diagram reads its cells: it needs a grid: block", "phase")
        if self.record.jacobian and self.record.jacobian_every is None:
            self.record.__dict__["jacobian_every"] = self.record.every
        if self.record.hessian and self.record.hessian_every is None:
            exact = self.parameter_count() <= MAX_EXACT_PARAMS
            self.record.hessian_every = 1 if exact else self.record.every
        if self.render.outputs is None:
            self.render.outputs = default_outputs(sweep=self.seeds is not None, hessian=self.record.hessian,
                                                  jacobian=self.record.jacobian, domain=self.data.domain)
        elif self.seeds is None and set(SWEEP_OUTPUTS) & set(self.render.outputs):
            raise _KeyError("render.outputs", "'seeds' and 'spread' need a seed sweep (seeds: [0, 1, ...])",
                            self.render.outputs)
        elif foreign := [o for o in self.render.outputs
                         if OUTPUTS[o].domains and self.data.domain not in OUTPUTS[o].domains]:
            name = foreign[0]
            raise _KeyError("render.outputs", f"{name!r} draws {' or '.join(OUTPUTS[name].domains)} data, not "
                            f"{self.data.domain} data ({self.data.kind})", self.render.outputs)
        elif "hessian" in self.render.outputs and not self.record.hessian:
            raise _KeyError("render.outputs", "'hessian' needs record.hessian: true", self.render.outputs)
        elif "jacobian" in self.render.outputs and not self.record.jacobian:
            raise _KeyError("render.outputs", "'jacobian' needs record.jacobian: true", self.render.outputs)
        return self

    def games_per_epoch(self) -> Optional[int]:
        """Games that go through a data set of images once (each D step takes the next batch of
        the epoch's shuffled order; the last images short of a batch wait for the next epoch);
        None for data that are drawn afresh."""
        if not hasattr(self.data, "count"):
            return None
        return max(1, self.data.count() // (self.training.batch_size * self.training.d_steps))

    def seed_list(self) -> list[int]:
        """The seeds trained: `seeds` for a sweep, else [seed]."""
        return list(self.seeds) if self.seeds is not None else [self.seed]

    def parameter_count(self) -> int:
        """Parameters of D and G together (the size of the Hessian of V), from the specs."""
        return (self.generator.parameter_count(self.noise.dim, self.data.dim)
                + self.discriminator.parameter_count(self.data.dim, 1))

    def train_key(self) -> str:
        """What the recorded numbers depend on: the scenario minus its presentation (title,
        description, render), and the gananim and torch versions. A cached run.npz is reused
        while it is unchanged."""
        content = self.model_dump(mode="json", exclude={"title", "description", "render", "grid", "phase"})
        key = {"scenario": content, "gananim": __version__, "torch": version("torch"), "revision": TRAIN_REVISION}
        if hasattr(self.data, "count"):  # images go through epochs (they were drawn with replacement before)
            key["sampler"] = "epochs"
        blob = json.dumps(key, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @property
    def name(self) -> str:
        """The file stem (output folder name); 'scenario' when built in code."""
        return getattr(self, "_name", None) or "scenario"

    def display_title(self) -> str:
        return self.title or self.name.replace("_", " ").capitalize()

    def checked(self) -> "Scenario":
        """This scenario validated again as a whole, as its file would be (after changes made in
        Python): a new Scenario, or ScenarioError with the usual one-line message."""
        return parse_scenario(self.model_dump(mode="json"), getattr(self, "_source", None) or self.name, self.name,
                              getattr(self, "_base", None))

    def replace(self, key: str, value: Any) -> "Scenario":
        """A copy with the dotted `key` set to `value`, validated like a file:
        ``sc.replace("training.d_steps", 5)``; a bad key or value raises ScenarioError naming it
        (``FILE: training.d_steps: ...``). The copy keeps the name, so it renders into the same
        folder, and its cache key follows the change."""
        raw = self.model_dump(mode="json")
        parts = key.split(".") if isinstance(key, str) and key else []
        if not parts or not all(parts):
            raise ScenarioError(f"replace: key must be a dotted name such as 'training.d_steps' (got {key!r})")
        where = raw
        for depth, part in enumerate(parts[:-1]):
            nxt = where.get(part) if isinstance(where, dict) else None
            if nxt is None and isinstance(where, dict):
                nxt = where[part] = {}
            if not isinstance(nxt, dict):
                raise ScenarioError(f"{getattr(self, '_source', None) or self.name}: {'.'.join(parts[:depth + 1])}: not a block of keys, "
                                    f"cannot set {key!r} inside it")
            where = nxt
        where[parts[-1]] = value
        return parse_scenario(raw, getattr(self, "_source", None) or self.name, self.name, getattr(self, "_base", None))

    def recorded(self) -> dict[str, Any]:
        """The scenario as a run's header keeps it: every key, defaults filled, the title as
        displayed."""
        return self.model_dump(mode="json") | {"title": self.display_title()}


class _KeyError(ValueError):
    """A cross-field problem that names its own key."""

    def __init__(self, key: str, msg: str, got: Any):
        super().__init__(f"{key}: {msg} (got {excerpt(got)})")


def _dotted(loc: tuple, raw: Any) -> str:
    """The user's key path: drop union tags pydantic inserts (they are not keys of the file)."""
    parts, node = [], raw
    for i, elem in enumerate(loc):
        if isinstance(node, dict) and elem in node:
            node = node[elem]
        elif isinstance(node, list) and isinstance(elem, int) and elem < len(node):
            node = node[elem]
        elif i < len(loc) - 1 or (isinstance(node, dict) and node.get("kind") == elem):
            continue  # a union tag such as 'mlp' in ('generator', 'mlp', 'hidden')
        else:
            node = None
        parts.append(f"[{elem}]" if isinstance(elem, int) else str(elem))
    return ".".join(parts).replace(".[", "[") or "(top level)"


def _members(tp: Any) -> list[Any]:
    """The types a field's annotation allows: Annotated and Optional unwrapped, unions flattened."""
    from typing import get_args, get_origin

    if get_origin(tp) is Annotated:
        return _members(get_args(tp)[0])
    if get_origin(tp) is Union or type(tp).__name__ == "UnionType":
        return [m for arg in get_args(tp) for m in _members(arg) if m is not type(None)]
    return [tp]


def _keys_at(loc: tuple, model: type[BaseModel]) -> list[str]:
    """The keys allowed in the block at `loc` (a pydantic error's location, union tags included:
    ('generator', 'mlp')), found by walking the models' fields from `model`."""
    from typing import get_args

    types: list[Any] = [model]
    for elem in loc:
        models = [t for t in types if isinstance(t, type) and issubclass(t, BaseModel)]
        if isinstance(elem, int):  # an item of a list or tuple
            types = [m for t in types if not isinstance(t, type) for a in get_args(t)[:1] or () for m in _members(a)]
        elif any(elem in m.model_fields for m in models):
            types = [x for m in models if elem in m.model_fields for x in _members(m.model_fields[elem].annotation)]
        else:  # a union tag: the member whose `kind` it is
            types = [m for m in models if "kind" in m.model_fields and elem in get_args(m.model_fields["kind"].annotation)]
    fields = {f for t in types if isinstance(t, type) and issubclass(t, BaseModel) for f in t.model_fields}
    return sorted(fields)


def _did_you_mean(loc: tuple, model: type[BaseModel]) -> str:
    """'; did you mean 'games'?' for an unknown key close to one allowed there, else ''."""
    import difflib

    if not loc or not isinstance(loc[-1], str):
        return ""
    close = difflib.get_close_matches(loc[-1], _keys_at(loc[:-1], model), 1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _describe(err: dict, raw: Any, model: type[BaseModel] | None = None) -> str:
    """One line for a pydantic error; `model`: the model whose input `raw` is (default Scenario)."""
    key, kind, got = _dotted(err["loc"], raw), err["type"], err.get("input")
    if kind in ("int_type", "float_type") and isinstance(got, str):
        return f"{key}: must be a number, not text (got {excerpt(got)})"
    if kind == "bool_type":
        return f"{key}: must be true or false (got {excerpt(got)})"
    if kind == "extra_forbidden":
        return f"{key}: unknown key{_did_you_mean(tuple(err['loc']), model or Scenario)}"
    if kind == "missing" and not isinstance(err["loc"][-1], int):
        return f"{key}: required key is missing"
    if kind == "union_tag_invalid":
        allowed = err["ctx"]["expected_tags"]
        return f"{key}.kind: must be one of {allowed} (got {excerpt(err['ctx']['tag'])})"
    if kind == "union_tag_not_found":
        return f"{key}.kind: required key is missing"
    if kind == "value_error":
        cause = err.get("ctx", {}).get("error")
        return str(cause) if isinstance(cause, _KeyError) else f"{key}: {cause}"
    if kind == "too_short":
        return f"{key}: must have at least {err['ctx']['min_length']} item(s) (got {excerpt(got)})"
    if kind == "string_too_long":
        return f"{key}: must have at most {err['ctx']['max_length']} characters (got {len(got)})"
    if kind == "too_long":
        return f"{key}: must have at most {err['ctx']['max_length']} item(s) (got {len(got)} items)"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"{key}: must be a mapping of keys (got {excerpt(got)})"
    if kind in ("tuple_type", "list_type") and not isinstance(err["loc"][-1], int):
        return f"{key}: must be a list (got {excerpt(got)})"
    if kind in ("tuple_type", "list_type") or (kind == "missing" and isinstance(err["loc"][-1], int)):
        return f"{key.rsplit('[', 1)[0]}: must be a list of the right length (got {excerpt(_value_at(raw, err['loc'][:-1]))})"
    msg = err["msg"]
    if kind == "literal_error":
        msg = "must be " + msg.removeprefix("Input should be ")
    else:
        msg = re.sub(r" or instance of \w+", "", msg.replace("Input should be", "must be"))
        msg = msg.replace("a valid dictionary", "a mapping of keys")
    return f"{key}: {msg} (got {excerpt(got)})"


def _value_at(raw: Any, loc: tuple) -> Any:
    for elem in loc:
        if isinstance(raw, dict) and elem in raw:
            raw = raw[elem]
        elif isinstance(raw, list) and isinstance(elem, int) and elem < len(raw):
            raw = raw[elem]
    return raw


def parse_scenario(raw: Any, source: str = "<scenario>", name: str = "scenario", base: Path | None = None) -> Scenario:
    """Validate a mapping (already parsed YAML) into a Scenario, or raise ScenarioError."""
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: expected a mapping of keys at the top level (got {type(raw).__name__})")
    bad = [k for k in raw if not isinstance(k, str)]
    if bad:
        raise ScenarioError(one_line(f"{source}: {excerpt(bad[0])}: keys must be names (text)"))
    check_name(name, source)
    try:
        sc = Scenario.model_validate(raw, context={"base": base})
    except ValidationError as exc:
        first = exc.errors()[0]
        missing = isinstance(first.get("ctx", {}).get("error"), MissingData)
        raise (DataMissing if missing else ScenarioError)(one_line(f"{source}: {_describe(first, raw)}")) from None
    object.__setattr__(sc, "_name", name)
    object.__setattr__(sc, "_source", source)
    object.__setattr__(sc, "_base", base)
    object.__setattr__(sc, "_raw", raw)  # the mapping as given: a phase diagram's cells change keys of it
    if sc.grid is not None:
        from .phase import cells

        cells(sc)  # every cell validated now, before anything is trained
    return sc


def scenario_from_dict(raw: Any, name: str = "scenario", base: str | Path | None = None) -> Scenario:
    """A Scenario from a mapping written in Python (the keys of a scenario file), validated like
    a file: ScenarioError with one line naming the key. `name` names its output folder; `base`
    is the folder that data file names are relative to (default: the working folder)."""
    return parse_scenario(raw, f"<{name}>", name, None if base is None else Path(base))


RESERVED_NAMES = ("index.html", "gallery.md")  # the gallery's own pages beside the folders


def check_name(name: str, source: str = "<scenario>") -> None:
    """A scenario's name (its file's stem) names its output folder inside --out: it must be one
    plain folder name. `...yaml` (stem '..') would write into the parent of --out and `..yaml`
    (stem '.') into --out itself."""
    if (not name or name.startswith(".") or not name.isprintable() or any(c in name for c in "/\\")
            or name in RESERVED_NAMES or len(name) > 120):
        raise ScenarioError(one_line(
            f"{source}: the output folder would be {excerpt(name)} (the file's name without .yaml): it must be a "
            "plain name of at most 120 characters, not starting with '.', without '/', '\\' or control "
            f"characters, and not {' or '.join(RESERVED_NAMES)}; rename the file"))


def parse_text(text: str, source: str = "<scenario>", name: str = "scenario", base: Path | None = None) -> Scenario:
    """Parse YAML text (the YAML 1.2 core schema, see yamlload) into a Scenario, or raise
    ScenarioError with one line."""
    import yaml

    from .yamlload import load_text

    try:
        raw = load_text(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["unreadable"])[0]
        raise ScenarioError(one_line(f"{source}: {where}invalid YAML: {problem}")) from None
    return parse_scenario(raw, source, name, base)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate one scenario file; raise ScenarioError with a one-line message."""
    from .yamlload import read_bounded

    path = Path(path)
    source = shown(path)
    try:
        text = read_bounded(path)
    except FileNotFoundError:
        raise ScenarioError(f"{source}: no such file") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{source}: cannot read: not UTF-8 text (byte {exc.start})") from None
    except (OSError, ValueError) as exc:
        raise ScenarioError(one_line(f"{source}: cannot read ({exc.__class__.__name__}: {exc})")) from None
    return parse_text(text, source, path.stem, base=path.parent)  # data files are named relative to it
