"""Evaluation data: schemes, rounds and cases, the expert pool and panels, public notices, CTOs."""

from rencai.evaluation.models.cases import Case, CaseCorrection, CaseMaterial, CaseTransition, CaseWork, Round
from rencai.evaluation.models.cto import CtoAppointment, CtoYearlyCheck, EnterpriseOfficer
from rencai.evaluation.models.experts import (
    DeclaredRelation,
    Expert,
    ExpertEmployment,
    ExpertField,
    ExpertPlatform,
    Panel,
    Score,
    Seat,
)
from rencai.evaluation.models.notices import IntegrityFinding, Objection, PublicNotice
from rencai.evaluation.models.schemes import Indicator, Scheme, SchemeEvaluator

__all__ = [
    "Case",
    "CaseCorrection",
    "CaseMaterial",
    "CaseTransition",
    "CaseWork",
    "CtoAppointment",
    "CtoYearlyCheck",
    "DeclaredRelation",
    "EnterpriseOfficer",
    "Expert",
    "ExpertEmployment",
    "ExpertField",
    "ExpertPlatform",
    "Indicator",
    "IntegrityFinding",
    "Objection",
    "Panel",
    "PublicNotice",
    "Round",
    "Scheme",
    "SchemeEvaluator",
    "Score",
    "Seat",
]
