"""Policies API (/api/policies/): policies and versions, drafts, rule validation, issue and withdraw,
simulation, explanations, a talent's own benefits and match runs. Thin: selectors read, services write,
errors are domain exceptions rendered as JSON by the NinjaAPI.
"""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from rencai.core.access import Action, require
from rencai.core.errors import DomainError, ErrorCode, NotFound, ValidationFailed
from rencai.core.pagination import LimitOffsetPagination
from rencai.core.schemas import CONFLICT, NOT_FOUND, REFUSED, Day, Id, Limit, Note, Offset, Reason, errors
from rencai.policies import selectors, services
from rencai.policies.benefits import benefits_of, explain_version
from rencai.policies.models import Policy, PolicyVersion, VersionStatus
from rencai.policies.simulation import simulate_version
from rencai.registry import selectors as registry_selectors

router = Router(tags=["policies"])

READ = errors(NOT_FOUND)
WRITE = errors(REFUSED, NOT_FOUND, CONFLICT)  # 400/409: a version in the wrong state, overlapping dates
# The largest budget the columns hold (14 digits, 2 after the point): more would break every page of the
# policy. `services` refuses it too; here the schema states it and the caller hears it before any service.
BUDGET_MAX = Decimal("999999999999.99")


def _budget_in_range(value: Decimal) -> Decimal:
    if not value.is_finite() or value > BUDGET_MAX:
        raise PydanticCustomError(
            "budget_range",
            f"The budget is out of range: at most {BUDGET_MAX} yuan",
            {"zh": f"预算超出范围，最多为{BUDGET_MAX}元"},
        )
    if value < 0:
        raise PydanticCustomError("budget_negative", "A budget cannot be negative", {"zh": "预算不能为负数"})
    return value


# a JSON number, or the same as text (as pydantic reads decimals), 0 to BUDGET_MAX yuan
BUDGET_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": float(BUDGET_MAX)},
        {"type": "string", "pattern": r"^0*([0-9]{1,12}(\.[0-9]{0,2})?|\.[0-9]{1,2})$"},
    ]
}
Budget = Annotated[Decimal, WithJsonSchema(BUDGET_SCHEMA), AfterValidator(_budget_in_range)]


class EntitlementPagination(LimitOffsetPagination):
    """core's limit/offset pagination with its bounds stated in the OpenAPI document."""

    class Input(Schema):
        limit: Limit = 100
        offset: Offset = 0


# -- schemas -------------------------------------------------------------------------------------


class VersionOut(Schema):
    id: int
    number: int
    status: str
    effective_from: dt.date
    effective_to: dt.date | None
    eligibility_rule: str
    amount_rule: str
    budget_total: Decimal | None
    budget_per_year: Decimal | None
    note: str


class BudgetOut(Schema):
    total: Decimal | None
    per_year: Decimal | None
    used_total: Decimal
    used_year: Decimal
    remaining: Decimal | None


class PolicyOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    region: str
    is_proactive: bool
    exclusivity_group: str
    overrides: str | None
    version_in_force: VersionOut | None
    counts: dict[str, int]
    budget: BudgetOut
    replaced_here_by: str | None


class PolicyDetailOut(PolicyOut):
    summary: str
    versions: list[VersionOut]


class DraftIn(Schema):
    """A draft's rules (checked when it is issued or simulated), dates and budgets; `effective_to` on or
    after `effective_from` (a cross-field rule the service checks)."""

    eligibility_rule: Note
    amount_rule: Note = "0"
    effective_from: Day
    effective_to: Day | None = None
    budget_total: Budget | None = None
    budget_per_year: Budget | None = None
    note: Note = ""


class RuleIn(Schema):
    rule: Note
    expect: Literal["bool", "number"] = "bool"  # eligibility or amount


class RuleProblemOut(Schema):
    """A problem of a rule at its line and column (named apart from core's ProblemOut: one name, one shape
    in the OpenAPI document)."""

    code: str
    line: int
    column: int
    message_zh: str
    message_en: str


class ValidationOut(Schema):
    valid: bool
    problems: list[RuleProblemOut]


class WithdrawIn(Schema):
    reason: Reason


class EntitlementOut(Schema):
    id: int
    talent_id: int
    policy: str
    status: str
    amount: Decimal
    version: int
    evaluation_date: dt.date
    queue_position: int | None

    @staticmethod
    def resolve_policy(obj) -> str:
        return obj["policy"] if isinstance(obj, dict) else obj.policy.code

    @staticmethod
    def resolve_version(obj) -> int:
        return obj["version"] if isinstance(obj, dict) else obj.policy_version.number


class BenefitOut(Schema):
    """One policy in force where the talent lives, explained to the talent (in the second person)."""

    policy: str
    name: str
    version: int
    eligible: bool
    amount: int | float
    entitlement: EntitlementOut | None
    missing_zh: list[str] = Field(
        description="What is missing, in sentences addressed to the talent (需要：学历达到硕士及以上); "
        "empty when eligible"
    )
    missing_en: list[str] = Field(description="What is missing, in English sentences")
    explanation: dict[str, Any] = Field(
        description="Explanation.as_dict(voice='second'): each test clause carries its compact "
        "text_zh/text_en and its sentence_zh/sentence_en; needs_zh/needs_en list what is missing"
    )


class MatchRunOut(Schema):
    id: int | None = None
    task_id: str
    status: str
    result: dict | None = None


# -- helpers -------------------------------------------------------------------------------------


def _version(version: PolicyVersion | None) -> dict | None:
    if version is None:
        return None
    return {
        field: getattr(version, field)
        for field in (
            "id",
            "number",
            "status",
            "effective_from",
            "effective_to",
            "eligibility_rule",
            "amount_rule",
            "budget_total",
            "budget_per_year",
            "note",
        )
    }


def _policy(row: selectors.PolicyRow) -> dict:
    policy, budget = row.policy, row.budget
    return {
        "id": policy.pk,
        "code": policy.code,
        "name": policy.name,
        "kind": policy.kind,
        "region": policy.region.code,
        "is_proactive": policy.is_proactive,
        "exclusivity_group": policy.exclusivity_group,
        "overrides": policy.overrides.code if policy.overrides_id else None,
        "version_in_force": _version(row.in_force),
        "counts": row.counts,
        "budget": {
            "total": budget.total,
            "per_year": budget.per_year,
            "used_total": budget.used_total,
            "used_year": budget.used_year,
            "remaining": budget.remaining,
        },
        "replaced_here_by": row.replaced_by.code if row.replaced_by else None,
    }


def _row(user, policy: Policy) -> selectors.PolicyRow:
    rows = selectors.policy_rows(user, timezone.localdate(), q=policy.code)
    return next(row for row in rows if row.policy.pk == policy.pk)


def _entitlement(e) -> dict:
    return {
        "id": e.pk,
        "talent_id": e.talent_id,
        "policy": e.policy.code,
        "status": e.status,
        "amount": e.amount,
        "version": e.policy_version.number,
        "evaluation_date": e.evaluation_date,
        "queue_position": e.queue_position,
    }


# -- policies and versions -----------------------------------------------------------------------


@router.get(
    "/",
    response={200: list[PolicyOut], **READ},
    summary="Policies visible to the user, with counts and budget",
)
def list_policies(request, kind: str = "", q: str = ""):
    return [_policy(row) for row in selectors.policy_rows(request.auth, timezone.localdate(), kind=kind, q=q)]


@router.get(
    "/mine",
    response={200: list[BenefitOut], **READ},
    summary="My benefits (talent): every policy in force here, explained",
)
def my_benefits(request):
    talent = selectors.own_talent(request.auth)
    lines = []
    for line in benefits_of(talent):
        # the talent's own: sentences and needs addressed to them ("您的学历为博士…"), never notation
        explanation = line.explanation.as_dict(voice="second")
        lines.append(
            {
                "policy": line.version.policy.code,
                "name": line.version.policy.name,
                "version": line.version.number,
                "eligible": line.eligible,
                "amount": line.amount,
                "entitlement": _entitlement(line.entitlement) if line.entitlement else None,
                "missing_zh": explanation["needs_zh"],
                "missing_en": explanation["needs_en"],
                "explanation": explanation,
            }
        )
    return lines


@router.post(
    "/mine/{entitlement_id}/confirm", response={200: EntitlementOut, **WRITE}, summary="Confirm an offer"
)
def confirm_offer(request, entitlement_id: Id):
    entitlement = selectors.own_entitlement(request.auth, entitlement_id)
    confirmed = services.confirm_offer(actor=request.auth, entitlement=entitlement)
    return _entitlement(confirmed)


@router.post(
    "/rules/validate",
    response={200: ValidationOut, **READ},
    summary="Validate a rule (problems with line/column)",
)
def validate_rule(request, payload: RuleIn):
    expect = "number" if payload.expect == "number" else "bool"
    problems = services.check_rule_text(actor=request.auth, source=payload.rule, expect=expect)
    return {"valid": not problems, "problems": problems}


@router.get("/match-runs", response={200: list[dict], **READ}, summary="Recent finished match runs")
def list_match_runs(request):
    run = selectors.latest_match_run(request.auth)
    fields = ("id", "evaluation_date", "talents_evaluated", "versions_evaluated", "offered", "granted")
    more = ("queued", "flagged", "unchanged", "duration_ms")
    return [] if run is None else [{f: getattr(run, f) for f in fields + more}]


@router.post(
    "/match-runs", response={202: MatchRunOut, 200: MatchRunOut, **WRITE}, summary="Start a match run (city)"
)
def start_match_run(request):
    # the run a second call meets is the one under way (core.jobs): its task, never a second run
    job, _created = services.start_match_run(actor=request.auth)
    status = {"queued": "READY", "running": "RUNNING", "done": "SUCCESSFUL"}.get(job.state, "FAILED")
    body = {
        "task_id": job.task_id,
        "status": status,
        "result": job.result if status == "SUCCESSFUL" else None,
    }
    if body["result"]:
        body["id"] = body["result"]["run"]
    return Status(202 if job.is_active else 200, body)


@router.get("/{policy_id}", response={200: PolicyDetailOut, **READ}, summary="A policy with its versions")
def get_policy(request, policy_id: Id):
    user = request.auth
    policy = selectors.get_policy(user, policy_id)
    data = _policy(_row(user, policy))
    data.update(summary=policy.summary, versions=[_version(v) for v in selectors.versions_of(user, policy)])
    return data


@router.get("/{policy_id}/versions", response={200: list[VersionOut], **READ})
def list_versions(request, policy_id: Id):
    policy = selectors.get_policy(request.auth, policy_id)
    return [_version(v) for v in selectors.versions_of(request.auth, policy)]


@router.post("/{policy_id}/versions", response={201: VersionOut, **WRITE}, summary="Create a draft version")
def create_draft(request, policy_id: Id, payload: DraftIn):
    policy = selectors.get_policy(request.auth, policy_id)
    version = services.draft_version(actor=request.auth, policy=policy, **payload.dict())
    return Status(201, _version(version))


@router.get("/{policy_id}/entitlements", response={200: list[EntitlementOut], **READ})
@paginate(EntitlementPagination)
def list_entitlements(request, policy_id: Id, status: str = ""):
    policy = selectors.get_policy(request.auth, policy_id)
    return selectors.entitlements_for(request.auth, policy=policy, status=status).order_by("pk")


@router.get(
    "/{policy_id}/explain/{talent_id}",
    response={200: dict, **WRITE},
    summary="Explain a talent against a policy",
)
def explain(request, policy_id: Id, talent_id: Id, version_id: Id | None = None):
    user = request.auth
    policy = selectors.get_policy(user, policy_id)
    talent = registry_selectors.get_talent(user, talent_id)
    day = timezone.localdate()
    if version_id is not None:
        version = selectors.get_version(user, version_id)
        if version.policy_id != policy.pk:
            raise NotFound()
    else:
        version = selectors.version_in_force(policy, day) or selectors.versions_of(user, policy).first()
    if version is None:
        raise NotFound("该政策尚无可用版本", "The policy has no version")
    # a draft's rules are checked when it is issued: one that does not parse is explained by its problems
    problems = services.rule_problems(version.eligibility_rule, expect="bool") + services.rule_problems(
        version.amount_rule, expect="number"
    )
    if problems:
        raise ValidationFailed(problems, "规则有误，无法解释", "The rule is invalid and cannot be explained")
    return {
        "policy": policy.code,
        "talent_id": talent.pk,
        "version": version.number,
        "evaluation_date": day,
        **explain_version(talent, version, day).as_dict(),
    }


@router.get("/versions/{version_id}", response={200: VersionOut, **READ})
def get_version(request, version_id: Id):
    return _version(selectors.get_version(request.auth, version_id))


@router.put("/versions/{version_id}", response={200: VersionOut, **WRITE}, summary="Update a draft version")
def update_draft(request, version_id: Id, payload: DraftIn):
    version = selectors.get_version(request.auth, version_id)
    return _version(services.update_draft(actor=request.auth, version=version, **payload.dict()))


@router.post(
    "/versions/{version_id}/issue",
    response={200: VersionOut, **WRITE},
    summary="Issue a draft (valid rules only)",
)
def issue(request, version_id: Id):
    version = selectors.get_version(request.auth, version_id)
    return _version(services.issue_version(actor=request.auth, version=version))


@router.post("/versions/{version_id}/withdraw", response={200: VersionOut, **WRITE})
def withdraw(request, version_id: Id, payload: WithdrawIn):
    version = selectors.get_version(request.auth, version_id)
    return _version(services.withdraw_version(actor=request.auth, version=version, reason=payload.reason))


@router.post(
    "/versions/{version_id}/simulate",
    response={200: dict, **WRITE},
    summary="Simulate a draft against today's registry",
)
def simulate(request, version_id: Id, budget_total: Budget | None = None):
    user = request.auth
    version = selectors.get_version(user, version_id)
    require(user, Action.DRAFT_POLICY, version.policy)
    if version.status != VersionStatus.DRAFT:
        raise DomainError(ErrorCode.VERSION_NOT_DRAFT, "只能模拟草稿版本", "Only a draft can be simulated")
    simulation = simulate_version(version, budget_total=budget_total)
    data = simulation.result.as_dict()
    data["queued_ids"] = data["queued_ids"][:1000]
    return {
        "policy": version.policy.code,
        "version": version.number,
        "evaluation_date": simulation.evaluation_date,
        "current_version": simulation.current.number if simulation.current else None,
        **data,
    }
