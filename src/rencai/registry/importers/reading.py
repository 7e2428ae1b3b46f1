"""Reading an uploaded import file: its type and size checked, its rows read in a child process within limits.

The limits, and why these numbers:
- MAX_IMPORT_BYTES (30 MB): an upload is held in memory whole; a 50,000-row .xlsx of the template's
  columns is about 3 MB and the same rows as CSV about 5 MB, so 30 MB leaves room for wide files.
- MAX_IMPORT_ROWS (50,000 rows of data, plus ROWS_ABOVE_DATA for the header and a title above it): an
  import is planned and written inside the request. 100,000 rows took 15 s and 600 MB in bench/registry.py;
  half of that stays well inside a proxy's timeout on this two-core machine. A bigger register is
  imported in parts (the message says so; importing the same rows twice changes nothing).
- MAX_IMPORT_COLUMNS (100): the talent export has 21 columns; 100 leaves room for another system's
  export with extra columns, which are reported as unknown and skipped.
- an .xlsx inflates to at most MAX_UNPACKED_BYTES (256 MB: a 50,000 × 100 sheet of short values) and no
  member more than MAX_RATIO times its compressed size (100, Apache POI's default; real sheets are 5–15).
- the reader process may use READER_MEMORY_BYTES of address space (1 GB; a 50,000-row file peaks near
  90 MB), READER_CPU_SECONDS of CPU (30 s; 50,000 rows are inspected and read in about 2 s) and
  READER_WALL_SECONDS in all (60 s, for a busy machine), and hand back at most MAX_OUTPUT_BYTES of rows
  (64 MB of JSON; 50,000 rows of the template's columns make about 7 MB). A web worker runs at most
  READERS_PER_PROCESS readers at once; a further upload waits for one to finish.
Past any of these the user gets a message in Chinese and English, and nothing is written.

The reading itself (`reader_process`) runs as a separate Python process: a file that gets past the checks
and still makes python-calamine (or the csv module) allocate without end, or spin, kills only that process.
On this machine that costs 0.1–0.2 s for a 1,000-row file (Python starting, the zip inspected, the
rows sent back as JSON) and about 2 s for 50,000 rows, against an import of several seconds.
"""

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import PurePath

from rencai.core.errors import DomainError, ErrorCode
from rencai.registry.importers import reader_process
from rencai.registry.importers.reader_process import Limits

logger = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 30 * 1024 * 1024
MAX_IMPORT_ROWS = 50_000
ROWS_ABOVE_DATA = 10
MAX_IMPORT_COLUMNS = 100
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_RATIO = 100
MAX_OUTPUT_BYTES = 64 * 1024 * 1024
READER_MEMORY_BYTES = 1024 * 1024 * 1024
READER_CPU_SECONDS = 30
READER_WALL_SECONDS = 60
READERS_PER_PROCESS = 2  # readers a web worker runs at once: 2 × 1 GB at worst, whatever the uploads
ALLOWED_SUFFIXES = (".xlsx", ".csv")

_readers = threading.BoundedSemaphore(READERS_PER_PROCESS)


class ImportRefused(DomainError):
    """The file as a whole cannot be imported (type, size, limits, header); no batch is recorded."""

    def __init__(self, message_zh: str, message_en: str):
        super().__init__(ErrorCode.IMPORT_REFUSED, message_zh, message_en)


def too_large(size: int) -> ImportRefused:
    limit = MAX_IMPORT_BYTES // (1024 * 1024)
    return ImportRefused(
        f"文件过大（{size / 1024 / 1024:.1f} MB），单个文件不能超过 {limit} MB，请拆分后分批导入",
        f"The file is too large ({size / 1024 / 1024:.1f} MB); the limit is {limit} MB: split it",
    )


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
        raise too_large(size)
    return suffix[1:]


def limits() -> Limits:
    """The limits as they stand (read at each import, so a test can lower one)."""
    return Limits(
        data_rows=MAX_IMPORT_ROWS,
        rows_above_data=ROWS_ABOVE_DATA,
        columns=MAX_IMPORT_COLUMNS,
        unpacked_bytes=MAX_UNPACKED_BYTES,
        ratio=MAX_RATIO,
        output_bytes=MAX_OUTPUT_BYTES,
        memory_bytes=READER_MEMORY_BYTES,
        cpu_seconds=READER_CPU_SECONDS,
    )


def unreadable() -> ImportRefused:
    return ImportRefused(
        "文件过大或格式异常，无法读取。请确认文件来自Excel或WPS并按导入模板填写，过大的文件请拆分后分批导入",
        "The file is too large or malformed and cannot be read. Save it from Excel or WPS following the "
        "import template, and split a large file",
    )


def read_rows(file_type: str, data: bytes) -> list[list]:
    """Every row of the first sheet (or of the CSV), header included, as lists of cell values.

    Read by `reader_process` in a child process; ImportRefused when the file breaks a limit, is not what it
    claims to be, or takes the reader down.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise too_large(len(data))
    if not _readers.acquire(timeout=READER_WALL_SECONDS):
        raise DomainError(
            ErrorCode.UNAVAILABLE,
            "同时导入的文件较多，请稍后再试",
            "Too many files are being imported at once; try again shortly",
        )
    try:
        return _read_in_child(file_type, data)
    finally:
        _readers.release()


def _read_in_child(file_type: str, data: bytes) -> list[list]:
    with tempfile.TemporaryFile() as output, tempfile.TemporaryFile() as errors:
        returncode = _run_reader(file_type, data, output, errors)
        if returncode != 0:
            errors.seek(0)
            logger.warning(
                "import reader exited with %s on a %s of %d bytes: %s",
                returncode,
                file_type,
                len(data),
                errors.read()[-2000:].decode(errors="replace"),
            )
            raise unreadable()
        output.seek(0)
        try:
            outcome = json.load(output, object_hook=reader_process.untagged)
        except ValueError:
            logger.warning(
                "import reader wrote no readable outcome for a %s of %d bytes", file_type, len(data)
            )
            raise unreadable() from None
    if "refused" in outcome:
        raise ImportRefused(*outcome["refused"])
    return outcome["rows"]


def _run_reader(file_type: str, data: bytes, output, errors) -> int:
    """Run the reader on `data`; its return code (negative: killed by that signal, -9 on the wall clock)."""
    command = [sys.executable, "-I", reader_process.__file__, file_type, limits().to_json()]
    # Nothing of the server's environment (database URL, keys) reaches the process that parses the upload.
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
    try:
        completed = subprocess.run(
            command,
            input=data,
            stdout=output,
            stderr=errors,
            env=environment,
            timeout=READER_WALL_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return -9  # subprocess.run killed it
    except OSError:
        logger.exception("import reader could not be started with %s", sys.executable)
        raise DomainError(
            ErrorCode.UNAVAILABLE,
            "暂时无法读取上传的文件，请稍后再试",
            "Uploaded files cannot be read just now; try again later",
        ) from None
    return completed.returncode
