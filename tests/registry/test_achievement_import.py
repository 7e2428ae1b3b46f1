"""Importing achievements (成果) from Excel: holders by ID number, all or nothing (or the valid rows),
a row report in Chinese and English, and a second import of the same file changes nothing."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from rencai.core import crypto
from rencai.core.models import AuditEntry
from rencai.registry import importers
from rencai.registry.models import Achievement, AchievementHolder, ImportBatch
from tests import factories

HEADER = ["成果类别", "名称", "编号", "日期", "金额", "级别", "持有人证件号", "单位统一社会信用代码"]


def id_number(talent) -> str:
    return crypto.decrypt(talent.id_number_ciphertext)


def xlsx(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(world, data, role="county_org_dept", **options) -> ImportBatch:
    return importers.import_file(
        actor=world.users[role], kind="achievements", filename="成果.xlsx", data=data, **options
    )


@pytest.fixture
def good_rows(world):
    a, a2 = id_number(world.talent_a), id_number(world.talent_a2)
    return [
        ["授权专利", "一种氟硅新材料", "ZL201910000001.X", "2021-05-20", "", "", f"{a}、{a2}", ""],
        [
            "成果转化",
            "专利许可",
            "HT-2022-7",
            dt.date(2022, 3, 1),
            "300000",
            "省级",
            a2,
            world.enterprise_a.credit_code,
        ],
        ["奖项", "江山市科技进步奖", "", "2020/12/01", "", "市级", f"{a};", ""],
    ]


def test_an_import_records_achievements_with_holders_and_a_row_report(world, good_rows):
    batch = run(world, xlsx(good_rows))

    assert batch.outcome == "applied" and batch.kind == "achievements"
    assert (batch.created_count, batch.rejected_count) == (3, 0)
    assert [row["status"] for row in batch.rows] == ["created"] * 3
    patent = Achievement.objects.get(reference="ZL201910000001.X")
    ranks = list(patent.holders.order_by("rank").values_list("talent_id", flat=True))
    assert ranks == [world.talent_a.pk, world.talent_a2.pk]
    transfer = Achievement.objects.get(kind="tech_transfer")
    assert transfer.amount == Decimal("300000.00") and transfer.enterprise == world.enterprise_a
    assert transfer.level == "provincial" and transfer.region == world.county_a
    award = Achievement.objects.get(kind="award")
    assert award.achieved_on == dt.date(2020, 12, 1) and award.reference == ""
    entry = AuditEntry.objects.get(action="registry.import.applied")
    assert entry.detail["kind"] == "achievements" and entry.detail["created"] == 3


def test_importing_the_same_file_again_changes_nothing_and_a_changed_row_updates(world, good_rows):
    run(world, xlsx(good_rows))
    stamps = dict(Achievement.objects.values_list("pk", "updated_at"))

    again = run(world, xlsx(good_rows))

    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    assert dict(Achievement.objects.values_list("pk", "updated_at")) == stamps
    assert AchievementHolder.objects.count() == 4

    good_rows[1][4] = "450000"  # the transfer's income corrected
    good_rows[0][6] = id_number(world.talent_a)  # the patent now held by talent_a alone
    changed = run(world, xlsx(good_rows))

    assert (changed.created_count, changed.updated_count, changed.unchanged_count) == (0, 2, 1)
    assert Achievement.objects.count() == 3
    assert Achievement.objects.get(kind="tech_transfer").amount == Decimal("450000.00")
    patent = Achievement.objects.get(reference="ZL201910000001.X")
    assert list(patent.holders.values_list("talent_id", flat=True)) == [world.talent_a.pk]


def test_bad_rows_are_refused_in_both_languages_and_nothing_is_written(world, good_rows):
    rows = [
        *good_rows,
        [
            "发明",
            "",
            "",
            "2021-13-01",
            "-5",
            "",
            id_number(world.talent_b),
            "",
        ],  # 4 bad cells, a foreign holder
        ["授权专利", "重复的专利", "ZL201910000001.X", "2021-05-20", "", "", id_number(world.talent_a), ""],
        ["申请专利", "无持有人", "CN1", "2021-05-20", "", "", "", ""],
    ]

    batch = run(world, xlsx(rows))

    assert batch.outcome == "rejected" and batch.rejected_count == 3
    assert not Achievement.objects.exists() and not AchievementHolder.objects.exists()
    assert [row["status"] for row in batch.rows[:3]] == ["valid"] * 3
    bad = {r["row"]: r["reasons"] for r in batch.rows if r["status"] == "rejected"}
    fields = {reason["field"] for reason in bad[5]}
    assert fields == {"kind", "title", "achieved_on", "amount", "holders"}
    for reason in bad[5]:
        assert reason["message_zh"] and reason["message_en"] and reason["message_zh"] != reason["message_en"]
    holder = next(r for r in bad[5] if r["field"] == "holders")
    assert "不在您的权限范围内" in holder["message_zh"] and "outside your scope" in holder["message_en"]
    assert id_number(world.talent_b) not in str(batch.rows)  # an ID number never goes into the report whole
    assert (
        bad[6][0]["message_zh"] == "与第 2 行的成果重复"
        and bad[6][0]["message_en"] == "Same achievement as row 2"
    )
    assert bad[7][0]["field"] == "holders"
    assert AuditEntry.objects.filter(action="registry.import.rejected").count() == 1


def test_accepting_a_partial_import_writes_only_the_valid_rows(world, good_rows):
    rows = [*good_rows, ["申请专利", "无持有人", "CN1", "2021-05-20", "", "", "", ""]]

    batch = run(world, xlsx(rows), accept_partial=True)

    assert batch.outcome == "partial" and (batch.created_count, batch.rejected_count) == (3, 1)
    assert Achievement.objects.count() == 3 and not Achievement.objects.filter(reference="CN1").exists()


def test_a_number_registered_outside_the_county_is_not_changed_by_its_import(world):
    factories.make_achievement(world.talent_b, reference="ZL-LONGYOU", title="龙游的专利")
    rows = [["授权专利", "江山的同号专利", "ZL-LONGYOU", "2021-05-20", "", "", id_number(world.talent_a), ""]]

    batch = run(world, xlsx(rows))

    assert batch.outcome == "rejected"
    [reason] = batch.rows[0]["reasons"]
    assert reason["field"] == "scope" and "权限范围以外" in reason["message_zh"]
    assert Achievement.objects.get(reference="ZL-LONGYOU").title == "龙游的专利"


def test_a_missing_required_column_refuses_the_file_in_both_languages(world):
    with pytest.raises(importers.ImportRefused) as refused:
        run(world, xlsx([["授权专利", "x"]], header=["成果类别", "名称"]))
    assert "持有人证件号" in refused.value.message_zh and "Holder" in refused.value.message_en


def test_the_upload_page_offers_the_achievement_template_and_imports_it(world, good_rows):
    client = Client()
    client.force_login(world.users["county_org_dept"])

    template = client.get(reverse("registry:import"), {"template": "achievements"})
    header = [cell.value for cell in next(load_workbook(io.BytesIO(template.content)).active.iter_rows())]
    upload = io.BytesIO(xlsx(good_rows))
    upload.name = "成果.xlsx"
    response = client.post(reverse("registry:import"), {"kind": "achievements", "file": upload})

    assert header[:7] == HEADER[:7]
    assert response.status_code == 302
    assert Achievement.objects.count() == 3
