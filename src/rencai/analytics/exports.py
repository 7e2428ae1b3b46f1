"""Excel downloads of every analytics table (a breakdown, a series, the county comparison, the headline
figures) and of the people behind a figure; each download is one audit entry.

Tables are the figures the viewer sees (scoped, "<5" where a cell is suppressed). The people list is read
from `compute.people` (scoped, SEE_PEOPLE_BEHIND_FIGURES) as plain values in chunks, with masked ID numbers as
the registry's talent export has them, and streamed into the workbook's XML (`stream_workbook`: openpyxl is
too slow for 100,000 rows in 10 s); the tables go through openpyxl (`registry.exports.write_workbook`). Text
is never a formula in either (`core.spreadsheets`). A list longer than `INLINE_ROWS` is written by the task
worker as a job (`people_export_task`) that its owner follows and downloads.
"""

import datetime as dt
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from django_tasks import task

from rencai.analytics import compute
from rencai.analytics.models import Indicator
from rencai.core import audit, jobs
from rencai.core.access import Action, require
from rencai.core.models import Region
from rencai.core.spreadsheets import needs_guard
from rencai.registry import choices as c
from rencai.registry.exports import CHUNK_SIZE, ExportColumn, ExportFile, write_workbook

SUPPRESSED = "<5"
INLINE_ROWS = 20_000  # written in the request up to this many people (a second or two); beyond, a job
EXPORT_DONE = gettext_noop("已导出 %(rows)s 行")

TABLE_TITLES = {
    "breakdown": _("分组统计"),
    "series": _("月度序列"),
    "comparison": _("县（市、区）比较"),
    "headline": _("主要指标"),
    "ranking": _("县（市、区）排名"),
    "people": _("人员名单"),
}


def _number(value: Decimal | int | None) -> Decimal | int | str:
    return "" if value is None else value


def _cells(cell, *, rank: int | None = None) -> list:
    """label, numerator, denominator, value (and a rank): "<5" in every figure of a suppressed cell."""
    if cell.suppressed:
        figures: list = [SUPPRESSED, SUPPRESSED, SUPPRESSED]
    else:
        figures = [_number(cell.numerator), _number(cell.denominator), _number(cell.value)]
    return [cell.label, *figures] + ([rank] if rank is not None else [])


def _figure_headers(first: object, indicator: Indicator) -> list[ExportColumn]:
    unit = f"（{indicator.unit}）" if indicator.unit else ""
    return [
        ExportColumn(first, ""),
        ExportColumn(_("分子"), ""),
        ExportColumn(_("分母"), ""),
        ExportColumn(f"{indicator.display_name}{unit}", ""),
    ]


def _region_code(actor, region: Region | None) -> str:
    if region is not None:
        return region.code
    own = getattr(actor, "region", None)
    return own.code if own is not None else ""


def _file(
    *, actor, table: str, name: str, columns: list[ExportColumn], rows: Iterable[list], region, detail: dict
) -> ExportFile:
    title = f"{name}-{TABLE_TITLES[table]}"
    spool, count = write_workbook(title, columns, rows)
    audit.record(
        actor=actor,
        action="analytics.export",
        object_type="analytics.indicator",
        object_id=detail.get("indicator", ""),
        region_code=_region_code(actor, region),
        detail={"table": table, "rows": count, **detail},
    )
    stamp = detail.get("day") or timezone.localdate().isoformat()
    return ExportFile(file=spool, filename=f"{title}-{stamp.replace('-', '')}.xlsx", rows=count)


def breakdown_export(
    *, actor, indicator: Indicator, day: dt.date, region: Region | None, by: str | None
) -> ExportFile:
    """The figure and its breakdown as the viewer sees them, the total last."""
    require(actor, Action.EXPORT)
    figure = compute.figure(indicator, user=actor, day=day, region=region, by=by)
    rows = [_cells(cell) for cell in figure.cells]
    total = _cells(figure.total)
    total[0] = str(_("合计"))
    rows.append(total)
    return _file(
        actor=actor,
        table="breakdown",
        name=indicator.display_name,
        columns=_figure_headers(compute.BREAKDOWN_LABELS.get(by or "", _("范围")), indicator),
        rows=rows,
        region=region,
        detail={
            "indicator": indicator.code,
            "day": day.isoformat(),
            "region": region.code if region is not None else "",
            "by": by or "",
        },
    )


def series_export(
    *, actor, indicator: Indicator, start: dt.date, end: dt.date, region: Region | None
) -> ExportFile:
    require(actor, Action.EXPORT)
    cells = compute.series(indicator, user=actor, start=start, end=end, region=region)
    rows = [[cell.key, *_cells(cell)[1:]] for cell in cells]
    return _file(
        actor=actor,
        table="series",
        name=indicator.display_name,
        columns=_figure_headers(_("月末日期"), indicator),
        rows=rows,
        region=region,
        detail={
            "indicator": indicator.code,
            "day": end.isoformat(),
            "start": start.isoformat(),
            "region": region.code if region is not None else "",
        },
    )


def comparison_export(*, actor, indicator: Indicator, day: dt.date) -> ExportFile:
    """The six counties ranked on one indicator."""
    require(actor, Action.EXPORT)
    ranked = compute.comparison(indicator, user=actor, day=day)
    return _file(
        actor=actor,
        table="comparison",
        name=indicator.display_name,
        columns=[*_figure_headers(_("县（市、区）"), indicator), ExportColumn(_("排名"), "")],
        rows=[_cells(cell, rank=rank) for rank, cell in ranked],
        region=None,
        detail={"indicator": indicator.code, "day": day.isoformat()},
    )


def dashboard_exports(*, actor, table: str, day: dt.date, region: Region | None) -> ExportFile:
    """The dashboard's own tables: the headline figures ("headline") or the ranking of the six counties on
    every compared indicator ("ranking")."""
    require(actor, Action.EXPORT)
    board = compute.dashboard(user=actor, day=day, region=region)
    if table == "headline":
        columns = [
            ExportColumn(_("指标"), ""),
            ExportColumn(_("单位"), ""),
            ExportColumn(_("分子"), ""),
            ExportColumn(_("分母"), ""),
            ExportColumn(_("数值"), ""),
        ]
        rows: list[list] = []
        for figure in board["headline"]:
            _label, *values = _cells(figure.total)
            rows.append([figure.indicator.display_name, figure.indicator.unit, *values])
    else:
        indicators = {figure.indicator.code: figure.indicator for figure in board["headline"]}
        columns = [
            ExportColumn(_("指标"), ""),
            ExportColumn(_("县（市、区）"), ""),
            ExportColumn(_("数值"), ""),
            ExportColumn(_("排名"), ""),
        ]
        rows = []
        for code, ranked in board["comparison"].items():
            indicator = indicators.get(code) or Indicator.objects.get(code=code)
            for rank, cell in ranked:
                value = SUPPRESSED if cell.suppressed else _number(cell.value)
                rows.append([indicator.display_name, cell.label, value, rank])
    scope = region.display_name if region is not None else str(_("全部"))
    return _file(
        actor=actor,
        table=table,
        name=scope,
        columns=columns,
        rows=rows,
        region=region,
        detail={"day": day.isoformat(), "region": region.code if region is not None else ""},
    )


# -- a streamed workbook for long lists ----------------------------------------------------------------------
# openpyxl's write-only mode builds an element per cell and, without lxml, serialises it in pure Python:
# 15-20 s per 100,000 rows of twelve columns here, beyond the 10 s a drill-down export may take. The people
# list is therefore written straight into the workbook's XML (one sheet, inline strings, one styles part),
# several times faster. Every text is an inline string — a cell that can never be a formula — and a text a
# spreadsheet could take for one (`core.spreadsheets.needs_guard`) also gets Excel's quote prefix, exactly as
# `core.spreadsheets.text_row` does it; the tables keep using openpyxl.

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CONTENT_TYPES = (
    _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
)
_ROOT_RELS = (
    _XML + f'<Relationships xmlns="{_PACKAGE_RELS}"><Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    _XML + f'<Relationships xmlns="{_PACKAGE_RELS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"'
    ' Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"'
    ' Target="styles.xml"/></Relationships>'
)
# cell styles: 0 plain, 1 bold (the header), 2 text with the quote prefix, 3 a date (yyyy-mm-dd)
_STYLES = (
    _XML + f'<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)
_EXCEL_EPOCH = dt.date(1899, 12, 30)
# characters XML 1.0 cannot hold (openpyxl refuses them too): dropped from the text
_ILLEGAL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])


def _letters(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(65 + remainder) + name
    return name


def _text_cell(ref: str, text: str, style: int = 0) -> str:
    text = text.translate(_ILLEGAL)
    if needs_guard(text):
        style = 2
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{styled} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _cell(ref: str, value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | Decimal | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="3"><v>{(value - _EXCEL_EPOCH).days}</v></c>'
    return _text_cell(ref, str(value))


def stream_workbook(
    title: str, columns: Iterable[ExportColumn], rows: Iterable[list]
) -> tuple[IO[bytes], int]:
    """A one-sheet .xlsx of `rows` under a bold header, written as it is read (a spooled temporary file,
    rewound), and its number of rows. Text is never a formula (see above)."""
    headers = [str(column.header) for column in columns]
    letters = [_letters(index) for index in range(len(headers))]
    sheet_name = (
        title[:31].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )
    spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    count = 0
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=3) as package:
        package.writestr("[Content_Types].xml", _CONTENT_TYPES)
        package.writestr("_rels/.rels", _ROOT_RELS)
        package.writestr(
            "xl/workbook.xml",
            _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELS}"><sheets>'
            f'<sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        package.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        package.writestr("xl/styles.xml", _STYLES)
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            header = "".join(
                _text_cell(f"{letter}1", text, 1) for letter, text in zip(letters, headers, strict=True)
            )
            sheet.write(f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData><row r="1">{header}</row>'.encode())
            buffer: list[str] = []
            for count, row in enumerate(rows, start=1):
                line = count + 1
                cells = "".join(
                    _cell(f"{letter}{line}", value) for letter, value in zip(letters, row, strict=True)
                )
                buffer.append(f'<row r="{line}">{cells}</row>')
                if len(buffer) == CHUNK_SIZE:
                    sheet.write("".join(buffer).encode())
                    buffer.clear()
                    jobs.advance(CHUNK_SIZE)  # the job following a long export, if any (core.jobs)
            sheet.write(("".join(buffer) + "</sheetData></worksheet>").encode())
    spool.seek(0)
    return spool, count


# -- the people behind a figure -----------------------------------------------------------------------------


def _choice(enum) -> Callable[[object], str]:
    labels = dict(enum.choices)
    return lambda value: str(labels.get(value, "")) if value else ""


def _year(value: object) -> object:
    return value.year if isinstance(value, dt.date) else ""


def _or_blank(value: object) -> object:
    return value if value is not None else ""


PEOPLE_COLUMNS = (
    ExportColumn(_("姓名"), "name"),
    ExportColumn(_("证件号码"), "id_number_masked"),  # masked, as the list shows it
    ExportColumn(_("性别"), "gender", _choice(c.Gender)),
    ExportColumn(_("出生年份"), "birth_date", _year),
    ExportColumn(_("人才队伍"), "team", _choice(c.Team)),
    ExportColumn(_("人才类别"), "tier", _choice(c.Tier)),
    ExportColumn(_("最高学历"), "highest_degree", _choice(c.Degree)),
    ExportColumn(_("现工作单位"), "current_employer__name", _or_blank),
    ExportColumn(_("所在区划"), "region__name"),
    ExportColumn(_("来衢日期"), "arrival_date", _or_blank),
    ExportColumn(_("离开日期"), "departed_on", _or_blank),
    ExportColumn(_("状态"), "status", _choice(c.TalentStatus)),
)


def _people_rows(queryset: QuerySet) -> Iterator[list]:
    sources = [column.source for column in PEOPLE_COLUMNS]
    # plain tuples in chunks, ordered by id (compute.people's order): memory stays flat for 100,000 rows
    for values in queryset.values_list(*sources).iterator(chunk_size=CHUNK_SIZE):
        yield [
            column.render(value) if column.render else ("" if value is None else value)
            for column, value in zip(PEOPLE_COLUMNS, values, strict=True)
        ]


@dataclass(frozen=True)
class PeopleQuery:
    """Which people behind which figure: the drill-down's parameters."""

    indicator: Indicator
    day: dt.date
    region: Region | None = None
    by: str | None = None
    key: str | None = None
    part: str = "numerator"

    def detail(self) -> dict:
        return {
            "indicator": self.indicator.code,
            "day": self.day.isoformat(),
            "region": self.region.code if self.region is not None else "",
            "by": self.by or "",
            "key": self.key or "",
            "part": self.part,
        }


def people_of(*, actor, query: PeopleQuery) -> QuerySet:
    """The talents behind the figure (compute.people: scoped, and refused without the right)."""
    return compute.people(
        query.indicator,
        user=actor,
        day=query.day,
        region=query.region,
        by=query.by,
        key=query.key,
        part=query.part,
    )


def people_export(*, actor, query: PeopleQuery) -> ExportFile:
    """The people behind one figure in one workbook; the read of their (masked) personal data is audited."""
    require(actor, Action.EXPORT)
    title = f"{query.indicator.display_name}-{TABLE_TITLES['people']}"
    spool, count = stream_workbook(title, PEOPLE_COLUMNS, _people_rows(people_of(actor=actor, query=query)))
    audit.record(
        actor=actor,
        action="analytics.people.export",
        object_type="registry.talent",
        region_code=_region_code(actor, query.region),
        detail={**query.detail(), "rows": count},
    )
    return ExportFile(file=spool, filename=f"{title}-{query.day:%Y%m%d}.xlsx", rows=count)


@task()
def people_export_task(
    *,
    job_id: int,
    actor_id: int,
    indicator_id: int,
    day: str,
    region: str,
    by: str,
    key: str,
    part: str,
    total: int | None = None,
) -> dict:
    """Write a long people list into a file only its owner downloads (core.jobs); `total` is the count the
    view made when it chose a job (counting again would cost a second query over the same ids)."""
    from rencai.accounts.models import User

    actor = User.objects.get(pk=actor_id)
    query = PeopleQuery(
        indicator=Indicator.objects.get(pk=indicator_id),
        day=dt.date.fromisoformat(day),
        region=Region.objects.get(code=region) if region else None,
        by=by or None,
        key=key if by else None,
        part=part,
    )
    with jobs.running(job_id) as progress:
        progress.stage(gettext_noop("写入 Excel"), done=0, total=total)
        export = people_export(actor=actor, query=query)
        path = jobs.write_private_file(f"job-{job_id}.xlsx", iter(lambda: export.file.read(1 << 20), b""))
        progress.finish(
            message=jobs.in_both_languages(EXPORT_DONE, {"rows": export.rows}),
            result={"rows": export.rows},
            link=reverse("job_download", args=[job_id]),
            file_path=str(path),
            file_name=export.filename,
        )
    return {"rows": export.rows}
