"""Who takes part in an application and how they are told: applicants, window officers, departments."""

from rencai.accounts.models import User
from rencai.core.access import Action, holders, region_ancestor_ids
from rencai.core.errors import DomainError, ErrorCode
from rencai.core.models import Region
from rencai.core.notifications import notify
from rencai.onestop.models import Application
from rencai.registry.models import Department


def _link(application: Application) -> str:
    return f"/services/applications/{application.pk}/"


def _applicant_users(application: Application) -> list[User]:
    users: list[User] = []
    account = application.talent.account  # None, without a query, when the talent has no account
    if account is not None:
        users.append(account)
    if application.enterprise_id:
        users += list(
            User.objects.filter(
                holders(Action.APPLY_FOR_EMPLOYEE), enterprise_id=application.enterprise_id, is_active=True
            )
        )
    return users


def _window_officers(application: Application) -> list[User]:
    """The officers of the application's region; without any, those of the regions above."""
    if application.window_officer is not None:  # no query when unset
        return [application.window_officer]
    ancestors = Region.objects.filter(pk__in=region_ancestor_ids(application.region_id)).order_by("-path")
    for region_id in ancestors.values_list("pk", flat=True):
        officers = list(
            User.objects.filter(holders(Action.WORK_AT_WINDOW), region_id=region_id, is_active=True)
        )
        if officers:
            return officers
    return []


def _department_users(department: Department) -> list[User]:
    return list(User.objects.filter(holders(Action.DECIDE_STEP), department=department, is_active=True))


def _tell(users, *, subject: str, body: str, link: str = "", kind: str) -> None:
    for user in {u.pk: u for u in users}.values():
        notify(recipient=user, subject=subject, body=body, link=link, kind=kind)


def department_for(kind: str, region) -> Department:
    """The department of `kind` nearest to `region` (its own, else the one above: e.g. the city's
    housing-fund centre)."""
    candidates = Department.objects.filter(
        kind=kind, region_id__in=region_ancestor_ids(region.pk)
    ).select_related("region")
    department = max(candidates, key=lambda d: len(d.region.path), default=None)
    if department is None:
        raise DomainError(
            ErrorCode.NO_DEPARTMENT,
            f"{region.name}没有可办理该环节的部门（{kind}）",
            f"No department of kind '{kind}' serves {region.name_en or region.code}",
        )
    return department
