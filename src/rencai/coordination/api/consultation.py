"""API routes of the consultation on policy drafts (/api/coordination/consultations…): reads scoped to the
caller (an enterprise sees only the rounds it is invited to, and its own comments), writes through
`services.consultation`. A comment takes an `Idempotency-Key` header to retry safely."""

import datetime as dt

from ninja import Router, Schema, Status

from rencai.coordination.models import Comment
from rencai.coordination.selectors import consultation as selectors
from rencai.coordination.services import consultation as service
from rencai.core import idempotency
from rencai.core.access import Action, require
from rencai.core.errors import NotFound
from rencai.core.pagination import window
from rencai.core.schemas import CONFLICT, NOT_FOUND, REFUSED, Id, Limit, Note, Offset, errors

router = Router()

READ = errors(NOT_FOUND)
WRITE = errors(REFUSED, NOT_FOUND, CONFLICT)


class ConsultationOut(Schema):
    id: int
    version_id: int
    policy: str
    region_code: str
    round_number: int
    state: str
    opened_on: dt.date
    deadline: dt.date
    snapshot: dict[str, str]

    @staticmethod
    def resolve_policy(consultation) -> str:
        return consultation.snapshot.get("name", "")

    @staticmethod
    def resolve_region_code(consultation) -> str:
        return consultation.region.code


class CommentOut(Schema):
    id: int
    party: str
    clause: str
    body: str
    created_at: dt.datetime
    outcome: str
    reason: str
    answered_at: dt.datetime | None


class ConsultationDetailOut(ConsultationOut):
    comments: list[CommentOut]

    @staticmethod
    def resolve_comments(consultation) -> list:
        return consultation.readable_comments


class ChangeOut(Schema):
    key: str
    label: str
    before: str
    after: str


class ChangesOut(Schema):
    version_id: int
    status: str
    changes: list[ChangeOut]
    rounds: list[ConsultationDetailOut]


class CommentIn(Schema):
    body: str
    clause: Note = ""


class AnswerIn(Schema):
    outcome: str
    reason: Note = ""


def _detail(consultation, user):
    """The round with the comments this caller may read (an enterprise: its own)."""
    consultation.readable_comments = list(selectors.comments_of(consultation, user))
    return consultation


@router.get(
    "/consultations", response={200: list[ConsultationOut], **READ}, summary="征求意见 / Consultations"
)
def list_consultations(request, limit: Limit = 50, offset: Offset = 0):
    require(request.auth, Action.COMMENT_ON_DRAFT)
    return window(selectors.consultations_for(request.auth), limit=limit, offset=offset)


@router.get(
    "/consultations/{consultation_id}",
    response={200: ConsultationDetailOut, **READ},
    summary="一轮征求意见 / A round",
)
def get_consultation(request, consultation_id: Id):
    return _detail(selectors.get_consultation(request.auth, consultation_id), request.auth)


@router.post(
    "/consultations/{consultation_id}/comments",
    response={201: CommentOut, 200: CommentOut, **WRITE},
    summary="提出意见 / Comment",
)
def post_comment(request, consultation_id: Id, payload: CommentIn):
    user = request.auth
    consultation = selectors.get_consultation(user, consultation_id)

    def write():
        comment = service.comment_add(
            actor=user, consultation=consultation, body=payload.body, clause=payload.clause
        )
        return comment, 201

    outcome = idempotency.write_once(
        actor=user,
        scope=f"coordination.comment.{consultation_id}",
        key=idempotency.key_from(request),
        payload=payload.dict(),
        write=write,
    )
    return Status(outcome.status, Comment.objects.get(pk=outcome.object_id))


@router.post(
    "/consultations/{consultation_id}/comments/{comment_id}/answer",
    response={200: CommentOut, **WRITE},
    summary="答复意见 / Answer a comment",
)
def answer_comment(request, consultation_id: Id, comment_id: Id, payload: AnswerIn):
    consultation = selectors.get_consultation(request.auth, consultation_id)
    comment = consultation.comments.filter(pk=comment_id).first()
    if comment is None:
        raise NotFound()
    return service.comment_answer(
        actor=request.auth, comment=comment, outcome=payload.outcome, reason=payload.reason
    )


@router.post(
    "/consultations/{consultation_id}/close", response={200: ConsultationOut, **WRITE}, summary="结束 / Close"
)
def close_consultation(request, consultation_id: Id):
    consultation = selectors.get_consultation(request.auth, consultation_id)
    return service.consultation_close(actor=request.auth, consultation=consultation)


@router.get(
    "/consultations/versions/{version_id}/changes",
    response={200: ChangesOut, **READ},
    summary="征求意见后的修改 / What changed after consultation",
)
def version_changes(request, version_id: Id):
    user = request.auth
    rounds = selectors.rounds_of_version(user, version_id)
    version = rounds[0].version
    changes = selectors.changes_after_consultation(version, rounds)
    return {
        "version_id": version.pk,
        "status": version.status,
        "changes": [
            {"key": c.key, "label": str(c.label), "before": c.before, "after": c.after} for c in changes
        ],
        "rounds": [_detail(r, user) for r in rounds],
    }
