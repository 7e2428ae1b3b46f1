"""Export of the registry lists to .xlsx: the rows the user's list shows, masked, one audit entry each.

The talent and enterprise exports are import files: their columns are the importer's (`importers.columns`),
so a list can be exported, corrected in Excel and imported again, updating the same records. Rows come
from the same selectors as the list pages (`talents_for`, `enterprises_for`, …), read as plain
values in chunks and streamed into an openpyxl write-only workbook, so memory stays flat for big lists. Text
is written as text (`core.spreadsheets.text_row`), never as a formula.
"""

import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from rencai.core import audit, jobs
from rencai.core.access import Action, require
from rencai.core.errors import DomainError, ErrorCode
from rencai.core.spreadsheets import text_row
from rencai.registry import choices as c
from rencai.registry import selectors
from rencai.registry.importers.columns import ENTERPRISE_COLUMNS, TALENT_COLUMNS, Column, export_render
from rencai.registry.selectors import TalentFilters

EXCEL_MAX_ROWS = 1_048_575  # one sheet's rows, less the header
CHUNK_SIZE = 5_000


@dataclass(frozen=True)
class ExportColumn:
    header: object  # lazy translation
    source: str  # a field (or field__path) of .values()
    render: Callable[[object], object] | None = None


@dataclass
class ExportFile:
    file: IO[bytes]
    filename: str
    rows: int


def _choice(enum) -> Callable[[object], str]:
    labels = dict(enum.choices)

    def render(value: object) -> str:
        label = labels.get(value)
        return str(label) if label is not None and value not in ("", None) else ""

    return render


def _from_columns(columns: Iterable[Column]) -> tuple[ExportColumn, ...]:
    """The export of a list an import also reads: the import's columns, headers and order (the template's
    columns, then the ones the import reads past), each value written as the importer reads it back."""
    return tuple(ExportColumn(column.label, column.export, export_render(column)) for column in columns)


TALENT_EXPORT = _from_columns(TALENT_COLUMNS)
ENTERPRISE_EXPORT = _from_columns(ENTERPRISE_COLUMNS)
PLATFORM_EXPORT = (
    ExportColumn(_("平台名称"), "name"),
    ExportColumn(_("平台类别"), "kind", _choice(c.PlatformKind)),
    ExportColumn(_("服务区划"), "region__name"),
    ExportColumn(_("所在地"), "location"),
    ExportColumn(_("依托企业"), "host_enterprise__name"),
    ExportColumn(_("依托机构"), "host_institution"),
    ExportColumn(_("设立日期"), "established_on"),
    ExportColumn(_("平台体系"), "group_label"),
)
ACADEMICIAN_EXPORT = (
    ExportColumn(_("姓名"), "name"),
    ExportColumn(_("院籍"), "academy", _choice(c.Academy)),
    ExportColumn(_("研究领域"), "field"),
    ExportColumn(_("工作单位"), "affiliation"),
    ExportColumn(_("登记区划"), "region__name"),
)

SHEET_TITLES = {
    "talents": _("人才名单"),
    "enterprises": _("企业名单"),
    "platforms": _("人才平台"),
    "academicians": _("院士名单"),
}


def _rows(queryset: QuerySet, columns: Iterable[ExportColumn]) -> Iterator[list]:
    columns = list(columns)
    sources = [column.source for column in columns]
    for values in queryset.values_list(*sources).iterator(chunk_size=CHUNK_SIZE):
        yield [
            column.render(value) if column.render else ("" if value is None else value)
            for column, value in zip(columns, values, strict=True)
        ]


def write_workbook(
    title: str, columns: Iterable[ExportColumn], rows: Iterable[list]
) -> tuple[IO[bytes], int]:
    """A write-only (streamed) workbook in a spooled temporary file, rewound; and its number of rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.header))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append(text_row(sheet, row))  # a name like "=HYPERLINK(…)" stays text
        count += 1
        jobs.advance()  # the job following a large export, if any: a report every half second (core.jobs)
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    workbook.save(spool)
    spool.seek(0)
    return spool, count


def _export(*, user, list_name: str, queryset: QuerySet, columns, filters: dict) -> ExportFile:
    require(user, Action.EXPORT)
    total = queryset.count()
    if total > EXCEL_MAX_ROWS:
        raise DomainError(
            ErrorCode.EXPORT_TOO_LARGE,
            f"共 {total:,} 行，超过Excel单表上限（{EXCEL_MAX_ROWS:,} 行），请缩小筛选范围后再导出",
            f"{total:,} rows exceed the Excel sheet limit of {EXCEL_MAX_ROWS:,}; narrow the filters",
        )
    title = str(SHEET_TITLES[list_name])
    spool, count = write_workbook(title, columns, _rows(queryset, columns))
    region = getattr(user, "region", None)
    audit.record(
        actor=user,
        action="registry.export",
        object_type=queryset.model._meta.label_lower,
        region_code=region.code if region is not None else "",
        detail={"list": list_name, "filters": {k: v for k, v in filters.items() if v}, "rows": count},
    )
    stamp = timezone.localdate().strftime("%Y%m%d")
    return ExportFile(file=spool, filename=f"{title}-{stamp}.xlsx", rows=count)


def export_talents(*, user, filters: TalentFilters) -> ExportFile:
    return _export(
        user=user,
        list_name="talents",
        queryset=selectors.talents_for(user, filters),
        columns=TALENT_EXPORT,
        filters=dict(vars(filters)),
    )


def export_enterprises(*, user, q: str = "", region: str = "", platform_only: bool = False) -> ExportFile:
    return _export(
        user=user,
        list_name="enterprises",
        queryset=selectors.enterprises_for(user, q=q, region=region, platform_only=platform_only),
        columns=ENTERPRISE_EXPORT,
        filters={"q": q, "region": region, "platform_only": platform_only},
    )


def export_platforms(*, user, q: str = "", kind: str = "", region: str = "") -> ExportFile:
    return _export(
        user=user,
        list_name="platforms",
        queryset=selectors.platforms_for(user, q=q, kind=kind, region=region),
        columns=PLATFORM_EXPORT,
        filters={"q": q, "kind": kind, "region": region},
    )


def export_academicians(*, user, q: str = "") -> ExportFile:
    return _export(
        user=user,
        list_name="academicians",
        queryset=selectors.academicians_for(user, q=q),
        columns=ACADEMICIAN_EXPORT,
        filters={"q": q},
    )
