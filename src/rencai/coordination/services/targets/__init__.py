"""Target responsibility services: the city sets, issues, checks, scores and locks a unit's sheet; the
assessed unit agrees to it and self-assesses its work items with evidence.

Every move goes through `target_states.move` (the one table of allowed moves per party; see its diagram).
`city` is a holder of Action.SET_TARGETS, `unit` a holder of Action.ASSESS_TARGETS for the sheet (its
county organization department, or its department's officers). The services ask `require` first; the
table then decides whether the move exists at all. A locked sheet is also refused by the database. The
leaders who receive the circular are recorded in `coordination.circulars`.

One module per part of the year (`setting`: the city sets and issues; `progress`: agreement, mid-year
check, self-assessment; `year_end`: scoring, the lock); callers import from this package, which re-exports
every public name. Submodules import from each other directly, never from this package.
"""

from rencai.coordination.services.target_states import (
    IllegalSheetTransition,
    Party,
    PointsNot100,
    S,
    SheetLocked,
    allowed_moves,
)
from rencai.coordination.services.targets.progress import (
    item_self_assess,
    keep_measurements,
    sheet_agree,
    sheet_midyear,
    sheet_self_assess,
)
from rencai.coordination.services.targets.setting import (
    KIND_ISSUED,
    assessors,
    cap_problems,
    item_add,
    item_remove,
    points_problems,
    sheet_create,
    sheet_issue,
    sheet_link,
)
from rencai.coordination.services.targets.year_end import (
    county_sheets,
    item_score,
    sheet_lock,
    sheet_move,
    sheet_return,
    sheet_score,
)

__all__ = [
    # the refusals and the table of moves, re-exported for callers that catch them or draw buttons
    "KIND_ISSUED",
    "IllegalSheetTransition",
    "Party",
    "PointsNot100",
    "S",
    "SheetLocked",
    "allowed_moves",
    # the services
    "assessors",
    "cap_problems",
    "county_sheets",
    "item_add",
    "item_remove",
    "item_score",
    "item_self_assess",
    "keep_measurements",
    "points_problems",
    "sheet_agree",
    "sheet_create",
    "sheet_issue",
    "sheet_link",
    "sheet_lock",
    "sheet_midyear",
    "sheet_move",
    "sheet_return",
    "sheet_score",
    "sheet_self_assess",
]
