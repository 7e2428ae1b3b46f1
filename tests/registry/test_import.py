"""Bulk import of talents and enterprises: rows validated, all or nothing, upsert, report, pages, command."""

import csv
import datetime as dt
import html
import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import include, path, reverse
from openpyxl import Workbook, load_workbook

from rencai import urls as project_urls
from rencai.core.models import AuditEntry
from rencai.core.pii import id_number_index
from rencai.registry import import_views, importers
from rencai.registry import urls as registry_urls
from rencai.registry.models import Enterprise, ImportBatch, Talent
from rencai.registry.services import ID_NUMBER_TAKEN
from tests import factories

# The project's URLs with the import pages bound to import_views (a no-op once registry/urls.py does it).
MINE = {"import": import_views.import_upload, "import_report": import_views.import_report}
_registry = [
    path(str(p.pattern), MINE[p.name], name=p.name) if p.name in MINE else p
    for p in registry_urls.urlpatterns
]
urlpatterns = [
    path("registry/", include((_registry, "registry"))),
    *(p for p in project_urls.urlpatterns if str(p.pattern) != "registry/"),
]
pytestmark = pytest.mark.urls(__name__)

HEADER = [
    "姓名",
    "身份证号",
    "手机号",
    "所在地区",
    "人才队伍",
    "人才类别",
    "学历",
    "工作单位统一社会信用代码",
    "到衢日期",
]


def talent_row(
    name, number, *, region="江山市", team="专业技术人才", tier="D", employer="", arrival="2020-05-01"
):
    return [name, number, "13900001111", region, team, tier, "硕士", employer, arrival]


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows, *, encoding="utf-8-sig", header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def new_ids(count, region="330881"):
    return [factories.make_id_number(region, dt.date(1990, 1, 1 + i)) for i in range(count)]


def reasons_of(batch, row_number) -> list[str]:
    entry = next(e for e in batch.rows if e["row"] == row_number)
    return [reason["message_zh"] for reason in entry["reasons"]]


def run(world, rows, *, role="city_org_dept", partial=False, data=None, filename="人才.xlsx", kind="talents"):
    return importers.import_file(
        actor=world.users[role],
        kind=kind,
        filename=filename,
        data=data if data is not None else xlsx_bytes(rows),
        accept_partial=partial,
    )


# --- good files ---------------------------------------------------------------------------------------------


def test_valid_xlsx_creates_talents_with_sealed_id_numbers_and_one_audit_entry(world):
    one, two = new_ids(2)
    audit_before = AuditEntry.objects.count()
    batch = run(
        world,
        [
            talent_row("王小明", one, employer=world.enterprise_a.credit_code),
            talent_row("李小红", two, region="330825", team="high_skill", tier="E"),
        ],
    )
    assert (batch.outcome, batch.total_rows, batch.created_count, batch.rejected_count) == (
        "applied",
        2,
        2,
        0,
    )
    first = Talent.objects.get(id_number_index=id_number_index(one))
    assert first.name == "王小明"
    assert first.region.code == "330881"
    assert first.current_employer == world.enterprise_a
    assert first.team == "professional" and first.tier == "D" and first.highest_degree == "master"
    assert first.birth_date == dt.date(int(one[6:10]), int(one[10:12]), int(one[12:14]))
    assert first.id_number_masked == one[:2] + "*" * 16
    assert one not in first.id_number_ciphertext
    assert first.phone_masked == "139****1111"
    second = Talent.objects.get(id_number_index=id_number_index(two))
    assert (second.region.code, second.team, second.tier) == ("330825", "high_skill", "E")
    entries = AuditEntry.objects.filter(seq__gt=audit_before)
    assert [e.action for e in entries] == ["registry.import.applied"]
    assert entries[0].detail["created"] == 2 and entries[0].detail["rows"] == 2
    assert [e["status"] for e in batch.rows] == ["created", "created"]


def test_utf8_csv_with_bom_is_imported(world):
    (number,) = new_ids(1)
    batch = run(world, None, data=csv_bytes([talent_row("张三", number)]), filename="talents.csv")
    assert batch.outcome == "applied" and batch.created_count == 1
    assert Talent.objects.filter(id_number_index=id_number_index(number), name="张三").exists()


def test_gbk_csv_saved_by_excel_is_imported(world):
    (number,) = new_ids(1)
    data = csv_bytes([talent_row("赵钱孙", number, region="江山市")], encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    batch = run(world, None, data=data, filename="人才.csv")
    assert batch.outcome == "applied"
    talent = Talent.objects.get(id_number_index=id_number_index(number))
    assert talent.name == "赵钱孙" and talent.team == "professional"


def test_english_headers_and_stored_values_are_accepted(world):
    (number,) = new_ids(1)
    header = ["name", "id_number", "region", "team", "tier", "arrival_date"]
    batch = run(
        world,
        None,
        data=xlsx_bytes([["Li Lei", number, "330881", "rural", "E", dt.date(2021, 1, 4)]], header),
    )
    assert batch.outcome == "applied"
    talent = Talent.objects.get(id_number_index=id_number_index(number))
    assert (talent.team, talent.arrival_date) == ("rural", dt.date(2021, 1, 4))


def test_enterprise_file_creates_and_updates_by_credit_code(world):
    code = factories.make_credit_code()
    header = ["统一社会信用代码", "企业名称", "所在地区", "行业", "规模", "高新技术企业"]
    rows = [
        [code, "衢州新材料有限公司", "柯城区", "化工新材料", "小型", "是"],
        [world.enterprise_a.credit_code, "江山天蓬测试集团", "江山市", "制造业", "大型", "否"],
    ]
    batch = run(world, None, kind="enterprises", data=xlsx_bytes(rows, header), filename="企业.xlsx")
    assert (batch.outcome, batch.created_count, batch.updated_count) == ("applied", 1, 1)
    created = Enterprise.objects.get(credit_code=code)
    assert (created.region.code, created.industry, created.size, created.is_high_tech) == (
        "330802",
        "chemicals",
        "small",
        True,
    )
    world.enterprise_a.refresh_from_db()
    assert world.enterprise_a.size == "large"


# --- bad rows -----------------------------------------------------------------------------------------------


def test_bad_rows_are_each_reported_in_chinese_and_nothing_is_written(world):
    good, bad_checksum, duplicate, nameless = new_ids(4)
    bad_checksum = bad_checksum[:17] + ("0" if bad_checksum[17] != "0" else "1")
    talents_before, enterprises_before = Talent.objects.count(), Enterprise.objects.count()
    batch = run(
        world,
        [
            talent_row("合格行", good),  # row 2
            talent_row("校验错", bad_checksum),  # row 3
            talent_row("队伍错", new_ids(1)[0], team="科学家队伍"),  # row 4
            talent_row("越权行", new_ids(1, "330825")[0], region="龙游县"),  # row 5: Longyou, not Jiangshan
            talent_row("重复甲", duplicate),  # row 6
            talent_row("重复乙", duplicate),  # row 7
            talent_row("", nameless),  # row 8
            talent_row(
                "单位错", new_ids(1)[0], employer=world.enterprise_b.credit_code
            ),  # row 9: not visible
        ],
        role="county_org_dept",
    )
    assert batch.outcome == "rejected"
    assert (batch.total_rows, batch.rejected_count, batch.created_count) == (8, 6, 0)
    assert Talent.objects.count() == talents_before and Enterprise.objects.count() == enterprises_before
    assert "身份证号校验位不正确" in reasons_of(batch, 3)
    assert reasons_of(batch, 4) == [
        "人才队伍“科学家队伍”无法识别，应为：党政人才、企业经营管理人才、专业技术人才、高技能人才、"
        "农村实用人才、社会工作人才"
    ]
    assert reasons_of(batch, 5) == ["区划代码 330825 不在本系统或不在您的权限范围内"]
    assert reasons_of(batch, 7) == ["与第 6 行的证件号码重复"]
    assert "姓名不能为空" in reasons_of(batch, 8)
    assert reasons_of(batch, 9) == [f"工作单位 {world.enterprise_b.credit_code} 未登记"]
    statuses = {e["row"]: e["status"] for e in batch.rows}
    assert statuses[2] == "valid" and statuses[6] == "valid" and statuses[3] == "rejected"
    assert {e["row"] for e in batch.errors} == {3, 4, 5, 7, 8, 9}
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "registry.import.rejected" and entry.detail["rejected"] == 6


def test_partial_import_writes_valid_rows_and_lists_rejected_ones(world):
    good_one, good_two = new_ids(2)
    batch = run(
        world,
        [talent_row("甲", good_one), talent_row("乙", "330881199003070021"), talent_row("丙", good_two)],
        partial=True,
    )
    assert (batch.outcome, batch.created_count, batch.rejected_count) == ("partial", 2, 1)
    assert (
        Talent.objects.filter(
            id_number_index__in=[id_number_index(good_one), id_number_index(good_two)]
        ).count()
        == 2
    )
    assert not Talent.objects.filter(name="乙").exists()
    assert reasons_of(batch, 3) == ["身份证号校验位不正确"]


def test_county_officer_cannot_overwrite_a_talent_of_another_county(world):
    other = world.talent_b
    number = importers.crypto.decrypt(other.id_number_ciphertext)
    batch = run(world, [talent_row("冒名", number)], role="county_org_dept", partial=True)
    assert batch.rejected_count == 1 and batch.updated_count == 0
    assert reasons_of(batch, 2) == [ID_NUMBER_TAKEN[0]]  # the form's and the API's words
    other.refresh_from_db()
    assert other.name == "龙游丙"


def test_unparseable_date_and_yes_no_values_are_reasons_too(world):
    (number,) = new_ids(1)
    header = [*HEADER, "科研人员在职/离岗创业"]
    row = [*talent_row("日期错", number, arrival="去年春天"), "也许"]
    batch = run(world, None, data=xlsx_bytes([row], header))
    # one reason per bad cell, naming the column as the file does, the value and what is expected
    assert reasons_of(batch, 2) == [
        "到衢日期“去年春天”无法识别，应为日期，如 2019-03-01",
        "科研人员在职/离岗创业“也许”无法识别，应填“是”或“否”",
    ]


def test_an_id_number_typed_as_a_number_gets_a_hint_to_use_text(world):
    batch = run(world, [talent_row("数字", 330881199003070020)])
    assert "身份证号被Excel存成了数字，末几位可能已丢失；请把该列设为文本格式后重新填写" in reasons_of(
        batch, 2
    )


# --- idempotency and updates --------------------------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(world):
    numbers = new_ids(3)
    data = xlsx_bytes(
        [talent_row(f"人{i}", n, employer=world.enterprise_a.credit_code) for i, n in enumerate(numbers)]
    )
    first = run(world, None, data=data)
    assert first.created_count == 3
    stamps = dict(Talent.objects.filter(name__startswith="人").values_list("pk", "updated_at"))
    ciphertexts = dict(Talent.objects.filter(name__startswith="人").values_list("pk", "id_number_ciphertext"))
    again = run(world, None, data=data)
    assert (again.outcome, again.created_count, again.updated_count, again.unchanged_count) == (
        "applied",
        0,
        0,
        3,
    )
    assert again.file_sha256 == first.file_sha256
    assert dict(Talent.objects.filter(name__startswith="人").values_list("pk", "updated_at")) == stamps
    assert (
        dict(Talent.objects.filter(name__startswith="人").values_list("pk", "id_number_ciphertext"))
        == ciphertexts
    )
    assert importers.earlier_batch_of_same_file(world.users["city_org_dept"], again) == first


def test_a_changed_value_updates_only_that_row(world):
    one, two = new_ids(2)
    run(world, [talent_row("甲", one), talent_row("乙", two)])
    untouched = Talent.objects.get(id_number_index=id_number_index(one))
    batch = run(world, [talent_row("甲", one), talent_row("乙", two, tier="C", team="高技能人才")])
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (0, 1, 1)
    changed = Talent.objects.get(id_number_index=id_number_index(two))
    assert (changed.tier, changed.team) == ("C", "high_skill")
    assert Talent.objects.get(pk=untouched.pk).updated_at == untouched.updated_at
    assert [e["status"] for e in batch.rows] == ["unchanged", "updated"]


def test_a_changed_phone_is_an_update_and_a_blank_phone_keeps_the_stored_one(world):
    (number,) = new_ids(1)
    run(world, [talent_row("甲", number)])
    row = talent_row("甲", number)
    row[2] = "13700002222"
    assert run(world, [row]).updated_count == 1
    assert Talent.objects.get(id_number_index=id_number_index(number)).phone_masked == "137****2222"
    row[2] = ""
    assert run(world, [row]).unchanged_count == 1
    assert Talent.objects.get(id_number_index=id_number_index(number)).phone_masked == "137****2222"


# --- refusals -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["department", "enterprise", "talent"])
def test_roles_without_the_import_right_are_refused(world, role):
    with pytest.raises(importers.PermissionDenied):
        run(world, [talent_row("甲", new_ids(1)[0])], role=role)
    assert not ImportBatch.objects.exists()


def test_wrong_file_type_missing_columns_and_oversized_files_are_refused_in_chinese(world):
    with pytest.raises(importers.ImportRefused, match="Unsupported file type"):
        run(world, None, data=b"%PDF-1.4", filename="名单.pdf")
    with pytest.raises(importers.ImportRefused) as refused:
        run(world, None, data=xlsx_bytes([["甲"]], ["姓名"]))
    assert refused.value.message_zh.startswith("缺少必填列：证件号码、所在区划、人才队伍、来衢日期")
    with pytest.raises(importers.ImportRefused) as too_big:
        importers.check_upload("big.xlsx", importers.MAX_IMPORT_BYTES + 1)
    assert "单个文件不能超过 30 MB" in too_big.value.message_zh
    with pytest.raises(importers.ImportRefused) as garbage:
        run(world, None, data=b"not a zip file at all")
    assert garbage.value.message_zh == "无法读取该Excel文件，请确认是有效的 .xlsx 文件"
    assert not ImportBatch.objects.exists()


# --- pages --------------------------------------------------------------------------------------------------


def login(client, world, role):
    client.force_login(world.users[role])
    return client


def test_upload_page_imports_and_redirects_to_a_report_with_chinese_reasons(client, world):
    login(client, world, "county_org_dept")
    good, bad = new_ids(2)
    upload = io.BytesIO(xlsx_bytes([talent_row("甲", good), talent_row("乙", bad[:17] + "Y")]))
    upload.name = "人才名单.xlsx"
    response = client.post(reverse("registry:import"), {"kind": "talents", "file": upload})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "registry:import_report", args=[batch.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert "整个文件未导入，未写入任何数据" in page
    assert "身份证号须为18位，末位可为X" in page
    assert not Talent.objects.filter(id_number_index=id_number_index(good)).exists()


def test_report_shows_english_reasons_to_an_english_user(client, world):
    login(client, world, "county_org_dept")
    batch = run(world, [talent_row("甲", new_ids(1)[0], team="宇航员")], role="county_org_dept")
    client.cookies["django_language"] = "en"
    page = client.get(
        reverse("registry:import_report", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert 'Team (人才队伍): cannot read "宇航员"; use one of: Party and government, ' in html.unescape(page)


@pytest.mark.parametrize(
    ("bad_rows", "partial", "english"),
    [
        (1, False, "1 row is wrong, so the file was not imported and nothing was written."),
        (2, False, "2 rows are wrong, so the file was not imported and nothing was written."),
        (1, True, "The valid rows were imported; 1 wrong row was not."),
        (2, True, "The valid rows were imported; 2 wrong rows were not."),
    ],
)
def test_the_english_report_counts_wrong_rows_in_the_singular_and_plural(
    client, world, bad_rows, partial, english
):
    rows = [talent_row("甲", new_ids(1)[0]), *[talent_row(f"错{n}", "123") for n in range(bad_rows)]]
    batch = run(
        world, rows, role="county_org_dept", partial=partial, data=xlsx_bytes(rows, [*HEADER, "未知列"])
    )
    login(client, world, "county_org_dept")
    client.cookies["django_language"] = "en"

    page = html.unescape(client.get(reverse("registry:import_report", args=[batch.pk])).content.decode())

    assert english in page
    assert f"<h1>Import report: {batch.file_name}</h1>" in page  # an ASCII colon, inside the translation
    assert "Columns not recognised (ignored): 未知列" in page
    assert "：" not in re.sub(r"<[^>]*>", "", page.split("<main")[1]).replace("未知列", "")


def test_upload_form_refuses_a_wrong_file_type_with_a_clear_message(client, world):
    login(client, world, "city_org_dept")
    upload = io.BytesIO(b"a,b")
    upload.name = "名单.txt"
    response = client.post(reverse("registry:import"), {"kind": "talents", "file": upload})
    assert response.status_code == 200
    assert "只能上传 .xlsx 或 .csv 文件" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_template_download_has_the_chinese_header_and_imports_cleanly_once_filled(client, world):
    login(client, world, "city_org_dept")
    response = client.get(reverse("registry:import") + "?template=talents")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    header = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert header[:4] == ["姓名", "证件类型", "证件号码", "手机号码"] and "来衢日期" in header
    # no example row where data goes: below the header only formatted, empty cells
    assert all(cell.value is None for row in sheet.iter_rows(min_row=2) for cell in row)
    notes = list(book["填写说明"].iter_rows(values_only=True))
    assert notes[0] == ("列名", "是否必填", "可填写的值", "示例", "英文列名")
    examples = {row[0]: row[3] for row in notes[1:] if row[0] in header}
    assert list(examples) == header and examples["姓名"] == "张三"
    # the example, copied as it is, is still recognised and skipped; with a real person's name and number
    # every other example value imports as it stands
    copied = run(world, None, data=xlsx_bytes([[examples[name] for name in header]], header))
    assert (copied.created_count, [e["status"] for e in copied.rows]) == (0, ["skipped"])
    filled = {**examples, "姓名": "周涛", "证件号码": new_ids(1)[0]}
    batch = run(world, None, data=xlsx_bytes([[filled[name] for name in header]], header))
    assert batch.outcome == "applied" and batch.created_count == 1


def test_the_template_as_downloaded_imports_nothing(client, world):
    login(client, world, "city_org_dept")
    template = client.get(reverse("registry:import") + "?template=talents").content
    with pytest.raises(importers.ImportRefused) as refused:
        run(world, None, data=template)
    assert refused.value.message_zh == "文件中只有列名，没有数据行"
    assert not Talent.objects.filter(name="张三").exists()


def test_an_old_templates_example_row_is_skipped_with_a_note_and_never_imported(world):
    (number,) = new_ids(1)
    old_header = ["姓名", "证件类型", "身份证号", "手机号", "所在地区", "人才队伍", "到衢日期"]
    example = [
        "张三",
        "居民身份证",
        "330881199003070020",
        "13800001234",
        "江山市",
        "专业技术人才",
        "2019-03-01",
    ]
    real = ["周涛", "居民身份证", number, "13900001111", "江山市", "专业技术人才", "2020-05-01"]

    batch = run(world, None, data=xlsx_bytes([example, real], old_header))

    assert (batch.outcome, batch.total_rows, batch.created_count, batch.rejected_count) == (
        "applied",
        1,
        1,
        0,
    )
    assert not Talent.objects.filter(id_number_index=id_number_index("330881199003070020")).exists()
    assert Talent.objects.filter(id_number_index=id_number_index(number), name="周涛").exists()
    assert [e["status"] for e in batch.rows] == ["skipped", "created"]
    assert reasons_of(batch, 2) == ["这是导入模板的示例行，已跳过，未导入"]


def test_one_bad_date_gives_exactly_one_reason_naming_row_column_value_and_format(world):
    (number,) = new_ids(1)
    header = ["姓名", "证件号码", "所在区划", "人才队伍", "来衢日期"]

    batch = run(
        world, None, data=xlsx_bytes([["周涛", number, "江山市", "专业技术人才", "2019-13-45"]], header)
    )

    assert batch.outcome == "rejected"
    assert batch.errors == [
        {
            "row": 2,
            "field": "arrival_date",
            "message_zh": "来衢日期“2019-13-45”无法识别，应为日期，如 2019-03-01",
            "message_en": 'Arrival in Quzhou (来衢日期): cannot read "2019-13-45"; '
            "use a date such as 2019-03-01",
        }
    ]


def test_a_blank_required_cell_gives_one_reason_saying_what_it_expects(world):
    (number,) = new_ids(1)
    header = ["姓名", "证件号码", "所在区划", "人才队伍", "来衢日期"]

    batch = run(world, None, data=xlsx_bytes([["周涛", number, "", "专业技术人才", "2019-03-01"]], header))

    assert reasons_of(batch, 2) == ["所在区划不能为空，应为区划名称（如 江山市）或6位区划代码"]


@pytest.mark.parametrize("phone", ["1234567", "8123456", "12800001111", "1380000123"])
def test_a_phone_that_is_neither_a_mobile_nor_a_landline_with_area_code_is_refused(world, phone):
    (number,) = new_ids(1)
    row = talent_row("周涛", number)
    row[2] = phone

    batch = run(world, [row])

    assert batch.outcome == "rejected" and not Talent.objects.filter(name="周涛").exists()
    assert reasons_of(batch, 2) == [
        "手机号格式不正确，应为11位手机号（如 13800001234）或带区号的固定电话（如 0570-1234567）"
    ]


@pytest.mark.parametrize(
    "phone, masked",
    [("0570-1234567", "057****4567"), ("+86 139 0000 2222", "139****2222"), ("010-12345678", "010****5678")],
)
def test_a_landline_with_its_area_code_and_a_spaced_mobile_are_accepted(world, phone, masked):
    (number,) = new_ids(1)
    row = talent_row("周涛", number)
    row[2] = phone

    batch = run(world, [row])

    assert batch.outcome == "applied"
    assert Talent.objects.get(id_number_index=id_number_index(number)).phone_masked == masked


def test_a_batch_is_seen_in_its_uploaders_scope_only_and_other_roles_are_refused(client, world):
    batch = run(world, [talent_row("甲", new_ids(1)[0])], role="county_org_dept")  # Jiangshan
    assert importers.get_import_batch(world.users["city_org_dept"], batch.pk) == batch
    longyou = factories.make_user("longyou-officer", "county_org_dept", region=world.county_b)
    client.force_login(longyou)
    assert client.get(reverse("registry:import_report", args=[batch.pk])).status_code == 404
    login(client, world, "county_org_dept")
    assert "甲" in client.get(reverse("registry:import_report", args=[batch.pk])).content.decode()
    login(client, world, "department")
    assert client.get(reverse("registry:import")).status_code == 403
    assert client.get(reverse("registry:import_report", args=[batch.pk])).status_code == 404


def test_rejected_rows_download_lists_each_reason(client, world):
    login(client, world, "city_org_dept")
    batch = run(world, [talent_row("", "123")])
    response = client.get(reverse("registry:import_report", args=[batch.pk]) + "?format=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("行号", "记录", "字段", "原因")
    assert (2, "name", "姓名不能为空") in [(r[0], r[2], r[3]) for r in rows[1:]]


# --- command ------------------------------------------------------------------------------------------------


def test_import_registry_command_prints_the_summary(world, tmp_path):
    (number,) = new_ids(1)
    file = tmp_path / "talents.xlsx"
    file.write_bytes(xlsx_bytes([talent_row("命令行", number)]))
    out = io.StringIO()
    call_command("import_registry", str(file), "--kind", "talents", "--as", "city", stdout=out)
    assert "新增 created 1" in out.getvalue()
    file.write_bytes(xlsx_bytes([talent_row("命令行", "123")]))
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_registry", str(file), "--as", "city", stdout=io.StringIO())


def test_overlong_and_nul_names_are_refused_and_nothing_is_written(world):
    long_id, nul_id = new_ids(2)
    before = Talent.objects.count()
    rows = [talent_row("长" * 101, long_id), talent_row("王\x00小明", nul_id)]
    batch = run(world, None, data=csv_bytes(rows), filename="人才.csv")
    assert batch.outcome == "rejected" and batch.created_count == 0
    assert "姓名过长（最多100个字符）" in reasons_of(batch, 2)
    assert "含有不可见的空字符（NUL），请删除" in reasons_of(batch, 3)
    # the report (jsonb on PostgreSQL, which refuses \u0000) shows where the NUL was
    batch.refresh_from_db()
    assert next(entry for entry in batch.rows if entry["row"] == 3)["label"].startswith("王␀小明")
    assert Talent.objects.count() == before


def test_overlong_enterprise_name_is_refused_on_import(world):
    header = ["统一社会信用代码", "企业名称", "所在地区", "行业", "规模", "高新技术企业"]
    rows = [[factories.make_credit_code(), "企" * 201, "柯城区", "制造业", "小型", "否"]]
    before = Enterprise.objects.count()
    batch = run(world, None, kind="enterprises", data=xlsx_bytes(rows, header), filename="企业.xlsx")
    assert batch.outcome == "rejected"
    assert "企业名称过长（最多200个字符）" in reasons_of(batch, 2)
    assert Enterprise.objects.count() == before
