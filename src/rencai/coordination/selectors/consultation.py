"""Reads of the consultation on policy drafts, scoped to the reader, and what changed after consultation.

Officers read the rounds on drafts of their region and of the regions above (a city draft is read by the
counties); an enterprise only the rounds it is invited to (COMMENT_ON_DRAFT's narrowing). Out of scope is 404.
"""

import difflib
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from rencai.accounts.models import User
from rencai.coordination.models import Comment, Consultation
from rencai.coordination.services.consultation import DRAFT_FIELDS, version_snapshot
from rencai.core.access import Action, restrict
from rencai.core.errors import NotFound
from rencai.policies.models import PolicyVersion


def consultations_for(user: User) -> QuerySet[Consultation]:
    rows = Consultation.objects.select_related("version__policy", "region").annotate(
        comment_count=Count("comments", distinct=True),
        unanswered=Count("comments", filter=Q(comments__outcome=""), distinct=True),
    )
    return restrict(user, rows, Action.COMMENT_ON_DRAFT).order_by("-opened_on", "-pk")


def get_consultation(user: User, pk: int) -> Consultation:
    consultation = consultations_for(user).filter(pk=pk).first()
    if consultation is None:
        raise NotFound()
    return consultation


def rounds_of_version(user: User, version_id: int) -> list[Consultation]:
    """The rounds on a version the reader sees, first round first; 404 when they see none."""
    rounds = list(consultations_for(user).filter(version_id=version_id).order_by("round_number"))
    if not rounds:
        raise NotFound()
    return rounds


def comments_of(consultation: Consultation, user: User) -> QuerySet[Comment]:
    """The round's comments: the drafter and officers see them all; an enterprise its own only (other
    parties' comments are not published to it)."""
    rows = consultation.comments.select_related("author", "answered_by").order_by("created_at", "pk")
    if user.enterprise_id and not user.is_superuser:
        rows = rows.filter(author=user)
    return rows


@dataclass(frozen=True)
class FieldChange:
    """One part of the draft that changed: its label, the text before and after, and the pieces of a
    character diff as (kind, text) with kind one of "equal", "delete", "insert"."""

    key: str
    label: str
    before: str
    after: str
    pieces: list[tuple[str, str]]


def diff_pieces(before: str, after: str) -> list[tuple[str, str]]:
    """A character-level diff (Chinese text has no spaces to split words on)."""
    pieces: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(("equal", before[a1:a2]))
            continue
        if a2 > a1:
            pieces.append(("delete", before[a1:a2]))
        if b2 > b1:
            pieces.append(("insert", after[b1:b2]))
    return pieces


def changes_between(before: dict, after: dict) -> list[FieldChange]:
    changes = []
    for key, label in DRAFT_FIELDS:
        old, new = str(before.get(key, "")), str(after.get(key, ""))
        if old != new:
            changes.append(FieldChange(key, str(label), old, new, diff_pieces(old, new)))
    return changes


def changes_after_consultation(version: PolicyVersion, rounds: list[Consultation]) -> list[FieldChange]:
    """What changed between the draft as the first round opened and the version as it is now (issued, or
    still a draft)."""
    if not rounds:
        return []
    return changes_between(rounds[0].snapshot, version_snapshot(version))
