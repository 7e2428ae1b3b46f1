"""Coordination models: each part (targets, work lists, consultation) adds its imports here."""

from rencai.coordination.models.consultation import (
    AnswerOutcome,
    Comment,
    Consultation,
    ConsultationState,
    Invitation,
    PartyKind,
)
from rencai.coordination.models.targets import (
    Circular,
    ItemKind,
    Leader,
    LeaderPost,
    Section,
    SheetState,
    TargetItem,
    TargetSheet,
)
from rencai.coordination.models.worklists import (
    Duty,
    FocusKind,
    FocusPoint,
    ItemStatus,
    Milestone,
    ProgressNote,
    SecretaryProject,
    WorkItem,
    WorkList,
)

__all__ = [
    "AnswerOutcome",
    "Circular",
    "Comment",
    "Consultation",
    "ConsultationState",
    "Duty",
    "FocusKind",
    "FocusPoint",
    "Invitation",
    "ItemKind",
    "ItemStatus",
    "Leader",
    "LeaderPost",
    "Milestone",
    "PartyKind",
    "ProgressNote",
    "SecretaryProject",
    "Section",
    "SheetState",
    "TargetItem",
    "TargetSheet",
    "WorkItem",
    "WorkList",
]
