"""Representative works (代表作): the few achievements a case is judged by, instead of counts."""

from django.db import transaction

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, require
from rencai.core.errors import DomainError, ErrorCode, Problem, ValidationFailed, problem
from rencai.evaluation.choices import CaseState
from rencai.evaluation.models import Case, CaseWork
from rencai.registry.models import AchievementHolder

# While the applicant may still change the application: before the employer confirms it, or returned
EDITABLE_STATES = frozenset({CaseState.DRAFT, CaseState.SUBMITTED, CaseState.RETURNED})
STATEMENT_MAX = 2000


def _works_problems(case: Case, choices: list[tuple[int, str]]) -> list[Problem]:
    problems = []
    limit = case.round.scheme.max_works
    if len(choices) > limit:
        problems.append(
            problem(
                "works",
                f"代表作最多{limit}件，已选{len(choices)}件",
                f"At most {limit} representative works; {len(choices)} chosen",
            )
        )
    held = set(
        AchievementHolder.objects.filter(
            talent_id=case.talent_id, achievement_id__in=[achievement for achievement, _ in choices]
        ).values_list("achievement_id", flat=True)
    )
    seen: set[int] = set()
    for number, (achievement_id, statement) in enumerate(choices, start=1):
        row = f"works.{number}"
        if achievement_id in seen:
            problems.append(problem(row, f"第{number}件代表作重复", f"Work {number} is chosen twice"))
        elif achievement_id not in held:
            problems.append(
                problem(
                    row,
                    f"第{number}件代表作不是申报人本人持有的成果",
                    f"Work {number} is not an achievement held by the applicant",
                )
            )
        seen.add(achievement_id)
        if not statement.strip():
            problems.append(
                problem(
                    row, f"请填写第{number}件代表作的本人贡献说明", f"Work {number}: state your contribution"
                )
            )
        elif len(statement) > STATEMENT_MAX:
            problems.append(
                problem(
                    row,
                    f"第{number}件代表作的贡献说明过长",
                    f"Work {number}: at most {STATEMENT_MAX} characters",
                )
            )
    return problems


@transaction.atomic
def case_works_set(*, actor: User, case: Case, choices: list[tuple[int, str]]) -> list[CaseWork]:
    """Replace the case's representative works with `choices` (achievement id, contribution statement), in
    order: at most the scheme's `max_works`, each held by the case's talent, only while the applicant may
    still change the application. All of it is stored or none."""
    require(actor, Action.APPLY_FOR_EVALUATION, case)
    case = Case.objects.select_for_update().select_related("round__scheme").get(pk=case.pk)
    if case.state not in EDITABLE_STATES:
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            f"申报已是“{case.get_state_display()}”状态，代表作不能再修改",
            "The representative works can no longer change: the application has moved on",
        )
    problems = _works_problems(case, choices)
    if problems:
        raise ValidationFailed(problems)
    before = list(case.works.values_list("achievement_id", flat=True))
    case.works.all().delete()
    works = CaseWork.objects.bulk_create(
        CaseWork(case=case, achievement_id=achievement_id, position=position, statement=statement.strip())
        for position, (achievement_id, statement) in enumerate(choices, start=1)
    )
    audit.record(
        actor=actor,
        action="evaluation.case.works",
        obj=case,
        detail={"before": before, "after": [achievement_id for achievement_id, _ in choices]},
    )
    return works
