"""Every write to the achievements (成果) registry: one input path for form, API and import, audited.

An achievement is held by one or more talents, named by ID number (through the blind index) or by talent
number, each of whom the actor must be able to see. Its region is the one given, or the first holder's.
"""

import datetime as dt
import re
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, require, visible_to
from rencai.core.errors import NotFound, Problem, ValidationFailed, problem
from rencai.core.masking import mask_id_number
from rencai.core.models import Region
from rencai.core.pii import id_number_index
from rencai.registry import choices as c
from rencai.registry.models import Achievement, AchievementHolder, Enterprise, Talent
from rencai.registry.services import writable_regions

# Holders in one cell or field: separated by 、 ; ； , ， or spaces
HOLDER_SEPARATORS = re.compile(r"[、;；,，\s]+")
TALENT_NUMBER = re.compile(r"^#?\d{1,12}$")  # a talent number (人才编号); an ID number is 18 characters
TITLE_MAX = Achievement._meta.get_field("title").max_length or 200
REFERENCE_MAX = Achievement._meta.get_field("reference").max_length or 64
AMOUNT_LIMIT = Decimal("1000000000000")  # the column's 14 digits, 2 after the point
MAX_HOLDERS = 50
REFERENCE_TAKEN = (
    "该类别下此编号的成果已登记，请修改已有记录",
    "An achievement of this kind with this number is already registered; change that record instead",
)


def split_holders(text: str) -> list[str]:
    """The holder tokens of a cell or field, in order (rank 1 first)."""
    return [token for token in HOLDER_SEPARATORS.split(text or "") if token]


@dataclass
class AchievementInput:
    """What a form, the API or an import row gives to record or change an achievement."""

    kind: str
    title: str
    achieved_on: dt.date | None  # None when an import row leaves it blank: clean_achievement refuses it
    holders: list[str]  # ID numbers or talent numbers, first holder first
    reference: str = ""
    amount: Decimal | str | None = None
    level: str = ""
    enterprise_credit_code: str = ""
    region_code: str = ""  # blank: the first holder's region


@dataclass(frozen=True)
class Holder:
    talent_id: int
    region_id: int


@dataclass
class AchievementContext:
    """What cleaning needs about the actor: regions they may write, enterprises and talents they see."""

    regions: dict[str, Region]  # writable, by code
    enterprises: dict[str, int]  # visible, by credit code
    talents: dict[str, Holder] = field(default_factory=dict)  # visible, by holder token


@dataclass
class CleanAchievement:
    values: dict  # model attribute -> value
    holder_ids: list[int]  # talent ids, rank order

    @property
    def key(self) -> tuple[str, str]:
        return self.values["kind"], self.values["reference"]


def achievement_context(actor: User, tokens: set[str]) -> AchievementContext:
    """The context for cleaning inputs that name these holder tokens (a few queries for a whole file)."""
    return AchievementContext(
        regions=writable_regions(actor),
        enterprises=dict(visible_to(actor, Enterprise.objects.all()).values_list("credit_code", "pk")),
        talents=_holders_named(actor, tokens),
    )


def _holders_named(actor: User, tokens: set[str]) -> dict[str, Holder]:
    by_index = {id_number_index(t.upper()): t for t in tokens if not TALENT_NUMBER.match(t)}
    by_number = {int(t.lstrip("#")): t for t in tokens if TALENT_NUMBER.match(t)}
    found: dict[str, Holder] = {}
    talents = visible_to(actor, Talent.objects.all())
    indexes, numbers = sorted(by_index), sorted(by_number)
    for start in range(0, max(len(indexes), len(numbers)), 500):
        condition = Q(id_number_index__in=indexes[start : start + 500]) | Q(
            pk__in=numbers[start : start + 500]
        )
        for pk, index, region_id in talents.filter(condition).values_list(
            "pk", "id_number_index", "region_id"
        ):
            if index in by_index:
                found[by_index[index]] = Holder(pk, region_id)
            if pk in by_number:
                found[by_number[pk]] = Holder(pk, region_id)
    return found


def _shown(token: str) -> str:
    """A holder token as a message may repeat it: an ID number masked, a talent number as given."""
    return token if TALENT_NUMBER.match(token) else mask_id_number(token.upper())


def _text_problems(data: AchievementInput) -> list[Problem]:
    problems = [
        problem(item.name, "含有不可见的空字符（NUL），请删除", "Contains a NUL character; remove it")
        for item in fields(data)
        if isinstance(getattr(data, item.name), str) and "\x00" in getattr(data, item.name)
    ]
    title = (data.title or "").strip()
    if not title:
        problems.append(problem("title", "成果名称不能为空", "The title is required"))
    elif len(title) > TITLE_MAX:
        problems.append(
            problem(
                "title", f"成果名称过长（最多{TITLE_MAX}个字符）", f"Title too long (at most {TITLE_MAX})"
            )
        )
    if len((data.reference or "").strip()) > REFERENCE_MAX:
        problems.append(
            problem(
                "reference",
                f"编号过长（最多{REFERENCE_MAX}个字符）",
                f"Number too long (at most {REFERENCE_MAX} characters)",
            )
        )
    if data.kind not in c.AchievementKind.values:
        problems.append(
            problem("kind", f"成果类别无效：{data.kind}", f"Unknown achievement kind: {data.kind}")
        )
    if data.level not in ("", *c.ProgrammeLevel.values):
        problems.append(problem("level", f"级别无效：{data.level}", f"Unknown level: {data.level}"))
    return problems


def _date_problems(achieved_on: dt.date | None) -> list[Problem]:
    if not isinstance(achieved_on, dt.date):
        return [problem("achieved_on", "成果日期无效或未填写", "The date is missing or invalid")]
    if achieved_on > dt.date.today():
        return [problem("achieved_on", "成果日期不能晚于今天", "The date cannot be in the future")]
    return []


def _amount(value: Decimal | str | None, problems: list[Problem]) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        problems.append(problem("amount", f"金额无法识别：{value}", f"Cannot read the amount: {value}"))
        return None
    if not amount.is_finite() or amount < 0 or amount >= AMOUNT_LIMIT:
        problems.append(
            problem(
                "amount",
                "金额须为不小于0且小于一万亿的数（元）",
                "The amount must be 0 or more yuan, below 10^12",
            )
        )
        return None
    return amount.quantize(Decimal("0.01"))


def _holders(tokens: list[str], context: AchievementContext, problems: list[Problem]) -> list[Holder]:
    if not tokens:
        problems.append(problem("holders", "请至少填写一位持有人", "Name at least one holder"))
        return []
    if len(tokens) > MAX_HOLDERS:
        problems.append(problem("holders", f"持有人最多{MAX_HOLDERS}位", f"At most {MAX_HOLDERS} holders"))
        return []
    holders: list[Holder] = []
    for rank, token in enumerate(tokens, start=1):
        holder = context.talents.get(token)
        if holder is None:
            problems.append(
                problem(
                    "holders",
                    f"第{rank}位持有人（{_shown(token)}）未登记或不在您的权限范围内",
                    f"Holder {rank} ({_shown(token)}) is not registered or is outside your scope",
                )
            )
        elif holder in holders:
            problems.append(
                problem("holders", f"第{rank}位持有人与前面重复", f"Holder {rank} is named twice")
            )
        else:
            holders.append(holder)
    return holders


def clean_achievement(data: AchievementInput, context: AchievementContext) -> CleanAchievement:
    """Validate one achievement's input; raise ValidationFailed listing every problem at once."""
    problems = [*_text_problems(data), *_date_problems(data.achieved_on)]
    amount = _amount(data.amount, problems)
    holders = _holders([t.strip() for t in data.holders if t.strip()], context, problems)
    enterprise_id = None
    code = (data.enterprise_credit_code or "").strip().upper()
    if code:
        enterprise_id = context.enterprises.get(code)
        if enterprise_id is None:
            problems.append(
                problem(
                    "enterprise_credit_code",
                    f"单位 {code} 未登记或不在您的权限范围内",
                    f"Enterprise {code} is not registered or is outside your scope",
                )
            )
    region_id = _region_id(data.region_code, holders, context, problems)
    if problems:
        raise ValidationFailed(problems)
    values = {
        "kind": data.kind,
        "title": data.title.strip(),
        "reference": (data.reference or "").strip().upper(),
        "achieved_on": data.achieved_on,
        "amount": amount,
        "level": data.level,
        "enterprise_id": enterprise_id,
        "region_id": region_id,
    }
    return CleanAchievement(values=values, holder_ids=[h.talent_id for h in holders])


def _region_id(
    code: str, holders: list[Holder], context: AchievementContext, problems: list[Problem]
) -> int | None:
    code = (code or "").strip()
    if code:
        region = context.regions.get(code)
        if region is None:
            problems.append(
                problem(
                    "region",
                    f"区划代码 {code} 不在本系统或不在您的权限范围内",
                    f"Region {code} is unknown or outside your scope",
                )
            )
            return None
        return region.pk
    if not holders:
        return None  # the missing holder is the problem already said
    writable = {region.pk for region in context.regions.values()}
    if holders[0].region_id not in writable:
        problems.append(
            problem(
                "region",
                "第一持有人所在区划不在您的权限范围内，请填写成果所在区划",
                "The first holder's region is outside your scope; give the achievement's region",
            )
        )
    return holders[0].region_id


def _context_for(actor: User, data: AchievementInput, keep: list[int] | None = None) -> AchievementContext:
    """The context for one input; `keep` are the achievement's current holders, who may stay holders
    by talent number even when registered outside the actor's scope (a co-holder in another county)."""
    context = achievement_context(actor, {t.strip() for t in data.holders if t.strip()})
    for pk, region_id in Talent.objects.filter(pk__in=keep or []).values_list("pk", "region_id"):
        for token in (str(pk), f"#{pk}"):
            context.talents.setdefault(token, Holder(pk, region_id))
    return context


def _reference_taken(values: dict, *, exclude: int | None = None) -> bool:
    if not values["reference"]:
        return False
    same = Achievement.objects.filter(kind=values["kind"], reference=values["reference"])
    return same.exclude(pk=exclude).exists() if exclude else same.exists()


def _save(achievement: Achievement) -> None:
    """Save, turning the race on the (kind, reference) constraint into the same problem as the check."""
    try:
        with transaction.atomic():
            achievement.save()
    except IntegrityError:
        raise ValidationFailed([problem("reference", *REFERENCE_TAKEN)]) from None


def _set_holders(achievement: Achievement, talent_ids: list[int]) -> None:
    AchievementHolder.objects.filter(achievement=achievement).delete()
    AchievementHolder.objects.bulk_create(
        AchievementHolder(achievement=achievement, talent_id=talent_id, rank=rank)
        for rank, talent_id in enumerate(talent_ids, start=1)
    )


def holder_ids_of(achievement: Achievement) -> list[int]:
    return list(achievement.holders.order_by("rank").values_list("talent_id", flat=True))


@transaction.atomic
def achievement_create(*, actor: User, data: AchievementInput) -> Achievement:
    require(actor, Action.EDIT_REGISTRY)
    clean = clean_achievement(data, _context_for(actor, data))
    if _reference_taken(clean.values):
        raise ValidationFailed([problem("reference", *REFERENCE_TAKEN)])
    achievement = Achievement(**clean.values)
    _save(achievement)
    _set_holders(achievement, clean.holder_ids)
    audit.record_creation(
        actor=actor,
        action="registry.achievement.create",
        obj=achievement,
        detail={"holders": clean.holder_ids},
    )
    return achievement


def _visible_for_update(actor: User, achievement_id: int) -> Achievement:
    queryset = visible_to(actor, Achievement.objects.select_for_update()).filter(pk=achievement_id)
    achievement = queryset.first()
    if achievement is None:
        raise NotFound()
    return achievement


@transaction.atomic
def achievement_update(*, actor: User, achievement_id: int, data: AchievementInput) -> Achievement:
    require(actor, Action.EDIT_REGISTRY)
    achievement = _visible_for_update(actor, achievement_id)
    require(actor, Action.EDIT_REGISTRY, achievement)
    clean = clean_achievement(data, _context_for(actor, data, keep=holder_ids_of(achievement)))
    if _reference_taken(clean.values, exclude=achievement.pk):
        raise ValidationFailed([problem("reference", *REFERENCE_TAKEN)])
    before, holders_before = audit.snapshot(achievement), holder_ids_of(achievement)
    for key, value in clean.values.items():
        setattr(achievement, key, value)
    _save(achievement)  # touches updated_at: the feature frame re-reads its holders
    if clean.holder_ids != holders_before:
        _set_holders(achievement, clean.holder_ids)
    audit.record_change(
        actor=actor,
        action="registry.achievement.update",
        obj=achievement,
        before=before,
        detail={"holders_before": holders_before, "holders": clean.holder_ids},
    )
    return achievement


@transaction.atomic
def achievement_delete(*, actor: User, achievement_id: int) -> None:
    require(actor, Action.EDIT_REGISTRY)
    achievement = _visible_for_update(actor, achievement_id)
    require(actor, Action.EDIT_REGISTRY, achievement)
    audit.record(
        actor=actor,
        action="registry.achievement.delete",
        obj=achievement,
        detail={"before": audit.snapshot(achievement), "holders": holder_ids_of(achievement)},
    )
    achievement.delete()  # its holders go with it (CASCADE)
