"""Reading a scenario's YAML: bounded, YAML 1.2 scalars, one error type for every problem.

PyYAML's safe_load follows YAML 1.1: ``seed: 1:30`` is 90 (a sexagesimal), ``seed: 017`` is 15
(octal), ``seed: 2024-13-45`` raises ValueError (a timestamp), ``lr: 1e-3`` is a string, and
``yes`` is true. A scenario is read with the YAML 1.2 core schema instead (what a reader of
the file sees: decimal integers, floats with or without a dot, true/false, null; everything
else is text), with these guards, each of which raises ``yaml.YAMLError``:

- a key given twice in one mapping, or a key that is not a scalar;
- nesting deeper than MAX_DEPTH (20,000 brackets were a RecursionError);
- more than MAX_KEYS keys copied by ``<<`` merges in one document (merge keys copy keys, so
  they can multiply them the way aliases would multiply values);
- tags outside the core schema (``!!binary``, ``!!set``, ``!!timestamp``, ``!!python/...``) and
  values that do not fit their tag (``!!int abc``).

Aliases are kept as shared references, so an alias bomb costs no memory here; messages show
values through ``errors.excerpt`` so it is never printed expanded. Nothing here knows the schema.
"""
from __future__ import annotations

import math
import re

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, SequenceNode

from .errors import excerpt

MAX_BYTES = 1_000_000  # a scenario is a few hundred bytes; /dev/zero or a 50 MB file is refused
MAX_DEPTH = 64
MAX_KEYS = 10_000

_TAG = "tag:yaml.org,2002:"
_NUMBER = r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
# the YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), in resolution
# order, and `<<` merge keys
_CORE = [
    ("null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("float", rf"^(?:{_NUMBER}|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+.0123456789"),
    ("merge", r"^<<$", "<"),
]


class ScenarioLoader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 core scalars and the guards above."""

    yaml_implicit_resolvers: dict = {}
    yaml_constructors = {tag: fn for tag, fn in yaml.SafeLoader.yaml_constructors.items()
                         if tag in {_TAG + t for t in ("null", "str", "seq", "map")}}

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._flat: set[int] = set()
        self._merged = 0  # entries copied by `<<` merges in the whole document

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def flatten_mapping(self, node: MappingNode) -> None:
        """Check the mapping's own keys (once per mapping, before `<<` merges add theirs), then
        merge, refusing to make more than MAX_KEYS keys (each merged mapping is flattened once,
        however many times it is aliased)."""
        if id(node) in self._flat:
            return
        seen = set()
        total = len(node.value)
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                for sub in value_node.value if isinstance(value_node, SequenceNode) else [value_node]:
                    if isinstance(sub, MappingNode):
                        self.flatten_mapping(sub)
                        total += len(sub.value)
                        self._merged += len(sub.value)
                if total > MAX_KEYS or self._merged > MAX_KEYS:
                    raise ConstructorError(None, None, f"more than {MAX_KEYS:,} keys merged by <<",
                                           node.start_mark)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConstructorError(None, None, "keys must be names (text), not lists or mappings",
                                       key_node.start_mark)
            key = self.construct_object(key_node)
            if key in seen:
                raise ConstructorError(None, None, f"duplicate key {excerpt(key, 60)}", key_node.start_mark)
            seen.add(key)
        super().flatten_mapping(node)
        self._flat.add(id(node))

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, MappingNode):
            raise ConstructorError(None, None, f"expected a mapping, found {node.id}", node.start_mark)
        self.flatten_mapping(node)
        return super().construct_mapping(node, deep)


def _scalar(kind: str, parse):
    def construct(loader: ScenarioLoader, node) -> object:
        value = loader.construct_scalar(node)
        try:
            return parse(value)
        except (ValueError, OverflowError):
            shown = value if len(value) <= 40 else value[:37] + "..."
            raise ConstructorError(None, None, f"{shown!r} is not a valid {kind}", node.start_mark) from None

    return construct


def _int(text: str) -> int:
    if text.startswith(("0o", "0x")):
        return int(text[2:], 8 if text[1] == "o" else 16)
    if not re.fullmatch(r"[-+]?[0-9]+", text):
        raise ValueError(text)
    return int(text, 10)  # YAML 1.2: 017 is seventeen; more than 4,300 digits is a ValueError


def _float(text: str) -> float:
    low = text.lower()
    if low.lstrip("+-") == ".inf":
        return -math.inf if low.startswith("-") else math.inf
    if low == ".nan":
        return math.nan
    if not re.fullmatch(_NUMBER, text):
        raise ValueError(text)
    return float(text)


def _bool(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError(text)
    return text.lower() == "true"


for _kind, _regex, _first in _CORE:
    # an empty value (`seed:`) is null: PyYAML looks empty scalars up under the first character ''
    ScenarioLoader.add_implicit_resolver(_TAG + _kind, re.compile(_regex), list(_first) + [""] * (_kind == "null"))
for _kind, _parse in (("int", _int), ("float", _float), ("bool", _bool)):
    ScenarioLoader.add_constructor(_TAG + _kind, _scalar({"int": "integer", "float": "number",
                                                          "bool": "true or false"}[_kind], _parse))


def _refuse_tag(loader: ScenarioLoader, node) -> None:
    tag = "!!" + node.tag[len(_TAG):] if node.tag.startswith(_TAG) else node.tag
    raise ConstructorError(None, None, f"the tag {tag[:40]} is not allowed in a scenario (plain values, "
                           "lists and mappings only)", node.start_mark)


ScenarioLoader.add_constructor(None, _refuse_tag)


def read_bounded(path) -> str:
    """The file's text (UTF-8), reading at most MAX_BYTES + 1 bytes: a device or a huge file is
    refused without reading it all. Raises OSError, UnicodeDecodeError or ValueError (too big)."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES // 1_000_000} MB; a scenario file is a few kilobytes")
    return data.decode("utf-8")


def load_text(text: str) -> object:
    """Parse one YAML document with ScenarioLoader; every problem is a yaml.YAMLError."""
    loader = ScenarioLoader(text)
    try:
        return loader.get_single_data()
    except RecursionError:  # a structure the depth guard does not see (aliases of aliases)
        raise yaml.YAMLError("the structure is nested too deeply") from None
    finally:
        loader.dispose()
