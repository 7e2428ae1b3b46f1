"""The reader of an uploaded import file, run as a child process: the file inspected, then read within limits.

`reading.read_rows` runs this file as a script (`python -I reader_process.py <xlsx|csv> <limits as JSON>`,
the file's bytes on stdin) and reads one JSON object from its stdout: `{"rows": [...]}` or
`{"refused": [zh, en]}`. Whatever a hostile file does to the reader here (python-calamine allocating a
dense grid of every cell between A1 and the last one, a zip bomb inflating, a CPU-bound parse) it does to
this process, held by the memory, CPU and output limits it sets on itself before it reads a byte; the web
worker only sees it die and tells the user the file cannot be read.

Before python-calamine sees an .xlsx, the zip is walked member by member and inflated here with zlib, so
the sizes checked are the real ones, not the ones the zip declares: the total inflated size and each
member's compression ratio. In the first worksheet (found as calamine finds it) the declared `<dimension>`
and the row and column of every cell that holds a value are checked as the bytes inflate: by regular
expressions when every cell carries its `r="B7"` (as Excel, WPS and openpyxl write them), otherwise by
expat placing each cell as calamine would, so a sheet without `<dimension>` or references cannot lie.

It imports nothing from Django or the rest of rencai (the parent imports `Limits` and `untagged` from it),
so the child starts in tens of milliseconds.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import resource
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from xml.parsers.expat import ExpatError, ParserCreate

CHUNK = 64 * 1024
RATIO_GRACE = 1024 * 1024  # members that inflate to less than this are not held to the ratio
MAX_MEMBERS = 1_000  # a workbook of data has about ten
MAX_SMALL_PART = 16 * 1024 * 1024  # xl/workbook.xml and its relationships, read whole
LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile's structFileHeader
LOCAL_SIGNATURE = b"PK\x03\x04"
CELL_REF = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")
XLSX_MAIN_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")
OTHER_FORMAT_PARTS = ("xl/workbook.bin", "content.xml")  # xlsb and ods, which calamine would also read


@dataclass(frozen=True)
class Limits:
    """What one import file may hold; sent by the parent, so the numbers live in one place (`reading`)."""

    data_rows: int  # rows of data, as told to the user
    rows_above_data: int  # the header and a title or blank rows above it
    columns: int
    unpacked_bytes: int  # all members of an .xlsx, inflated
    ratio: int  # inflated size / compressed size of one member
    output_bytes: int  # the rows as JSON, handed to the parent
    memory_bytes: int
    cpu_seconds: int

    @property
    def sheet_rows(self) -> int:
        return self.data_rows + self.rows_above_data

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Limits:
        return cls(**json.loads(text))


class Refused(Exception):
    """The file breaks a rule the user can act on; the message in Chinese and English."""

    def __init__(self, message_zh: str, message_en: str):
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en


def unreadable_xlsx() -> Refused:
    return Refused("无法读取该Excel文件，请确认是有效的 .xlsx 文件", "This is not a readable .xlsx file")


def _too_many_rows(limits: Limits, row: int) -> Refused:
    return Refused(
        f"单个文件最多 {limits.data_rows:,} 行数据，该文件的数据延伸到第 {row:,} 行，请拆分后分批导入",
        f"A file may hold at most {limits.data_rows:,} rows of data; this one reaches row {row:,}: "
        "split it and import the parts one by one",
    )


def _too_many_columns(limits: Limits, column: int) -> Refused:
    letters = column_letters(column)
    return Refused(
        f"单个文件最多 {limits.columns} 列，该文件的数据延伸到第 {letters} 列，请删除多余的列后再导入",
        f"A file may hold at most {limits.columns} columns; this one reaches column {letters}: "
        "delete the extra columns",
    )


def _zip_bomb(limits: Limits) -> Refused:
    megabytes = limits.unpacked_bytes // (1024 * 1024)
    return Refused(
        f"该Excel文件解压后超过 {megabytes} MB 或压缩比异常（疑似压缩炸弹），未读取",
        f"This .xlsx inflates to more than {megabytes} MB or is compressed implausibly well "
        "(a zip bomb?); it was not read",
    )


def column_letters(number: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA, 16384 -> XFD."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _cell_position(reference: str) -> tuple[int, int]:
    """'B7' -> (7, 2); an unreadable reference makes the file unreadable (calamine refuses it too)."""
    match = CELL_REF.fullmatch(reference)
    if match is None or int(match[2]) == 0:
        raise unreadable_xlsx()
    return int(match[2]), _column_number(match[1])


# --- the zip, inflated for real ---------------------------------------------------------------------------


class _Budget:
    """Bytes inflated so far against the total and the per-member ratio limits."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.left = limits.unpacked_bytes

    def spend(self, produced: int, member_total: int, compressed: int) -> None:
        self.left -= produced
        too_dense = member_total > RATIO_GRACE and member_total > self.limits.ratio * max(compressed, 1)
        if self.left < 0 or too_dense:
            raise _zip_bomb(self.limits)


def _inflate(data: bytes, member: zipfile.ZipInfo, budget: _Budget) -> Iterator[bytes]:
    """The member's bytes as they inflate, counted; its declared size and CRC must match what came out."""
    if member.flag_bits & 0x1 or member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise unreadable_xlsx()  # encrypted, or a method Excel does not write
    header = data[member.header_offset : member.header_offset + LOCAL_HEADER.size]
    if len(header) < LOCAL_HEADER.size or header[:4] != LOCAL_SIGNATURE:
        raise unreadable_xlsx()
    fields = LOCAL_HEADER.unpack(header)
    start = member.header_offset + LOCAL_HEADER.size + fields[10] + fields[11]  # name and extra lengths
    raw = memoryview(data)[start : start + member.compress_size]
    if len(raw) < member.compress_size:
        raise unreadable_xlsx()
    inflater = zlib.decompressobj(-zlib.MAX_WBITS) if member.compress_type == zipfile.ZIP_DEFLATED else None
    total = crc = 0
    for offset in range(0, len(raw), CHUNK):
        pending = bytes(raw[offset : offset + CHUNK])
        while pending:
            if inflater is None:
                piece, pending = pending, b""
            else:
                piece = inflater.decompress(pending, CHUNK)
                pending = inflater.unconsumed_tail
            total += len(piece)
            budget.spend(len(piece), total, member.compress_size)
            crc = zlib.crc32(piece, crc)
            yield piece
    if inflater is not None and not inflater.eof:
        raise unreadable_xlsx()
    if total != member.file_size or crc != member.CRC:
        raise unreadable_xlsx()  # the directory lies about this member: calamine might read more


def _expat_starts(chunks: Iterable[bytes], on_start: Callable[[str, dict], None]) -> None:
    """Call on_start(local name, attributes) for every element; no DTD (so no entity expansion)."""

    def refuse_doctype(*_args) -> None:
        raise unreadable_xlsx()

    parser = ParserCreate()
    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    parser.StartElementHandler = lambda name, attributes: on_start(name.rpartition(":")[2], attributes)
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except ExpatError:
        raise unreadable_xlsx() from None


def _small_part(data: bytes, member: zipfile.ZipInfo, budget: _Budget) -> list[bytes]:
    if member.file_size > MAX_SMALL_PART:
        raise unreadable_xlsx()
    return list(_inflate(data, member, budget))


def _first_sheet_path(data: bytes, members: dict[str, zipfile.ZipInfo], budget: _Budget) -> str:
    """The part calamine reads as the first sheet: workbook.xml's first <sheet>, through its relationship."""
    relationship_ids: list[str] = []
    targets: dict[str, str] = {}

    def on_workbook(name: str, attributes: dict) -> None:
        if name == "sheet":
            ids = [
                value for key, value in attributes.items() if key.rpartition(":")[2] == "id" and ":" in key
            ]
            relationship_ids.append(ids[0] if ids else "")

    def on_relationships(name: str, attributes: dict) -> None:
        if name == "Relationship":
            targets[attributes.get("Id", "")] = attributes.get("Target", "")

    workbook, relationships = (members.get(part) for part in XLSX_MAIN_PARTS)
    if workbook is None or relationships is None:
        raise unreadable_xlsx()
    _expat_starts(_small_part(data, relationships, budget), on_relationships)
    _expat_starts(_small_part(data, workbook, budget), on_workbook)
    if not relationship_ids or relationship_ids[0] not in targets:
        raise unreadable_xlsx()
    target = targets[relationship_ids[0]]
    # as calamine resolves it: "/xl/…" and "xl/…" are from the root, anything else is under xl/
    path = target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else f"xl/{target}"
    if path.lower() not in members:
        raise unreadable_xlsx()
    return path.lower()


def _check_position(limits: Limits, row: int, column: int) -> None:
    if row > limits.sheet_rows:
        raise _too_many_rows(limits, row)
    if column > limits.columns:
        raise _too_many_columns(limits, column)


def _check_dimension(limits: Limits, reference: str) -> None:
    """The range the sheet declares (e.g. A1:XFD1048576) must fit before anything is read.

    Excel counts formatted blank cells in it, hence the hint in the message.
    """
    for corner in reference.split(":")[:2]:
        row, column = _cell_position(corner) if corner else (1, 1)
        if row > limits.sheet_rows or column > limits.columns:
            declared, rows, columns = reference[:40], f"{limits.data_rows:,}", limits.columns
            raise Refused(
                f"该文件声明的表格范围（{declared}）超出上限：单个文件最多 {rows} 行数据、{columns} 列。"
                "若数据下方或右侧只是设置了格式的空白单元格，请删除这些行或列后再导入",
                f"The file declares a range ({declared}) beyond the limits of {rows} rows of data and "
                f"{columns} columns. If the rows or columns past your data are only formatted blanks, delete "
                "them and upload again",
            )


class _QuickScan:
    """The sheet's cells found by regular expressions over the inflating XML, as Excel and WPS write them.

    Cells written `<c r="B7" …>` are read here at the speed of the regex engine; a non-self-closing one
    counts as holding a value (Excel writes an empty styled cell as `<c r="B2" s="1"/>`). Any other <c>
    (no `r`, a namespace prefix, single quotes) sets `exact` to false and the sheet is then scanned by
    `_ExactScan`. Text in comments or CDATA that looks like a cell only makes the scan stricter.
    """

    ANY_CELL = re.compile(rb"<(?:[^\s<>/:=]+:)?c[\s/>]")
    CELL = re.compile(rb'<c r="([A-Z]+)([0-9]+)"[^>/]*(/?)>')
    DIMENSION = re.compile(rb"""<(?:[^\s<>/:=]+:)?dimension\s[^>]*?ref\s*=\s*["']([^"']*)["']""")
    SHEET_DATA = re.compile(rb"<(?:[^\s<>/:=]+:)?sheetData[\s/>]")
    LONGEST_TAG = 1024 * 1024

    def __init__(self, limits: Limits):
        self.limits = limits
        self.exact = True
        self.in_data = False  # <dimension> comes before <sheetData>

    def scan(self, pieces: Iterable[bytes]) -> None:
        carry = b""
        for piece in pieces:
            if not self.exact:
                continue  # still inflated, so that the budget counts every byte
            text = carry + piece
            cut = text.rfind(b"<")
            if cut != -1 and text.find(b">", cut) == -1:  # a tag continues in the next piece
                text, carry = text[:cut], text[cut:]
                if len(carry) > self.LONGEST_TAG:
                    raise unreadable_xlsx()
            else:
                carry = b""
            self._scan_text(text)
        if self.exact:
            self._scan_text(carry)

    def _scan_text(self, text: bytes) -> None:
        if not self.in_data:
            if b"<!DOCTYPE" in text:  # calamine ignores a DTD, but nothing here expands one
                raise unreadable_xlsx()
            for dimension in self.DIMENSION.findall(text):
                _check_dimension(self.limits, dimension.decode("ascii", "replace"))
            self.in_data = self.SHEET_DATA.search(text) is not None
        cells = self.CELL.findall(text)
        if len(cells) != len(self.ANY_CELL.findall(text)):
            self.exact = False
            return
        if not cells:
            return
        letters, digits, closed = zip(*cells, strict=True)
        if any(closed):  # leave out the self-closing (empty) cells
            valued = [(column, row) for column, row, slash in cells if not slash]
            if not valued:
                return
            letters, digits = zip(*valued, strict=True)
        row = max(map(int, digits))
        column = max(map(_column_number, {column.decode() for column in set(letters)}))
        _check_position(self.limits, row, column)


class _ExactScan:
    """The sheet's cells placed as calamine places them, by expat: for sheets whose cells lack `r`.

    A cell's position is its `r` if it has one, otherwise the current row (the row's `r`, or one past the
    previous row) and one column past the previous cell; it counts once it shows a value (<v> or <is>).
    """

    def __init__(self, limits: Limits):
        self.limits = limits
        self.row = 0  # 1-based, as Excel numbers rows
        self.column = 0
        self.cell: tuple[int, int] | None = None  # the open cell, counted once it shows a value

    def on_start(self, name: str, attributes: dict) -> None:
        if name == "row":
            reference = attributes.get("r")
            self.row = int(reference) if reference and reference.isdigit() else self.row + 1
            self.column = 0
        elif name == "c":
            reference = attributes.get("r")
            if reference:
                row, self.column = _cell_position(reference)
            else:
                row, self.column = self.row, self.column + 1
            self.cell = (max(row, 1), self.column)
        elif name in ("v", "is") and self.cell is not None:
            _check_position(self.limits, *self.cell)
            self.cell = None
        elif name == "dimension":
            _check_dimension(self.limits, attributes.get("ref", ""))


def _scan_sheet(data: bytes, member: zipfile.ZipInfo, limits: Limits, budget: _Budget) -> None:
    quick = _QuickScan(limits)
    quick.scan(_inflate(data, member, budget))
    if not quick.exact:  # the bytes were counted in the first pass
        _expat_starts(_inflate(data, member, _Budget(limits)), _ExactScan(limits).on_start)


def inspect_xlsx(data: bytes, limits: Limits) -> None:
    """Refuse an .xlsx whose zip or first sheet breaks the limits, before any spreadsheet reader sees it."""
    if not data.startswith(LOCAL_SIGNATURE):
        raise unreadable_xlsx()
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise unreadable_xlsx() from None
    by_name = {member.filename.lower(): member for member in members}  # calamine ignores case
    if len(members) > MAX_MEMBERS or len(by_name) != len(members):
        raise unreadable_xlsx()
    if any(part in by_name for part in OTHER_FORMAT_PARTS):
        raise unreadable_xlsx()
    if sum(member.file_size for member in members) > limits.unpacked_bytes:
        raise _zip_bomb(limits)
    budget = _Budget(limits)
    sheet = _first_sheet_path(data, by_name, budget)
    _scan_sheet(data, by_name[sheet], limits, budget)
    for name, member in by_name.items():
        if name not in (sheet, *XLSX_MAIN_PARTS):
            for _piece in _inflate(data, member, budget):
                pass  # counted: shared strings and styles are read whole by calamine


# --- reading -----------------------------------------------------------------------------------------------


def read_xlsx(data: bytes, limits: Limits) -> list[list]:
    """Rows of the first sheet, numbered as Excel shows them (empty lists above the first used row)."""
    inspect_xlsx(data, limits)
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
    except (CalamineError, ValueError, OSError):
        raise unreadable_xlsx() from None
    if sheet.end is not None:  # calamine's own count agrees with the scan, or the file is refused
        last_row, last_column = sheet.end
        if last_row + 1 > limits.sheet_rows:
            raise _too_many_rows(limits, last_row + 1)
        if last_column + 1 > limits.columns:
            raise _too_many_columns(limits, last_column + 1)
    first_row = sheet.start[0] if sheet.start else 0
    rows: list[list] = [[] for _ in range(first_row)]
    rows.extend(sheet.iter_rows())
    return rows


def read_csv(data: bytes, limits: Limits) -> list[list]:
    """Rows of a CSV in UTF-8 or GB18030, read until the limit is passed and no further."""
    text = _decoded(data)
    first_line = text.split("\n", 1)[0]
    dialect = csv.excel_tab if "\t" in first_line and "," not in first_line else csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows: list[list] = []
    try:
        for row in reader:
            while row and row[-1] == "":
                row.pop()  # Excel pads a row with the commas of columns once used
            if len(rows) >= limits.sheet_rows:
                raise _too_many_rows(limits, len(rows) + 1)
            if len(row) > limits.columns:
                raise _too_many_columns(limits, len(row))
            rows.append(row)
    except csv.Error as error:
        raise Refused(
            f"CSV文件第 {reader.line_num:,} 行格式有误，无法读取",
            f"The CSV is malformed at line {reader.line_num:,}",
        ) from error
    return rows


def _decoded(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    # gb18030 decodes almost any byte string; this is for safety
    raise Refused("无法识别CSV文件的编码，请保存为UTF-8或GBK编码", "The CSV must be encoded in UTF-8 or GBK")


# --- the rows handed to the parent -------------------------------------------------------------------------

# JSON, not pickle: the parent must never run what a subverted child sends. Cells that JSON lacks are tagged.
_TAGS: dict[str, Callable[[str], object]] = {
    "$datetime": dt.datetime.fromisoformat,
    "$date": dt.date.fromisoformat,
    "$time": dt.time.fromisoformat,
    "$timedelta": lambda seconds: dt.timedelta(seconds=float(seconds)),
}


def _tagged(value: object) -> dict:
    if isinstance(value, dt.datetime):  # before date: a datetime is a date
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$timedelta": str(value.total_seconds())}
    raise TypeError(f"unexpected cell type {type(value).__name__}")


def untagged(obj: dict) -> object:
    """json.loads' object_hook: a tagged cell back to its value."""
    if len(obj) == 1:
        ((tag, text),) = obj.items()
        if tag in _TAGS:
            return _TAGS[tag](text)
    return obj


def encode_outcome(rows: list[list], limits: Limits) -> bytes:
    payload = json.dumps({"rows": rows}, ensure_ascii=False, default=_tagged).encode()
    if len(payload) > limits.output_bytes:
        megabytes = limits.output_bytes // (1024 * 1024)
        return encode_refusal(
            Refused(
                f"文件内容过多（读出的数据超过 {megabytes} MB），请拆分后分批导入",
                f"The file holds too much data (over {megabytes} MB once read); split it",
            )
        )
    return payload


def encode_refusal(refusal: Refused) -> bytes:
    return json.dumps({"refused": [refusal.message_zh, refusal.message_en]}, ensure_ascii=False).encode()


def _limit_self(limits: Limits) -> None:
    """Memory, CPU and output held by the kernel: past them this process dies, not the web worker."""
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.output_bytes + CHUNK, limits.output_bytes + CHUNK))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv: list[str]) -> int:
    file_type, limits = argv[1], Limits.from_json(argv[2])
    _limit_self(limits)
    data = sys.stdin.buffer.read()
    try:
        rows = read_xlsx(data, limits) if file_type == "xlsx" else read_csv(data, limits)
        output = encode_outcome(rows, limits)
    except Refused as refusal:
        output = encode_refusal(refusal)
    except MemoryError:
        return 3  # the parent tells the user the file is too large or malformed
    sys.stdout.buffer.write(output)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
