"""Reading an uploaded import file: its type and size checked, the rows of an .xlsx or .csv read out."""

import csv
import io
from collections.abc import Iterator
from pathlib import PurePath

from rencai.core.errors import DomainError, ErrorCode

MAX_IMPORT_BYTES = 30 * 1024 * 1024
MAX_IMPORT_ROWS = 200_000
ALLOWED_SUFFIXES = (".xlsx", ".csv")


class ImportRefused(DomainError):
    """The file as a whole cannot be imported (type, size, header); no batch is recorded."""

    def __init__(self, message_zh: str, message_en: str):
        super().__init__(ErrorCode.IMPORT_REFUSED, message_zh, message_en)


def check_upload(filename: str, size: int) -> str:
    """The file's kind ('xlsx' or 'csv'); ImportRefused for anything else, an empty or an oversized file."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".xls":
        raise ImportRefused(
            "不支持旧版 .xls 文件，请在Excel中另存为 .xlsx 后再上传",
            "Old .xls files are not supported; save the file as .xlsx in Excel and upload it again",
        )
    if suffix not in ALLOWED_SUFFIXES:
        raise ImportRefused(
            f"文件类型不支持：{suffix or '无扩展名'}。只能上传 .xlsx 或 .csv 文件",
            f"Unsupported file type {suffix or '(none)'}: upload an .xlsx or .csv file",
        )
    if size == 0:
        raise ImportRefused("文件为空", "The file is empty")
    if size > MAX_IMPORT_BYTES:
        limit = MAX_IMPORT_BYTES // (1024 * 1024)
        raise ImportRefused(
            f"文件过大（{size / 1024 / 1024:.1f} MB），单个文件不能超过 {limit} MB，请拆分后分批导入",
            f"The file is too large ({size / 1024 / 1024:.1f} MB); the limit is {limit} MB: split it",
        )
    return suffix[1:]


def read_rows(file_type: str, data: bytes) -> Iterator[list]:
    """Every row of the first sheet (or of the CSV), header included, as a list of cell values."""
    if file_type == "xlsx":
        return _read_xlsx(data)
    return _read_csv(data)


def _read_xlsx(data: bytes) -> Iterator[list]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
    except (CalamineError, ValueError, OSError) as error:
        raise ImportRefused(
            "无法读取该Excel文件，请确认是有效的 .xlsx 文件",
            f"This is not a readable .xlsx file ({type(error).__name__})",
        ) from None
    first_row = sheet.start[0] if sheet.start else 0
    yield from ([] for _ in range(first_row))  # keep row numbers as Excel shows them
    yield from sheet.iter_rows()


def _read_csv(data: bytes) -> Iterator[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # gb18030 decodes almost any byte string; this is for safety
        raise ImportRefused(
            "无法识别CSV文件的编码，请保存为UTF-8或GBK编码", "The CSV must be encoded in UTF-8 or GBK"
        )
    first_line = text.split("\n", 1)[0]
    dialect = csv.excel_tab if "\t" in first_line and "," not in first_line else csv.excel
    yield from csv.reader(io.StringIO(text, newline=""), dialect)
