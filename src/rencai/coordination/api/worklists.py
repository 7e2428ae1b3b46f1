"""API routes of the work lists, work items, milestones and first secretaries' projects
(/api/coordination/…): reads scoped to the caller (a department its own list), writes through
`services.worklists`. Creating rows takes an `Idempotency-Key` header to retry safely."""

import datetime as dt

from ninja import Router, Schema, Status

from rencai.coordination.models import Milestone, ProgressNote
from rencai.coordination.selectors import worklists as selectors
from rencai.coordination.services import worklists as service
from rencai.core import idempotency
from rencai.core.access import Action, require
from rencai.core.errors import NotFound
from rencai.core.pagination import window
from rencai.core.schemas import CONFLICT, NOT_FOUND, REFUSED, Day, Id, Limit, Note, Offset, errors

router = Router()

READ = errors(NOT_FOUND)
WRITE = errors(REFUSED, NOT_FOUND, CONFLICT)


class DutyOut(Schema):
    id: int
    position: int
    text: str
    lead_officer: str


class FocusOut(Schema):
    id: int
    kind: str
    title: str
    detail: str


class WorkListOut(Schema):
    id: int
    year: int
    department_id: int
    department: str
    region_code: str
    lead_officer: str

    @staticmethod
    def resolve_department(worklist) -> str:
        return worklist.department.name

    @staticmethod
    def resolve_region_code(worklist) -> str:
        return worklist.region.code


class WorkListDetailOut(WorkListOut):
    duties: list[DutyOut]
    focus_points: list[FocusOut]

    @staticmethod
    def resolve_duties(worklist) -> list:
        return list(worklist.duties.all())

    @staticmethod
    def resolve_focus_points(worklist) -> list:
        return list(worklist.focus_points.all())


class MilestoneOut(Schema):
    id: int
    title: str
    asked_on: dt.date
    due_on: dt.date
    due_estimated: bool
    done_on: dt.date | None


class NoteOut(Schema):
    id: int
    text: str
    evidence: str
    milestone_id: int | None
    created_at: dt.datetime


class WorkItemOut(Schema):
    id: int
    worklist_id: int
    department_id: int
    region_code: str
    title: str
    description: str
    responsible: str
    status: str
    milestones: list[MilestoneOut]

    @staticmethod
    def resolve_region_code(item) -> str:
        return item.region.code

    @staticmethod
    def resolve_milestones(item) -> list:
        return list(item.milestones.order_by("due_on", "pk"))


class ProjectOut(Schema):
    id: int
    year: int
    region_code: str
    title: str
    description: str
    leader_name: str
    leader_id: int | None
    responsible: str
    status: str
    milestones: list[MilestoneOut]

    @staticmethod
    def resolve_region_code(project) -> str:
        return project.region.code

    @staticmethod
    def resolve_milestones(project) -> list:
        return list(project.milestones.order_by("due_on", "pk"))


class MilestoneIn(Schema):
    title: str
    due_on: Day | None = None
    working_days: int | None = None


class ProgressIn(Schema):
    text: str
    evidence: Note = ""
    milestone_id: Id | None = None


class StatusIn(Schema):
    status: str


@router.get("/worklists", response={200: list[WorkListOut], **READ}, summary="部门人才工作清单 / Work lists")
def list_worklists(request, year: int | None = None, limit: Limit = 50, offset: Offset = 0):
    require(request.auth, Action.BROWSE_COORDINATION)
    return window(selectors.worklists_for(request.auth, year=year), limit=limit, offset=offset)


@router.get(
    "/worklists/{worklist_id}", response={200: WorkListDetailOut, **READ}, summary="清单 / A work list"
)
def get_worklist(request, worklist_id: Id):
    return selectors.get_worklist(request.auth, worklist_id)


@router.get("/work-items", response={200: list[WorkItemOut], **READ}, summary="工作台账 / Work items")
def list_work_items(
    request, year: int | None = None, status: str = "", limit: Limit = 50, offset: Offset = 0
):
    require(request.auth, Action.BROWSE_COORDINATION)
    rows = selectors.work_items_for(request.auth, year=year, status=status).prefetch_related("milestones")
    return window(rows, limit=limit, offset=offset)


@router.get("/work-items/{item_id}", response={200: WorkItemOut, **READ}, summary="工作事项 / A work item")
def get_work_item(request, item_id: Id):
    return selectors.get_work_item(request.auth, item_id)


@router.get(
    "/projects", response={200: list[ProjectOut], **READ}, summary="一把手项目 / First secretaries' projects"
)
def list_projects(request, year: int | None = None, limit: Limit = 50, offset: Offset = 0):
    require(request.auth, Action.BROWSE_COORDINATION)
    rows = selectors.projects_for(request.auth, year=year).prefetch_related("milestones")
    return window(rows, limit=limit, offset=offset)


@router.get("/projects/{project_id}", response={200: ProjectOut, **READ}, summary="一把手项目 / A project")
def get_project(request, project_id: Id):
    return selectors.get_project(request.auth, project_id)


def _tracked(request, kind: str, pk: int):
    if kind == "work-items":
        return selectors.get_work_item(request.auth, pk)
    return selectors.get_project(request.auth, pk)


def _add_milestone(request, kind: str, tracked_id: int, payload: MilestoneIn):
    user, tracked = request.auth, _tracked(request, kind, tracked_id)

    def write():
        milestone = service.milestone_add(
            actor=user,
            tracked=tracked,
            title=payload.title,
            due_on=payload.due_on,
            working_days=payload.working_days,
        )
        return milestone, 201

    outcome = idempotency.write_once(
        actor=user,
        scope=f"coordination.milestone.{kind}.{tracked_id}",
        key=idempotency.key_from(request),
        payload=payload.dict(),
        write=write,
    )
    return Status(outcome.status, Milestone.objects.get(pk=outcome.object_id))


@router.post(
    "/work-items/{tracked_id}/milestones",
    response={201: MilestoneOut, 200: MilestoneOut, **WRITE},
    summary="添加工作事项节点 / Add a milestone to a work item",
)
def add_item_milestone(request, tracked_id: Id, payload: MilestoneIn):
    """Give `due_on` (a holiday or weekend moves to the next working day: `asked_on` keeps the date asked
    for) or `working_days` from today."""
    return _add_milestone(request, "work-items", tracked_id, payload)


@router.post(
    "/projects/{tracked_id}/milestones",
    response={201: MilestoneOut, 200: MilestoneOut, **WRITE},
    summary="添加项目节点 / Add a milestone to a project",
)
def add_project_milestone(request, tracked_id: Id, payload: MilestoneIn):
    """As for a work item's milestone."""
    return _add_milestone(request, "projects", tracked_id, payload)


@router.post(
    "/milestones/{milestone_id}/done", response={200: MilestoneOut, **WRITE}, summary="节点完成 / Done"
)
def complete_milestone(request, milestone_id: Id, done_on: Day | None = None):
    milestone = selectors.milestones_for(request.auth).filter(pk=milestone_id).first()
    if milestone is None:
        raise NotFound()
    return service.milestone_complete(actor=request.auth, milestone=milestone, done_on=done_on)


def _add_progress(request, kind: str, tracked_id: int, payload: ProgressIn):
    user, tracked = request.auth, _tracked(request, kind, tracked_id)
    milestone = None
    if payload.milestone_id:
        milestone = tracked.milestones.filter(pk=payload.milestone_id).first()
        if milestone is None:
            raise NotFound()

    def write():
        note = service.progress_add(
            actor=user, tracked=tracked, text=payload.text, evidence=payload.evidence, milestone=milestone
        )
        return note, 201

    outcome = idempotency.write_once(
        actor=user,
        scope=f"coordination.progress.{kind}.{tracked_id}",
        key=idempotency.key_from(request),
        payload=payload.dict(),
        write=write,
    )
    return Status(outcome.status, ProgressNote.objects.get(pk=outcome.object_id))


@router.post(
    "/work-items/{tracked_id}/progress",
    response={201: NoteOut, 200: NoteOut, **WRITE},
    summary="记录工作事项进展 / Record a work item's progress",
)
def add_item_progress(request, tracked_id: Id, payload: ProgressIn):
    return _add_progress(request, "work-items", tracked_id, payload)


@router.post(
    "/projects/{tracked_id}/progress",
    response={201: NoteOut, 200: NoteOut, **WRITE},
    summary="记录项目进展 / Record a project's progress",
)
def add_project_progress(request, tracked_id: Id, payload: ProgressIn):
    return _add_progress(request, "projects", tracked_id, payload)


@router.post("/work-items/{tracked_id}/status", response={200: WorkItemOut, **WRITE}, summary="状态 / Status")
def set_item_status(request, tracked_id: Id, payload: StatusIn):
    item = _tracked(request, "work-items", tracked_id)
    return service.tracked_set_status(actor=request.auth, tracked=item, status=payload.status)


@router.post("/projects/{tracked_id}/status", response={200: ProjectOut, **WRITE}, summary="状态 / Status")
def set_project_status(request, tracked_id: Id, payload: StatusIn):
    project = _tracked(request, "projects", tracked_id)
    return service.tracked_set_status(actor=request.auth, tracked=project, status=payload.status)
