"""The JSON Schema of a scenario file (`gananim schema`, shipped as gananim/schema/scenario.schema.json)
for editors: it cannot go stale, it accepts every shipped scenario and refuses unknown keys."""
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from gananim.cli import main
from gananim.yamlload import load_text

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_SCHEMA = ROOT / "gananim" / "schema" / "scenario.schema.json"
SCENARIOS = sorted(p for p in (ROOT / "gananim" / "scenarios").glob("*.yaml") if p.name != "gallery.yaml")


@pytest.fixture(scope="module")
def printed() -> str:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def validator(printed):
    schema = json.loads(printed)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_shipped_schema_is_what_gananim_schema_prints(printed):
    assert SHIPPED_SCHEMA.read_text(encoding="utf-8") == printed, (
        "gananim/schema/scenario.schema.json is stale: run `gananim schema > gananim/schema/scenario.schema.json`")


def test_the_schema_is_deterministic_json_draft_2020_12(printed):
    again = CliRunner().invoke(main, ["schema"]).stdout
    assert again == printed and printed.endswith("}\n")
    schema = json.loads(printed)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "gananim scenario" and schema["required"] == ["data"]
    assert printed == json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_shipped_scenario_validates_against_the_schema(validator, path):
    raw = load_text(path.read_text(encoding="utf-8"))
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in validator.iter_errors(raw)]
    assert not errors, errors


@pytest.mark.parametrize("raw, where", [
    ({"data": {"kind": "gaussian"}, "training": {"game": 10}}, ["training"]),  # a typo in a block
    ({"data": {"kind": "gaussian"}, "titel": "x"}, []),  # at the top level
    ({"data": {"kind": "gaussian", "meen": 1.0}}, ["data"]),  # in a member of a union (by kind)
    ({"data": {"kind": "gaussian"}, "generator": {"kind": "mlp", "hiden": [8]}}, ["generator"]),
])
def test_an_unknown_key_fails_the_schema(validator, raw, where):
    errors = list(validator.iter_errors(raw))
    assert errors and all(list(e.absolute_path) == where for e in errors), [e.message for e in errors]
    good = json.loads(json.dumps(raw).replace('"game"', '"games"').replace('"titel"', '"title"')
                      .replace('"meen"', '"mean"').replace('"hiden"', '"hidden"'))
    assert not list(validator.iter_errors(good))


def test_values_out_of_range_or_of_the_wrong_kind_fail_the_schema(validator):
    assert list(validator.iter_errors({"data": {"kind": "gaussian"}, "training": {"games": 0}}))
    assert list(validator.iter_errors({"data": {"kind": "nope"}}))
    assert list(validator.iter_errors({"data": {"kind": "gaussian"}, "loss": "wgan"}))
    assert list(validator.iter_errors({"training": {"games": 10}}))  # data is required
