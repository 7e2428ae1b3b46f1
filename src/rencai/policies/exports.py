"""Export of a simulation's added and removed talents to .xlsx (masked registry fields, one audit entry)."""

import io

from django.utils.translation import gettext
from openpyxl import Workbook

from rencai.core import audit
from rencai.core.access import Action, require
from rencai.core.spreadsheets import text_row
from rencai.policies.simulation import Simulation
from rencai.registry import selectors as registry_selectors

CHUNK_SIZE = 5_000


def _talent_rows(user, ids: list[int], region_names: dict[str, str]):
    """Rows of the talents among `ids` that the user may see (in id order)."""
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        rows = registry_selectors.talents_for(user).filter(pk__in=chunk).order_by("pk")
        for pk, name, region, tier, team, degree in rows.values_list(
            "pk", "name", "region__code", "tier", "team", "highest_degree"
        ):
            yield [pk, name, region_names.get(region, region), tier, team, degree]


def simulation_workbook(*, actor, simulation: Simulation) -> bytes:
    """Two sheets, added and removed talents; needs the export right, leaves an audit entry."""
    require(actor, Action.EXPORT)
    workbook = Workbook(write_only=True)
    header = [
        gettext(label) for label in ("人才编号", "姓名", "所在区划", "人才类别", "人才队伍", "最高学历")
    ]
    counts = {}
    result = simulation.result
    for title, ids in ((gettext("新增名单"), result.added_ids), (gettext("减少名单"), result.removed_ids)):
        sheet = workbook.create_sheet(title)
        sheet.append(header)
        counts[title] = 0
        for row in _talent_rows(actor, ids, simulation.region_names):
            sheet.append(text_row(sheet, row))  # a talent's name is text, never a formula
            counts[title] += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    audit.record(
        actor=actor,
        action="policy.simulation_export",
        obj=simulation.policy,
        detail={"version": simulation.draft.number, "rows": counts},
    )
    return buffer.getvalue()
