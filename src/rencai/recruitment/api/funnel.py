"""API route of the recruitment funnel (/api/recruitment/funnel): the same figures as the page, scoped by
the caller's tenancy; a wrong filter is refused (422) with every problem listed in both languages."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from ninja import Router, Schema

from rencai.core.errors import ValidationFailed
from rencai.core.schemas import errors
from rencai.recruitment import funnel as reports

router = Router()


class StagesOut(Schema):
    demands: int | None  # null in the channel table: demands are not brought by a channel
    positions: int | None
    referrals: int
    leads: int
    interviews: int
    arrivals: int
    retained: int
    retention_rate: Decimal | None
    committed: Decimal
    paid: Decimal
    cost_per_arrival: Decimal | None


class RowOut(Schema):
    key: str
    label: str
    stages: StagesOut


class FunnelOut(Schema):
    date_from: dt.date
    date_to: dt.date
    total: StagesOut
    channel: list[RowOut]
    county: list[RowOut]
    tier: list[RowOut]
    industry: list[RowOut]


def _stages(stages: reports.Stages) -> dict:
    return {name: value for name, value in zip(reports.COLUMN_NAMES, reports.cells(stages), strict=True)}


def _rows(rows: list[reports.Row]) -> list[dict]:
    return [{"key": row.key, "label": row.label, "stages": _stages(row.stages)} for row in rows]


@router.get("/funnel", response={200: FunnelOut, **errors()}, summary="引才漏斗 / The recruitment funnel")
def get_funnel(
    request,
    year: str = "",
    date_from: str = "",
    date_to: str = "",
    channel: str = "",
    county: str = "",
    tier: str = "",
    industry: str = "",
):
    params = {
        "year": year,
        "from": date_from,
        "to": date_to,
        "channel": channel,
        "county": county,
        "tier": tier,
        "industry": industry,
    }
    filters, problems = reports.parse_filters(params, timezone.localdate())
    if problems:
        raise ValidationFailed(problems)
    funnel = reports.funnel_for(request.auth, filters)
    return {
        "date_from": filters.date_from,
        "date_to": filters.date_to,
        "total": _stages(funnel.total),
        **{name: _rows(funnel.tables[name]) for name in reports.DIMENSIONS},
    }
