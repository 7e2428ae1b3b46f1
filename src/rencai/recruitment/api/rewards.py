"""API routes of placements and rewards (/api/recruitment/placements, /rewards…): the caller's scoped lists
(cursor pages), one reward with its instalments, and the settlement (city organization department; a run
is idempotent, so a retried POST creates nothing new)."""

import datetime as dt
from decimal import Decimal

from ninja import Router, Schema

from rencai.core.errors import NotFound
from rencai.core.pagination import DEFAULT_LIMIT, cursor_page
from rencai.core.schemas import NOT_FOUND, REFUSED, Cursor, Id, Limit, errors
from rencai.recruitment.services import rewards as services

router = Router()

READ = errors(NOT_FOUND)
WRITE = errors(REFUSED)


class PlacementOut(Schema):
    id: int
    talent: str
    enterprise: str
    channel: str
    state: str
    tier: str
    arrived_on: dt.date
    confirmed_on: dt.date | None
    left_on: dt.date | None

    @staticmethod
    def resolve_talent(placement) -> str:
        return placement.talent.name

    @staticmethod
    def resolve_enterprise(placement) -> str:
        return placement.enterprise.name


class PlacementPage(Schema):
    items: list[PlacementOut]
    next_cursor: str | None


class InstalmentOut(Schema):
    number: int
    due_on: dt.date
    amount: Decimal
    state: str


class RewardOut(Schema):
    id: int
    scheme: str
    purpose: str
    placement: int
    agency: str | None
    enterprise: str | None
    year: int
    amount: Decimal
    state: str

    @staticmethod
    def resolve_scheme(reward) -> str:
        return reward.scheme.code

    @staticmethod
    def resolve_placement(reward) -> int:
        return reward.placement_id

    @staticmethod
    def resolve_agency(reward) -> str | None:
        return reward.agency.name if reward.agency_id else None

    @staticmethod
    def resolve_enterprise(reward) -> str | None:
        return reward.enterprise.name if reward.enterprise_id else None


class RewardDetailOut(RewardOut):
    instalments: list[InstalmentOut]

    @staticmethod
    def resolve_instalments(reward) -> list:
        return list(reward.instalments.order_by("number"))


class RewardPage(Schema):
    items: list[RewardOut]
    next_cursor: str | None


class RefusalOut(Schema):
    code: str
    placement: int
    message_zh: str
    message_en: str


class SettleOut(Schema):
    created: int
    amount: Decimal
    cap_reached: int
    capped_partially: int
    budget_exhausted: int
    already_paid: int
    instalments_paid: int
    instalments_cancelled: int
    clawed_back: int
    rewards_cancelled: int
    refusals: list[RefusalOut]


@router.get("/placements", response={200: PlacementPage, **READ}, summary="引才到岗 / Placements")
def list_placements(
    request, state: str = "", channel: str = "", cursor: Cursor = "", limit: Limit = DEFAULT_LIMIT
):
    rows = services.placements_for(request.auth)
    if state:
        rows = rows.filter(state=state)
    if channel:
        rows = rows.filter(channel=channel)
    return cursor_page(rows, cursor=cursor, limit=limit)


@router.get("/rewards", response={200: RewardPage, **READ}, summary="引才奖励 / Rewards")
def list_rewards(
    request, purpose: str = "", state: str = "", cursor: Cursor = "", limit: Limit = DEFAULT_LIMIT
):
    rows = services.rewards_for(request.auth)
    if purpose:
        rows = rows.filter(purpose=purpose)
    if state:
        rows = rows.filter(state=state)
    return cursor_page(rows, cursor=cursor, limit=limit)


@router.get(
    "/rewards/{reward_id}", response={200: RewardDetailOut, **READ}, summary="引才奖励详情 / A reward"
)
def get_reward(request, reward_id: Id):
    reward = services.rewards_for(request.auth).filter(pk=reward_id).first()
    if reward is None:
        raise NotFound()
    return reward


@router.post("/rewards/settle", response={200: SettleOut, **WRITE}, summary="结算引才奖励 / Settle rewards")
def settle_rewards(request):
    """Settle every scheme in force (idempotent: a retry creates and pays nothing new)."""
    return services.rewards_settle(actor=request.auth).as_dict()
