"""The one-stop window: acceptance, the one correction notice (一次性告知) and resubmission."""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from rencai.accounts.models import User
from rencai.core.access import Action, require
from rencai.core.errors import DomainError, ErrorCode, Problem, ValidationFailed, problem
from rencai.onestop import selectors
from rencai.onestop.models import Application, ApplicationState, CorrectionNotice, Material, MaterialType
from rencai.onestop.services.applying import _visible
from rencai.onestop.services.departments import _start_departments
from rencai.onestop.services.materials import NewMaterial, _attach_library, _store_material
from rencai.onestop.services.parties import _applicant_users, _link, _tell, _window_officers
from rencai.onestop.statemachine import transition


def accept(
    *, actor: User, application: Application, comment: str = "", today: dt.date | None = None
) -> Application:
    """Accept at the window: every material must be there; the department steps open at once.

    `today` is the acceptance date the deadlines count from (default: today; a paper application received
    earlier may be entered with its real date)."""
    _visible(actor, application)
    require(actor, Action.WORK_AT_WINDOW)  # the application's visibility was just checked
    with transaction.atomic():
        missing = _attach_library(application)
        if missing:
            names = list(MaterialType.objects.filter(code__in=missing).values_list("name", flat=True))
            raise DomainError(
                ErrorCode.MATERIALS_MISSING,
                "材料不齐，请一次性告知补正：" + "、".join(names),
                "Materials are missing; return the application with one notice: " + ", ".join(missing),
            )
        application.window_officer = application.window_officer or actor
        transition(application, ApplicationState.ACCEPTED, actor=actor, comment=comment)
        _tell(
            _applicant_users(application),
            subject=f"申请已受理：{application.item.name}",
            body=f"您的“{application.item.name}”申请已受理，正在转相关部门办理。",
            link=_link(application),
            kind="onestop.accepted",
        )
        _start_departments(application, actor=actor, today=today)
    return application


@dataclass(frozen=True)
class NoticeItem:
    material_type: str  # code
    problem: str  # "missing" or "wrong"
    note: str = ""


def return_with_notice(
    *, actor: User, application: Application, items: list[NoticeItem], note: str = ""
) -> CorrectionNotice:
    """Return the application once, listing everything missing or wrong (一次性告知)."""
    _visible(actor, application)
    require(actor, Action.WORK_AT_WINDOW)  # the application's visibility was just checked
    problems = _notice_problems(items)
    if problems:
        raise ValidationFailed(problems)
    types = {t.code: t for t in MaterialType.objects.filter(code__in=[i.material_type for i in items])}
    with transaction.atomic():
        application.window_officer = actor
        transition(application, ApplicationState.RETURNED, actor=actor, comment=note)
        try:
            with transaction.atomic():
                notice = CorrectionNotice.objects.create(
                    application=application,
                    officer=actor,
                    note=note,
                    items=[
                        {"material_type": i.material_type, "name": types[i.material_type].name,
                         "problem": i.problem, "note": i.note}
                        for i in items
                    ],
                )  # fmt: skip
        except IntegrityError:
            raise DomainError(
                ErrorCode.NOTICE_EXISTS,
                "已一次性告知过补正事项，不能再次退回",
                "A correction notice was already issued; the application cannot be returned again",
            ) from None
        lines = "\n".join(
            f"{n}. {item['name']}：{'缺少' if item['problem'] == 'missing' else '有误'}"
            + (f"（{item['note']}）" if item["note"] else "")
            for n, item in enumerate(notice.items, start=1)
        )
        _tell(
            _applicant_users(application),
            subject=f"请一次性补正材料：{application.item.name}",
            body=f"您的“{application.item.name}”申请需补正以下材料（一次性告知）：\n{lines}"
            + (f"\n说明：{note}" if note else ""),
            link=_link(application),
            kind="onestop.returned",
        )
    return notice


def _notice_problems(items: list[NoticeItem]) -> list[Problem]:
    if not items:
        return [problem("items", "请列出全部需补正的材料", "List every material to correct")]
    known = set(
        MaterialType.objects.filter(code__in=[i.material_type for i in items]).values_list("code", flat=True)
    )
    problems = []
    for item in items:
        if item.material_type not in known:
            problems.append(
                problem(
                    "items",
                    f"未知的材料类型：{item.material_type}",
                    f"Unknown material type: {item.material_type}",
                )
            )
        if item.problem not in ("missing", "wrong"):
            problems.append(
                problem("items", "问题类型应为缺少或有误", "A problem is either missing or wrong")
            )
    return problems


def resubmit(
    *, actor: User, application: Application, materials: list[NewMaterial] | None = None, comment: str = ""
) -> Application:
    """Give what the notice listed; it goes back to the officer who returned it. Refused until every
    listed item is addressed and no needed material is missing, so no second return can be needed."""
    _visible(actor, application)
    with transaction.atomic():
        for given in materials or []:
            _store_material(actor=actor, talent=application.talent, given=given)
        notice = CorrectionNotice.objects.filter(application=application).first()
        problems = _unaddressed(application, notice)
        if problems:
            raise ValidationFailed(problems, "补正材料尚不完整", "The correction is incomplete")
        transition(application, ApplicationState.RESUBMITTED, actor=actor, comment=comment)
        _attach_library(application)
        if notice is not None:
            notice.resolved_at = timezone.now()
            notice.save(update_fields=["resolved_at"])
        _tell(
            _window_officers(application),
            subject=f"补正材料已提交：{application.item.name}",
            body=f"{application.talent.name} 已按告知补正“{application.item.name}”申请材料，请受理。",
            link=_link(application),
            kind="onestop.resubmitted",
        )
    return application


def _unaddressed(application: Application, notice: CorrectionNotice | None) -> list[Problem]:
    needs = {
        need.material_type.code: need
        for need in selectors.materials_needed(application.talent, application.item)
    }
    problems = [
        problem(code, f"仍缺少：{need.material_type.name}", f"Still missing: {code}")
        for code, need in needs.items()
        if need.missing
    ]
    if notice is None:
        return problems
    for item in notice.items:
        if item["problem"] != "wrong":
            continue
        replaced = Material.objects.filter(
            talent=application.talent,
            material_type__code=item["material_type"],
            is_current=True,
            uploaded_at__gt=notice.issued_at,
        ).exists()
        if not replaced:
            problems.append(
                problem(
                    item["material_type"],
                    f"请重新提交：{item['name']}",
                    f"Give a corrected {item['material_type']}",
                )
            )
    return problems
