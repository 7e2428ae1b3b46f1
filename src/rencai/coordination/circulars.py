"""The circular (通报) of a year's target results: the ranking of the counties and of the departments, as
a printable page and an Excel workbook, sent to each county's party secretary and organization head (and
each department's head) as a notification whose link opens it (opening it marks the message read).

The ranking is copied into the circular when it is issued: the sheets are locked, so it cannot drift, and
the circular reads the same years later.
"""

import tempfile
from decimal import Decimal
from typing import IO

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from openpyxl import Workbook

from rencai.accounts.models import User
from rencai.coordination import scoring
from rencai.coordination.models import Circular, Leader, LeaderPost, Section, SheetState, TargetSheet
from rencai.core import audit
from rencai.core.access import Action, require
from rencai.core.errors import DomainError, ErrorCode, ValidationFailed, problem
from rencai.core.models import Region, RegionLevel
from rencai.core.notifications import notify
from rencai.core.spreadsheets import text_row
from rencai.registry.models import Department

KIND_CIRCULAR = "coordination.target.circular"
ZERO = Decimal("0")
COUNTY = "county"
DEPARTMENT = "department"


class SheetsNotLocked(DomainError):
    status = 409

    def __init__(self, names: list[str]):
        super().__init__(
            ErrorCode.SHEETS_NOT_LOCKED,
            f"以下县（市、区）的考核结果尚未审定锁定：{'、'.join(names)}"
            if names
            else "本年度没有县（市、区）考核表",
            f"These counties' results are not locked yet: {', '.join(names)}"
            if names
            else "There are no county sheets for that year",
        )


def exists_for(year: int) -> bool:
    return Circular.objects.filter(year=year).exists()


def circular_link(circular: Circular) -> str:
    return reverse("coordination:target_circular", args=[circular.pk])


def excel_link(circular: Circular) -> str:
    return reverse("coordination:target_circular_excel", args=[circular.pk])


def ranking_rows(year: int) -> list[dict]:
    """The locked sheets of `year` ranked: the counties, then the departments (the city's own sheet is
    not ranked: it has no peers)."""
    sheets = (
        TargetSheet.objects.filter(year=year, state=SheetState.LOCKED)
        .select_related("region", "department")
        .prefetch_related("items")
    )
    groups: dict[str, list[tuple[TargetSheet, Decimal]]] = {COUNTY: [], DEPARTMENT: []}
    for sheet in sheets:
        if sheet.department_id:
            groups[DEPARTMENT].append((sheet, sheet.total or Decimal("0")))
        elif sheet.region.level == RegionLevel.COUNTY:
            groups[COUNTY].append((sheet, sheet.total or Decimal("0")))
    rows = []
    for kind in (COUNTY, DEPARTMENT):
        for place, sheet, total in scoring.rank(groups[kind]):
            parts = {section: str(_section_points(sheet, section)) for section in Section.values}
            rows.append(
                {
                    "kind": kind,
                    "rank": place,
                    "sheet": sheet.pk,
                    "region": sheet.region_id,
                    "department": sheet.department_id,
                    "unit": sheet.unit_name,
                    "total": str(total),
                    **parts,
                }
            )
    return rows


def _section_points(sheet: TargetSheet, section: str) -> Decimal:
    points = sum((item.points or ZERO for item in sheet.items.all() if item.section == section), ZERO)
    return points.quantize(scoring.CENT)


def circular_issue(*, actor: User, year: int) -> Circular:
    """Issue the year's circular (once: a second call hands back the first) and tell the leaders."""
    require(actor, Action.SET_TARGETS)
    existing = Circular.objects.filter(year=year).first()
    if existing is not None:
        return existing
    from rencai.coordination.services.targets import county_sheets

    open_sheets = county_sheets(year).exclude(state=SheetState.LOCKED).select_related("region")
    if open_sheets.exists() or not county_sheets(year).exists():
        raise SheetsNotLocked([sheet.unit_name for sheet in open_sheets])
    rows = ranking_rows(year)
    city = Region.objects.filter(level=RegionLevel.CITY).order_by("path").first()
    assert city is not None
    try:
        with transaction.atomic():
            circular = Circular.objects.create(
                year=year,
                region=city,
                title=_("关于%(year)s年度人才工作目标责任制考核结果的通报") % {"year": year},
                ranking=rows,
                issued_by=actor,
            )
            audit.record_creation(actor=actor, action="coordination.circular.issue", obj=circular)
            _tell_leaders(circular)
    except IntegrityError:  # issued at the same moment by another officer: theirs stands
        return Circular.objects.get(year=year)
    return circular


def recipients(circular: Circular) -> list[tuple[Leader, dict]]:
    """The leaders the circular goes to, each with their unit's row: county secretaries and organization
    heads, department heads."""
    by_region = {row["region"]: row for row in circular.ranking if row["kind"] == COUNTY}
    by_department = {row["department"]: row for row in circular.ranking if row["kind"] == DEPARTMENT}
    leaders = Leader.objects.filter(active=True).select_related("user")
    found = []
    for leader in leaders.filter(
        department__isnull=True, region_id__in=by_region, post__in=[LeaderPost.SECRETARY, LeaderPost.ORG_HEAD]
    ):
        found.append((leader, by_region[leader.region_id]))
    for leader in leaders.filter(department_id__in=by_department, post=LeaderPost.DEPT_HEAD):
        found.append((leader, by_department[leader.department_id]))
    return found


def _tell_leaders(circular: Circular) -> int:
    link = circular_link(circular)
    sent = 0
    for leader, row in recipients(circular):
        notify(
            recipient=leader.user,
            subject=circular.title,
            body=_(
                "%(name)s同志：%(unit)s在%(year)s年度人才工作目标责任制考核中得分 %(total)s，"
                "排名第 %(rank)s 位。通报全文及排名表（Excel）：%(excel)s"
            )
            % {
                "name": leader.name,
                "unit": row["unit"],
                "year": circular.year,
                "total": row["total"],
                "rank": row["rank"],
                "excel": excel_link(circular),
            },
            link=link,
            kind=KIND_CIRCULAR,
        )
        sent += 1
    return sent


def workbook(circular: Circular) -> IO[bytes]:
    """The circular's ranking as an Excel workbook (one sheet for counties, one for departments)."""
    book = Workbook(write_only=True)
    headers = [
        _("排名"),
        _("被考核单位"),
        _("总分"),
        _("指标"),
        _("重点任务"),
        _("加分"),
        _("扣分"),
    ]
    for kind, title in ((COUNTY, _("县（市、区）")), (DEPARTMENT, _("部门"))):
        rows = [row for row in circular.ranking if row["kind"] == kind]
        if not rows and kind == DEPARTMENT:
            continue
        sheet = book.create_sheet(str(title)[:31])
        sheet.append(text_row(sheet, [circular.title]))
        sheet.append([str(header) for header in headers])
        for row in rows:
            sheet.append(
                text_row(
                    sheet,
                    [
                        row["rank"],
                        row["unit"],
                        Decimal(row["total"]),
                        Decimal(row["indicators"]),
                        Decimal(row["targets"]),
                        Decimal(row["bonus"]),
                        Decimal(row["deductions"]),
                    ],
                )
            )
    spool = tempfile.SpooledTemporaryFile(max_size=4 * 1024 * 1024)
    book.save(spool)
    spool.seek(0)
    return spool


# -- the leaders who receive it ----------------------------------------------------------------------------


def leader_appoint(
    *, actor: User, region: Region, post: str, user: User, name: str, department: Department | None = None
) -> Leader:
    """Record who holds a post that receives circulars; the previous holder is kept, inactive."""
    require(actor, Action.SET_TARGETS)
    problems = []
    if post not in LeaderPost.values:
        problems.append(problem("post", "请选择职务", "Choose the post"))
    if not name.strip():
        problems.append(problem("name", "请填写姓名", "Enter the name"))
    if problems:
        raise ValidationFailed(problems)
    with transaction.atomic():
        previous = Leader.objects.select_for_update().filter(
            region=region, department=department, post=post, active=True
        )
        for old in previous:
            before = audit.snapshot(old)
            old.active = False
            old.save(update_fields=["active"])
            audit.record_change(actor=actor, action="coordination.leader.replace", obj=old, before=before)
        leader = Leader.objects.create(
            region=region, department=department, post=post, user=user, name=name.strip()
        )
        audit.record_creation(actor=actor, action="coordination.leader.appoint", obj=leader)
    return leader
