"""An export is an import file: the same columns as the template, and re-imported it updates the same records.

The list is exported through the real page, corrected the way an officer does it in Excel (openpyxl on the
downloaded bytes), and imported through the importer: nothing is duplicated, unchanged rows stay untouched,
the masked cells (ID number, phone, birth date) keep what is stored, and the talent number says which record
a row is.
"""

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from rencai.registry import importers, services
from rencai.registry.importers.columns import import_columns
from rencai.registry.models import Enterprise, Talent
from rencai.registry.services import ID_NUMBER_TAKEN


def exported(client, world, role="county_org_dept", url="registry:talent_export", language="") -> bytes:
    client.force_login(world.users[role])
    if language:
        client.cookies["django_language"] = language
    response = client.get(reverse(url))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def edited(content: bytes, change) -> bytes:
    """The file after `change(header, rows)` edited its cells, saved as Excel would."""
    book = load_workbook(io.BytesIO(content))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    rows = [list(row) for row in sheet.iter_rows(min_row=2)]
    change(header, rows)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def workbook_of(header, *rows) -> bytes:
    book = Workbook()
    for values in (header, *rows):
        book.active.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def cell(header, row, name):
    return row[header.index(name)]


def reimport(world, data: bytes, role="county_org_dept", kind="talents"):
    return importers.import_file(actor=world.users[role], kind=kind, filename="名单.xlsx", data=data)


def reasons(batch) -> list[str]:
    return [reason["message_zh"] for entry in batch.rows for reason in entry["reasons"]]


def state_of(talents) -> list[tuple]:
    fields = ["pk", "name", "id_number_index", "phone_ciphertext", "tier", "team", "updated_at"]
    return list(talents.order_by("pk").values_list(*fields))


def test_the_export_has_the_templates_columns_in_the_templates_order(client, world):
    header = [c.value for c in load_workbook(io.BytesIO(exported(client, world))).active[1]]
    template = client.get(reverse("registry:import") + "?template=talents").content
    template_header = [c.value for c in load_workbook(io.BytesIO(template)).active[1]]

    assert header[: len(template_header)] == template_header == [c.zh() for c in import_columns("talents")]
    assert header[len(template_header) :] == ["现工作单位", "状态", "离开日期"]  # read past on import


def test_a_talent_export_reimported_as_it_is_changes_nothing(client, world):
    talents = Talent.objects.all()
    before = state_of(talents)

    batch = reimport(world, exported(client, world))

    assert (batch.outcome, batch.total_rows, batch.rejected_count) == ("applied", 2, 0)
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (0, 0, 2)
    assert batch.unknown_columns == []
    assert state_of(talents) == before  # same talents, same ID numbers and phones, not even re-saved


def test_a_corrected_export_updates_the_same_talents_and_keeps_the_masked_values(client, world):
    count = Talent.objects.count()
    phone_before = world.talent_a2.phone_ciphertext

    def correct(header, rows):
        row = next(r for r in rows if cell(header, r, "姓名").value == "江山乙")
        cell(header, row, "人才类别").value = "C类 省级领军人才"
        cell(header, row, "职称").value = "副高级"

    batch = reimport(world, edited(exported(client, world), correct))

    assert (batch.outcome, batch.created_count, batch.updated_count, batch.unchanged_count) == (
        "applied",
        0,
        1,
        1,
    )
    assert Talent.objects.count() == count
    world.talent_a2.refresh_from_db()
    assert (world.talent_a2.tier, world.talent_a2.title_level) == ("C", "deputy_senior")
    assert world.talent_a2.phone_ciphertext == phone_before  # "138****1234" meant: keep it
    assert world.talent_a2.phone_masked == "138****1234"


def test_an_english_export_reimports_to_the_same_records(client, world):
    before = state_of(Talent.objects.all())

    content = exported(client, world, language="en")

    header = [c.value for c in load_workbook(io.BytesIO(content)).active[1]]
    assert header[:3] == ["Name", "ID kind", "ID number"]
    batch = reimport(world, content)
    assert (batch.outcome, batch.unchanged_count, batch.rejected_count) == ("applied", 2, 0)
    assert state_of(Talent.objects.all()) == before


def test_a_passport_holders_masked_birth_date_keeps_the_stored_one(client, world):
    holder = services.register_talent(
        actor=world.users["county_org_dept"],
        data=services.TalentInput(
            name="Anna Weber",
            id_number="C12345678",
            id_kind="passport",
            nationality="DE",
            birth_date=dt.date(1985, 6, 7),
            gender="female",
            region_code="330881",
            team="professional",
            arrival_date=dt.date(2020, 5, 1),
        ),
    )
    content = exported(client, world)
    row = next(
        r
        for r in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)
        if r[0] == "Anna Weber"
    )
    assert "德国" in row and "1985-**-**" in row and "C12345678" not in row

    batch = reimport(world, content)

    assert (batch.outcome, batch.unchanged_count) == ("applied", 3)
    holder.refresh_from_db()
    assert (holder.birth_date, holder.gender, holder.nationality) == (dt.date(1985, 6, 7), "female", "DE")


def test_a_masked_id_number_without_the_talent_number_is_refused_with_what_to_do(client, world):
    def drop_talent_number(header, rows):
        for row in rows:
            cell(header, row, "人才编号").value = None

    batch = reimport(world, edited(exported(client, world), drop_talent_number))

    assert batch.outcome == "rejected" and Talent.objects.count() == 3
    assert set(reasons(batch)) == {
        "证件号码已遮蔽（导出文件只显示前两位），无法据此更新；请同时保留“人才编号”列，或填写完整的证件号码"
    }


def test_a_talent_number_outside_the_scope_gets_the_same_words_as_an_unknown_one(client, world):
    def point_at(number):
        def change(header, rows):
            cell(header, rows[0], "人才编号").value = number

        return change

    content = exported(client, world)
    other_county = reimport(world, edited(content, point_at(world.talent_b.pk)))
    unknown = reimport(world, edited(content, point_at(999_999)))

    assert reasons(other_county) == [f"人才编号 {world.talent_b.pk} 不存在或不在您的权限范围内"]
    assert reasons(unknown) == ["人才编号 999999 不存在或不在您的权限范围内"]
    world.talent_b.refresh_from_db()
    assert world.talent_b.name == "龙游丙"


def test_a_full_id_number_that_is_not_the_talent_numbers_record_is_refused(client, world):
    other_number = importers.crypto.decrypt(world.talent_a2.id_number_ciphertext)

    def swap(header, rows):
        row = next(r for r in rows if cell(header, r, "姓名").value == "江山甲")
        cell(header, row, "证件号码").value = other_number

    batch = reimport(world, edited(exported(client, world), swap))

    assert batch.outcome == "rejected"
    assert reasons(batch) == [
        f"证件号码与人才编号 {world.talent_a.pk} 的记录不一致；如需修改证件号码，请在该人才页面修改"
    ]


def test_the_county_cannot_reach_another_countys_talent_through_a_full_id_number(world):
    """The talent number adds no way round the scope: a full number still gets the form's answer."""
    number = importers.crypto.decrypt(world.talent_b.id_number_ciphertext)
    header = ["姓名", "证件号码", "所在区划", "人才队伍", "来衢日期", "人才编号"]
    row = ["冒名", number, "江山市", "专业技术人才", "2020-05-01", world.talent_b.pk]

    with_number = reimport(world, workbook_of(header, row))
    without_number = reimport(world, workbook_of(header[:-1], row[:-1]))

    assert reasons(with_number) == [f"人才编号 {world.talent_b.pk} 不存在或不在您的权限范围内"]
    assert reasons(without_number) == [ID_NUMBER_TAKEN[0]]  # as before: the form's and the API's words


@pytest.mark.parametrize("role", ["county_org_dept", "city_org_dept"])
def test_an_enterprise_export_reimported_updates_by_credit_code(client, world, role):
    count = Enterprise.objects.count()
    content = exported(client, world, role=role, url="registry:enterprise_export")
    visible = load_workbook(io.BytesIO(content)).active.max_row - 1
    again = reimport(world, content, role=role, kind="enterprises")
    assert (again.outcome, again.unchanged_count, again.created_count) == ("applied", visible, 0)

    def grow(header, rows):
        cell(header, rows[0], "规模").value = "大型"

    batch = reimport(world, edited(content, grow), role=role, kind="enterprises")

    assert (batch.outcome, batch.created_count, batch.updated_count) == ("applied", 0, 1)
    assert Enterprise.objects.count() == count
