"""Placements (到岗): confirmed by the registry, never by self-report, and attributed automatically.

A placement exists only when the registry shows the talent registered, active, currently employed by the
enterprise (`Talent.current_employer` and an open `Employment`), and in Quzhou (a region under 330800) or
one of its enclaves (a member of an enclave platform serving Quzhou). Attribution takes the first channel
that applies: a live referral of the person to that enterprise, a lead of the person for that enterprise
from an event or a station, a registry project the talent belongs to, else a direct arrival. The database
keeps one placement per talent and enterprise.

`placements_review` follows the registry afterwards: retained after the months the schemes require, left
early when the talent departed or is employed elsewhere.
"""

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, require
from rencai.core.errors import DomainError, ErrorCode, Problem, problem
from rencai.core.regions import QUZHOU
from rencai.recruitment.choices import (
    LIVE_REFERRAL_STATES,
    Channel,
    LeadOutcome,
    PlacementState,
    ReferralState,
)
from rencai.recruitment.models import Lead, Placement, Referral
from rencai.registry.choices import PlatformKind, TalentStatus
from rencai.registry.models import Employment, Enterprise, PlatformMembership, ProjectMember, Talent

# A direct arrival (no referral, lead or project) is picked up by the daily run when its employment began
# within this many days: older employment is the registry's history, not an arrival
ARRIVAL_WINDOW_DAYS = 366
DEFAULT_MONTHS_REQUIRED = 12
HELD_STATES = (PlacementState.CONFIRMED, PlacementState.RETAINED)


@dataclass
class ConfirmReport:
    """What one run of `placements_confirm` did."""

    created: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    not_confirmed: int = 0  # candidates (referrals, leads, project members) the registry does not confirm

    def as_dict(self) -> dict:
        return {"created": self.created, "by_channel": self.by_channel, "not_confirmed": self.not_confirmed}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


# -- what the registry shows ----------------------------------------------------------------------------


def _in_quzhou(talent: Talent) -> bool:
    """In Quzhou (a region under 330800) or one of its enclaves (an enclave platform serving Quzhou)."""
    if f"{QUZHOU}/" in talent.region.path:
        return True
    return PlatformMembership.objects.filter(
        talent=talent, platform__kind=PlatformKind.ENCLAVE, platform__region__path__contains=f"{QUZHOU}/"
    ).exists()


def _open_employment(talent: Talent, enterprise: Enterprise) -> Employment | None:
    return (
        Employment.objects.filter(talent=talent, enterprise=enterprise, ended_on__isnull=True)
        .order_by("-started_on")
        .first()
    )


def registry_lacks(talent: Talent, enterprise: Enterprise) -> list[Problem]:
    """What the registry lacks for `talent` to be placed at `enterprise` (empty: the arrival is confirmed).

    The talent's current employer is the fact (what an import or the talent form records); an open
    employment in the history, when there is one, only dates the arrival (`_place`)."""
    lacks = []
    if talent.status != TalentStatus.ACTIVE:
        lacks.append(
            problem("status", "人才库显示该人才已离开衢州", "The registry shows the talent has left Quzhou")
        )
    if talent.current_employer_id != enterprise.pk:
        lacks.append(
            problem(
                "current_employer",
                f"人才库中该人才的现工作单位不是{enterprise.name}",
                f"The registry does not show {enterprise.name} as the talent's current employer",
            )
        )
    if not _in_quzhou(talent):
        lacks.append(
            problem(
                "region",
                "人才库显示该人才不在衢州及其人才飞地",
                "The registry does not place the talent in Quzhou or one of its enclaves",
            )
        )
    return lacks


def _end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after `day` in the local time zone."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def _attribution(talent: Talent, enterprise: Enterprise, arrived_on: dt.date) -> dict:
    """The channel that brought `talent` to `enterprise`: referral, event, station, project, else direct.
    Only a referral or a lead made on or before the day of arrival brought the talent: one made after the
    person already worked there brought nobody, so it is never credited (nor paid)."""
    before = _end_of_day(arrived_on)
    referral = (
        Referral.objects.filter(
            enterprise=enterprise,
            person_index=talent.id_number_index,
            state__in=LIVE_REFERRAL_STATES,
            created_at__lt=before,
        )
        .order_by("created_at", "pk")
        .first()
    )
    if referral is not None:
        return {"channel": Channel.REFERRAL, "referral": referral, "demand_id": referral.demand_id}
    lead = (
        Lead.objects.filter(
            enterprise=enterprise, candidate__id_number_index=talent.id_number_index, created_at__lt=before
        )
        .exclude(outcome=LeadOutcome.DECLINED)
        .order_by("created_at", "pk")
        .first()
    )
    if lead is not None:
        channel = Channel.EVENT if lead.event_id else Channel.STATION
        return {"channel": channel, "lead": lead, "demand_id": lead.demand_id}
    member = ProjectMember.objects.filter(talent=talent).select_related("project").order_by("pk").first()
    if member is not None:
        return {"channel": Channel.PROJECT, "project": member.project}
    return {"channel": Channel.DIRECT}


def _place(talent: Talent, enterprise: Enterprise, today: dt.date) -> Placement | None:
    """The confirmed placement of `talent` at `enterprise`, created with its attribution (None: it
    already existed, created meanwhile by another run). The caller has checked the registry."""
    employment = _open_employment(talent, enterprise)
    arrived_on = employment.started_on if employment else talent.arrival_date
    found = _attribution(talent, enterprise, arrived_on)
    referral: Referral | None = found.get("referral")
    try:
        with transaction.atomic():
            placement = Placement.objects.create(
                talent=talent,
                enterprise=enterprise,
                region=enterprise.region,
                demand_id=found.get("demand_id"),
                channel=found["channel"],
                referral=referral,
                lead=found.get("lead"),
                project=found.get("project"),
                arrived_on=arrived_on,
                confirmed_on=today,
                state=PlacementState.CONFIRMED,
                tier=talent.tier or "",
            )
    except IntegrityError:  # one placement per talent and enterprise: a twin run placed it first
        return None
    if referral is not None:
        Referral.objects.filter(pk=referral.pk).update(state=ReferralState.PLACED, updated_at=timezone.now())
        from rencai.recruitment.services.demands import demand_filled

        demand_filled(referral.demand_id)
    if found.get("lead") is not None:
        Lead.objects.filter(pk=found["lead"].pk).update(outcome=LeadOutcome.HIRED, updated_at=timezone.now())
    return placement


# -- services ---------------------------------------------------------------------------------------------


def placement_confirm_for(*, actor: User, talent: Talent, enterprise: Enterprise) -> Placement:
    """Confirm one arrival against the registry (an officer's check after an enterprise reports it): the
    placement, existing or new, or refused with NOT_CONFIRMED listing what the registry lacks."""
    require(actor, Action.MANAGE_RECRUITMENT, enterprise)
    existing = Placement.objects.filter(talent=talent, enterprise=enterprise).first()
    if existing is not None:
        return existing
    talent = Talent.objects.select_related("region").get(pk=talent.pk)
    lacks = registry_lacks(talent, enterprise)
    if lacks:
        raise DomainError(
            ErrorCode.NOT_CONFIRMED,
            "人才库无法核实该人才到岗：" + "；".join(p["message_zh"] for p in lacks),
            "The registry does not confirm the arrival: " + "; ".join(p["message_en"] for p in lacks),
            details=list(lacks),
        )
    today = timezone.localdate()
    with transaction.atomic():
        placement = _place(talent, enterprise, today)
        if placement is None:
            return Placement.objects.get(talent=talent, enterprise=enterprise)
        audit.record_creation(actor=actor, action="recruitment.placement.confirm", obj=placement)
    return placement


def _candidate_pairs(today: dt.date) -> set[tuple[int, int]]:
    """(talent, enterprise) pairs worth checking: employed talents matching a live referral or a lead of
    that enterprise, project members employed by their project's company, and recent direct arrivals."""
    employed = Talent.objects.filter(status=TalentStatus.ACTIVE, current_employer__isnull=False)
    pairs: set[tuple[int, int]] = set()
    # a referral or a lead counts for its own enterprise only: (person, enterprise) must match the registry
    wanted = set(
        Referral.objects.filter(state__in=(ReferralState.REFERRED, ReferralState.INTERVIEWED)).values_list(
            "person_index", "enterprise_id"
        )
    ) | set(
        Lead.objects.exclude(outcome__in=(LeadOutcome.DECLINED, LeadOutcome.HIRED)).values_list(
            "candidate__id_number_index", "enterprise_id"
        )
    )
    for chunk in _chunks(sorted({index for index, _ in wanted}), 5000):
        for pk, index, employer in employed.filter(id_number_index__in=chunk).values_list(
            "pk", "id_number_index", "current_employer_id"
        ):
            if (index, employer) in wanted:
                pairs.add((pk, employer))
    pairs.update(
        ProjectMember.objects.filter(
            talent__status=TalentStatus.ACTIVE, talent__current_employer=F("project__company")
        ).values_list("talent_id", "talent__current_employer_id")
    )
    since = today - dt.timedelta(days=ARRIVAL_WINDOW_DAYS)
    pairs.update(
        Employment.objects.filter(
            ended_on__isnull=True,
            started_on__gte=since,
            started_on__lte=today,
            talent__status=TalentStatus.ACTIVE,
            talent__current_employer=F("enterprise"),
        ).values_list("talent_id", "enterprise_id")
    )
    # a talent registered as arriving recently with an employer (an import or the form, no history row)
    pairs.update(
        employed.filter(arrival_date__gte=since, arrival_date__lte=today).values_list(
            "pk", "current_employer_id"
        )
    )
    placed = set(Placement.objects.values_list("talent_id", "enterprise_id"))
    return pairs - placed


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def placements_confirm(*, today: dt.date | None = None) -> ConfirmReport:
    """Create the placements the registry now confirms (after a registry import, and daily); idempotent:
    a second run finds every confirmed pair placed and creates nothing."""
    today = today or timezone.localdate()
    report = ConfirmReport()
    pairs = _candidate_pairs(today)
    talents = Talent.objects.select_related("region").in_bulk([t for t, _ in pairs])
    enterprises = Enterprise.objects.select_related("region").in_bulk([e for _, e in pairs])
    with transaction.atomic():
        for talent_id, enterprise_id in sorted(pairs):
            talent, enterprise = talents[talent_id], enterprises[enterprise_id]
            if registry_lacks(talent, enterprise):
                report.not_confirmed += 1
                continue
            placement = _place(talent, enterprise, today)
            if placement is not None:
                report.created += 1
                report.by_channel[placement.channel] = report.by_channel.get(placement.channel, 0) + 1
        if report.created:
            audit.record(
                actor=None,
                action="recruitment.placements.confirm",
                object_type="recruitment.placement",
                detail=report.as_dict(),
            )
    return report


def placements_review(today: dt.date | None = None) -> dict:
    """Follow the registry after arrival: a confirmed placement whose talent departed or is employed
    elsewhere is left early (`left_on` from the registry); one still there after the months its schemes
    require is retained. Idempotent (only confirmed placements move, each once)."""
    today = today or timezone.localdate()
    confirmed = Placement.objects.filter(state=PlacementState.CONFIRMED)
    gone = confirmed.filter(
        Q(talent__status=TalentStatus.DEPARTED)
        | ~Q(talent__current_employer=F("enterprise"))
        | Q(talent__current_employer__isnull=True)
    )
    left = 0
    with transaction.atomic():
        for placement in gone.select_related("talent").select_for_update(of=("self",)):
            ended = (
                Employment.objects.filter(
                    talent_id=placement.talent_id, enterprise_id=placement.enterprise_id
                )
                .exclude(ended_on__isnull=True)
                .aggregate(last=Max("ended_on"))["last"]
            )
            left_on = placement.talent.departed_on or ended or today
            before = audit.snapshot(placement)
            placement.state, placement.left_on = PlacementState.LEFT_EARLY, left_on
            placement.save(update_fields=["state", "left_on", "updated_at"])
            audit.record_change(
                actor=None, action="recruitment.placement.left_early", obj=placement, before=before
            )
            left += 1
        # the longest stay any scheme rewarding the placement requires (12 months when none does)
        staying = confirmed.filter(arrived_on__lte=add_months(today, -1)).annotate(
            months=Max("rewards__scheme__months_required")
        )
        retained_ids = [
            pk
            for pk, arrived, months in staying.values_list("pk", "arrived_on", "months")
            if add_months(arrived, months or DEFAULT_MONTHS_REQUIRED) <= today
        ]
        retained = 0
        for chunk in _chunks(retained_ids, 5000):
            retained += Placement.objects.filter(pk__in=chunk, state=PlacementState.CONFIRMED).update(
                state=PlacementState.RETAINED, updated_at=timezone.now()
            )
        if retained:
            audit.record(
                actor=None,
                action="recruitment.placements.retained",
                object_type="recruitment.placement",
                detail={"retained": retained, "on": today.isoformat()},
            )
    return {"left_early": left, "retained": retained}
