"""Bounded reading of uploads: hostile .xlsx and .csv files are refused clearly; only a child process suffers.

The hostile workbooks are written here by hand with zipfile (a real spreadsheet program would not produce
them): cells at A1 and XFD1048576, a cell at Z1000000, a zip bomb, a zip that understates a member's size,
files past the row and column limits, and one that gets past every check and still exhausts the reader's
memory. Each is refused with a message in Chinese and English, nothing is written, and this process never
grows: the grid python-calamine would have allocated (512 GB for A1:XFD1048576) is never built here.
"""

import csv
import datetime as dt
import io
import os
import resource
import threading
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from rencai.core.errors import DomainError
from rencai.registry import importers
from rencai.registry.importers import reading
from rencai.registry.models import ImportBatch, Talent
from tests import factories

HEADER = ["姓名", "身份证号", "手机号", "所在地区", "人才队伍", "人才类别", "学历", "到衢日期"]
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'<?xml version="1.0"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def sheet_xml(rows: str, *, dimension: str = "") -> str:
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    body = f"{declared}<sheetData>{rows}</sheetData>"
    return f'<?xml version="1.0"?><worksheet xmlns="{MAIN_NS}">{body}</worksheet>'


def cell(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> str:
    return (
        '<row r="1">' + "".join(cell(f"{chr(65 + i)}1", label) for i, label in enumerate(HEADER)) + "</row>"
    )


def workbook(sheet: str, *, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal .xlsx around one sheet's XML, written by hand."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PACKAGE_PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def peak_rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def refused(world, data: bytes, filename: str = "名单.xlsx") -> importers.ImportRefused:
    """Import as the city officer: refused, nothing written, and this process no bigger than before."""
    talents, peak = Talent.objects.count(), peak_rss_mb()
    with pytest.raises(importers.ImportRefused) as refusal:
        importers.import_file(
            actor=world.users["city_org_dept"], kind="talents", filename=filename, data=data
        )
    assert not ImportBatch.objects.exists()
    assert Talent.objects.count() == talents
    assert peak_rss_mb() - peak < 200  # the reading happened elsewhere
    return refusal.value


def new_rows(count: int) -> list[list]:
    numbers = [factories.make_id_number("330881") for _ in range(count)]
    return [
        [f"人才{i}", n, "13900001111", "江山市", "专业技术人才", "D", "硕士", "2020-05-01"]
        for i, n in enumerate(numbers)
    ]


def openpyxl_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- declared and real extent ----------------------------------------------------------------------------


def test_a_workbook_declaring_a1_to_xfd1048576_is_refused_before_reading(world):
    far = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    data = workbook(sheet_xml(header_row() + far, dimension="A1:XFD1048576"))
    assert len(data) < 2048  # the 1.5 KB file of the issue

    refusal = refused(world, data)

    assert "声明的表格范围（A1:XFD1048576）超出上限：单个文件最多 50,000 行数据、100 列" in refusal.message_zh
    assert "beyond the limits of 50,000 rows of data and 100 columns" in refusal.message_en


def test_cells_at_a1_and_xfd1048576_are_found_without_a_declared_dimension(world):
    far = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    refusal = refused(world, workbook(sheet_xml(header_row() + far)))
    assert "单个文件最多 50,000 行数据，该文件的数据延伸到第 1,048,576 行" in refusal.message_zh
    assert "at most 50,000 rows of data" in refusal.message_en


def test_a_declared_dimension_beyond_the_limits_is_refused_even_if_the_cells_are_few(world):
    refusal = refused(world, workbook(sheet_xml(header_row(), dimension="A1:XFD2")))
    assert "（A1:XFD2）超出上限" in refusal.message_zh


@pytest.mark.parametrize(
    "rows",
    [
        header_row() + '<row r="1000000"><c r="Z1000000"><v>1</v></c></row>',
        # the cell names a far row while sitting in the header's row: its own reference counts
        header_row()[: -len("</row>")] + '<c r="Z1000000"><v>1</v></c></row>',
    ],
    ids=["own-row", "inside-row-1"],
)
def test_a_single_cell_at_z1000000_is_refused(world, rows):
    refusal = refused(world, workbook(sheet_xml(rows, dimension="A1:H1")))
    assert "1,000,000" in refusal.message_zh


def test_cells_without_references_are_placed_as_calamine_places_them(world):
    wide = "<row>" + "<c><v>1</v></c>" * 120 + "</row>"
    refusal = refused(world, workbook(sheet_xml(header_row() + wide)))
    assert "单个文件最多 100 列" in refusal.message_zh and "第 CW 列" in refusal.message_zh


def test_a_sheet_with_prefixed_elements_is_scanned_exactly_too(world):
    rows = '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c><x:c r="B999999"><x:v>1</x:v></x:c></x:row>'
    body = f"<x:sheetData>{rows}</x:sheetData>"
    sheet = f'<?xml version="1.0"?><x:worksheet xmlns:x="{MAIN_NS}">{body}</x:worksheet>'
    assert "999,999" in refused(world, workbook(sheet)).message_zh


@pytest.mark.parametrize("cells", ['<c r="A2"><v>1</v></c>', "<c><v>1</v></c>"], ids=["quick", "exact"])
def test_a_sheet_with_a_doctype_is_not_read(world, cells):
    laughs = '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    sheet = sheet_xml(header_row() + f"<row>{cells}</row>").replace("<worksheet", laughs + "<worksheet", 1)
    assert refused(world, workbook(sheet)).message_zh == "无法读取该Excel文件，请确认是有效的 .xlsx 文件"


def test_empty_formatted_cells_below_the_data_do_not_count_as_rows(world):
    (row,) = new_rows(1)
    cells = "".join(cell(f"{chr(65 + i)}2", value) for i, value in enumerate(row))
    blanks = "".join(f'<row r="{r}"><c r="B{r}" s="1" /></row>' for r in (60_000, 1_048_576))
    data = workbook(sheet_xml(header_row() + f'<row r="2">{cells}</row>' + blanks))

    batch = importers.import_file(
        actor=world.users["city_org_dept"], kind="talents", filename="名单.xlsx", data=data
    )

    assert (batch.outcome, batch.created_count) == ("applied", 1)


def test_a_range_declared_over_formatted_blanks_is_refused_with_a_hint(world):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(new_rows(1)[0])
    sheet.cell(row=60_000, column=2).number_format = "@"  # Excel and openpyxl count it in <dimension>
    buffer = io.BytesIO()
    book.save(buffer)

    refusal = refused(world, buffer.getvalue())

    assert "（A1:H60000）超出上限" in refusal.message_zh and "请删除这些行或列后再导入" in refusal.message_zh


# --- zip bombs and lying zips ----------------------------------------------------------------------------


def test_a_zip_bomb_is_refused_before_it_inflates(world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PACKAGE_PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml(header_row()))
        with archive.open("xl/sharedStrings.xml", "w") as strings:  # 300 MB of blanks in about 300 KB
            for _ in range(300):
                strings.write(b" " * (1024 * 1024))
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024

    refusal = refused(world, data)

    assert "解压后超过 256 MB 或压缩比异常" in refusal.message_zh and "zip bomb" in refusal.message_en


def test_a_member_compressed_implausibly_well_is_refused(world):
    refusal = refused(world, workbook(sheet_xml(header_row()), extra={"xl/styles.xml": b"\0" * 8_000_000}))
    assert "压缩比异常" in refusal.message_zh


def test_a_zip_that_understates_a_members_size_is_refused(world):
    data = bytearray(workbook(sheet_xml(header_row() + '<row r="2"><c r="A2"><v>1</v></c></row>')))
    name = b"xl/worksheets/sheet1.xml"
    entry = data.index(b"PK\x01\x02")  # the central directory's first entry
    while data[entry + 46 : entry + 46 + len(name)] != name:
        entry = data.index(b"PK\x01\x02", entry + 4)
    data[entry + 24 : entry + 28] = (100).to_bytes(4, "little")  # the central directory's inflated size

    assert refused(world, bytes(data)).message_zh == "无法读取该Excel文件，请确认是有效的 .xlsx 文件"


# --- row and column limits -------------------------------------------------------------------------------


def test_an_xlsx_over_the_row_limit_is_refused(world):
    rows = "".join(f'<row r="{r}">{cell(f"A{r}", "x")}</row>' for r in range(2, 50_013))
    refusal = refused(world, workbook(sheet_xml(header_row() + rows)))
    assert "单个文件最多 50,000 行数据" in refusal.message_zh and "第 50,012 行" in refusal.message_zh


def test_a_csv_over_the_row_limit_is_refused_and_read_no_further(world):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows([["甲", "1"]] * 60_000)

    refusal = refused(world, buffer.getvalue().encode("utf-8-sig"), filename="名单.csv")

    # the reader stopped at the first row past the limit (50,000 rows of data + 10 above them)
    assert "第 50,011 行" in refusal.message_zh and "50,000" in refusal.message_en


def test_a_csv_over_the_column_limit_is_refused(world):
    data = (",".join(HEADER + [f"列{i}" for i in range(200)]) + "\n").encode()
    assert "单个文件最多 100 列" in refused(world, data, filename="名单.csv").message_zh


def test_data_rows_over_the_limit_are_refused_by_the_planner_too(world, monkeypatch):
    monkeypatch.setattr("rencai.registry.importers.columns.MAX_IMPORT_ROWS", 3)
    refusal = refused(world, openpyxl_bytes(new_rows(4)))
    assert refusal.message_zh == "单个文件最多 3 行数据，请拆分后分批导入"


# --- the reader process dies, the server does not --------------------------------------------------------


def test_a_file_that_passes_the_checks_but_exhausts_memory_kills_only_the_reader(world):
    # One 4 MB shared string in 300 cells: tiny on disk, 1.2 GB once python-calamine copies it per cell.
    text = os.urandom(2 * 1024 * 1024).hex()
    strings = f'<sst xmlns="{MAIN_NS}" count="1" uniqueCount="1"><si><t>{text}</t></si></sst>'
    cells = "".join(
        f'<row r="{r}">'
        + "".join(f'<c r="{chr(65 + c)}{r}" t="s"><v>0</v></c>' for c in range(20))
        + "</row>"
        for r in range(2, 17)
    )
    data = workbook(sheet_xml(header_row() + cells), extra={"xl/sharedStrings.xml": strings.encode()})

    refusal = refused(world, data)

    assert refusal.message_zh.startswith("文件过大或格式异常，无法读取")
    assert refusal.message_en.startswith("The file is too large or malformed and cannot be read")


def test_a_reader_that_runs_past_its_time_is_stopped(world, monkeypatch):
    monkeypatch.setattr(reading, "READER_WALL_SECONDS", 0.001)
    refusal = refused(world, openpyxl_bytes(new_rows(1)))
    assert refusal.message_zh.startswith("文件过大或格式异常，无法读取")


def test_a_web_worker_runs_a_bounded_number_of_readers_at_once(monkeypatch):
    monkeypatch.setattr(reading, "_readers", threading.BoundedSemaphore(1))
    monkeypatch.setattr(reading, "READER_WALL_SECONDS", 0.01)
    reading._readers.acquire()  # another upload is being read
    with pytest.raises(DomainError) as busy:
        reading.read_rows("csv", b"a,b\n")
    assert busy.value.code == "unavailable" and busy.value.message_zh == "同时导入的文件较多，请稍后再试"
    reading._readers.release()  # it finished
    monkeypatch.setattr(reading, "READER_WALL_SECONDS", 60)
    assert reading.read_rows("csv", b"a,b\n") == [["a", "b"]]


def test_the_reader_gets_nothing_of_the_servers_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://secret@db/rencai")
    seen = {}

    def run(command, **options):
        seen.update(options["env"])
        raise FileNotFoundError(command[0])

    monkeypatch.setattr(reading.subprocess, "run", run)
    with pytest.raises(DomainError) as unavailable:
        reading.read_rows("csv", b"a,b\n")
    assert unavailable.value.code == "unavailable"
    assert "DATABASE_URL" not in seen and set(seen) <= {"PATH", "LC_ALL"}


# --- normal files still import ---------------------------------------------------------------------------


def test_a_normal_xlsx_and_csv_import_through_the_service(world):
    batch = importers.import_file(
        actor=world.users["city_org_dept"],
        kind="talents",
        filename="名单.xlsx",
        data=openpyxl_bytes(new_rows(3)),
    )
    assert (batch.outcome, batch.created_count) == ("applied", 3)
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *new_rows(2)])
    batch = importers.import_file(
        actor=world.users["city_org_dept"],
        kind="talents",
        filename="名单.csv",
        data=buffer.getvalue().encode(),
    )
    assert (batch.outcome, batch.created_count) == ("applied", 2)


def test_rows_come_back_from_the_reader_with_their_types():
    book = Workbook()
    book.active.append(["text", 7, 2.5, True, dt.date(2020, 5, 1), dt.datetime(2020, 5, 1, 8, 30)])
    buffer = io.BytesIO()
    book.save(buffer)
    (row,) = reading.read_rows("xlsx", buffer.getvalue())
    assert row[:4] == ["text", 7, 2.5, True]
    assert row[4] in (dt.date(2020, 5, 1), dt.datetime(2020, 5, 1))
    assert row[5] == dt.datetime(2020, 5, 1, 8, 30)


def upload(client, data: bytes, name: str):
    file = io.BytesIO(data)
    file.name = name
    return client.post(reverse("registry:import"), {"kind": "talents", "file": file})


def test_a_normal_import_works_through_the_view(client, world):
    client.force_login(world.users["city_org_dept"])
    response = upload(client, openpyxl_bytes(new_rows(2)), "名单.xlsx")
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "registry:import_report", args=[batch.pk]
    )
    assert batch.created_count == 2


def test_a_hostile_upload_is_refused_on_the_page_with_the_clear_message(client, world):
    client.force_login(world.users["city_org_dept"])
    far = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    response = upload(client, workbook(sheet_xml(header_row() + far, dimension="A1:XFD1048576")), "名单.xlsx")
    assert response.status_code == 200
    assert "单个文件最多 50,000 行数据" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_an_upload_declared_over_the_byte_limit_gets_413_before_it_is_read(client, world):
    client.force_login(world.users["city_org_dept"])
    response = upload(client, b"0" * (importers.MAX_IMPORT_BYTES + 100_000), "名单.csv")
    assert response.status_code == 413
    assert "单个文件不能超过 30 MB" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_an_upload_over_the_byte_limit_is_stopped_as_it_streams_in(client, world):
    client.force_login(world.users["city_org_dept"])
    response = upload(client, b"0" * (importers.MAX_IMPORT_BYTES + 1), "名单.csv")  # envelope under 64 KB
    assert response.status_code == 413
    assert "单个文件不能超过 30 MB" in response.content.decode()


def test_the_upload_page_still_requires_a_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["city_org_dept"])
    assert upload(client, openpyxl_bytes(new_rows(1)), "名单.xlsx").status_code == 403
    assert not ImportBatch.objects.exists()
