"""The documented feature schema: polars types, CEL forms, defaults, and frame checks."""

import datetime as dt
import subprocess
import sys

import polars as pl
import pytest
from celpy import celtypes

from rencai.policies.engine import (
    FEATURES,
    FrameError,
    check_frame,
    default_row,
    empty_frame,
    feature_row_to_cel,
    frame_from_rows,
    frame_schema,
)

EXPECTED_TYPES = {
    "age": "int",
    "gender": "string",
    "degree": "string",
    "degree_level": "int",
    "has_overseas_degree": "bool",
    "team": "string",
    "tier": "string",
    "title_level": "string",
    "title_rank": "int",
    "skill_level": "int",
    "region": "string",
    "nationality": "string",
    "employment_type": "string",
    "months_employed_locally": "int",
    "employer_industry": "string",
    "employer_size": "string",
    "employer_is_platform": "bool",
    "employer_is_high_tech": "bool",
    "programmes": "list<string>",
    "platform_kinds": "list<string>",
    "is_researcher_venture": "bool",
    "arrival_date": "timestamp",
    "years_since_arrival": "int",
    "status": "string",
    "patents_granted": "int",
    "patents_applied": "int",
    "tech_transfers": "int",
    "new_products": "int",
    "standards": "int",
    "awards": "int",
    "projects": "int",
    "transfer_income_3y": "int",
    "venture_tax_3y": "int",
    "arrived_with_project": "bool",
}


def test_features_are_the_documented_ones_with_their_cel_types():
    assert {name: f.cel_type for name, f in FEATURES.items()} == EXPECTED_TYPES


def test_frame_schema_has_talent_id_then_every_feature_in_order():
    schema = frame_schema()
    assert list(schema) == ["talent_id", *FEATURES]
    assert schema["programmes"] == pl.List(pl.Utf8)
    assert schema["arrival_date"] == pl.Date
    assert empty_frame().height == 0 and empty_frame().schema == schema


def test_enumerated_degree_translates_to_chinese():
    assert FEATURES["degree"].value_label("doctor", "zh") == "博士"
    assert FEATURES["degree"].value_label("associate", "zh") == "专科"
    assert FEATURES["skill_level"].value_label(1, "zh") == "高级技师"


def test_default_row_fills_every_feature_and_rejects_unknown_names():
    row = default_row(7, age=30)
    assert row["talent_id"] == 7 and row["age"] == 30 and row["programmes"] == []
    assert set(row) == {"talent_id", *FEATURES}
    with pytest.raises(KeyError):
        default_row(1, salary=3)


def test_feature_row_becomes_a_celpy_activation_with_typed_values():
    row = default_row(1, age=47, programmes=["academician"], arrival_date=dt.date(2017, 3, 1))
    talent = feature_row_to_cel(row)["talent"]
    assert isinstance(talent[celtypes.StringType("age")], celtypes.IntType)
    assert list(talent[celtypes.StringType("programmes")]) == ["academician"]
    assert talent[celtypes.StringType("arrival_date")] == celtypes.TimestampType("2017-03-01T00:00:00Z")
    assert isinstance(talent[celtypes.StringType("has_overseas_degree")], celtypes.BoolType)


def test_check_frame_accepts_a_frame_built_from_rows():
    check_frame(frame_from_rows([default_row(1), default_row(2)]))


def test_check_frame_rejects_a_wrongly_typed_column():
    frame = frame_from_rows([default_row(1)]).with_columns(pl.col("age").cast(pl.Utf8))
    with pytest.raises(FrameError) as caught:
        check_frame(frame, {"age"})
    assert "age" in caught.value.message_zh and caught.value.code == "invalid_feature_frame"


def test_engine_imports_no_django():
    code = "import sys, rencai.policies.engine; print(any(m.startswith('django') for m in sys.modules))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.strip() == "False"
