"""Writes of the department work lists (职责清单与工作台账) and first secretaries' projects (一把手项目), and
their part of the daily deadline sweep.

Rights: KEEP_WORKLIST with the object (a department's officers their own department's list; organization
officers every list and project of their region). Milestones fall on working days: a date asked for on a
holiday or a weekend is moved to the next working day (never refused: officers pick dates from a plain date
box and the page says where the date moved); a year the calendar lacks is counted Monday to Friday and the
milestone is marked estimated.

One module per part (`lists`: the year's list, duties and focus points; `tracked`: work items, projects,
milestones, progress; `sweep`: reminders and escalation); callers import from this package, which
re-exports every public name. Submodules import from each other directly, never from this package.
"""

from rencai.coordination.services.worklists.lists import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
    duty_add,
    duty_remove,
    focus_add,
    focus_remove,
    worklist_create,
    worklist_update,
)
from rencai.coordination.services.worklists.sweep import (
    ESCALATE_TO_ORG_AFTER,
    REMIND_WORKING_DAYS,
    worklist_sweep,
)
from rencai.coordination.services.worklists.tracked import (
    MANUAL_STATUSES,
    Tracked,
    due_after_working_days,
    milestone_add,
    milestone_complete,
    progress_add,
    project_create,
    tracked_set_status,
    work_item_create,
    working_due_date,
)

__all__ = [
    "ESCALATE_TO_ORG_AFTER",
    "FIRST_YEAR",
    "LAST_YEAR",
    "MANUAL_STATUSES",
    "MAX_NAME",
    "MAX_TEXT",
    "MAX_TITLE",
    "REMIND_WORKING_DAYS",
    "Tracked",
    "due_after_working_days",
    "duty_add",
    "duty_remove",
    "focus_add",
    "focus_remove",
    "milestone_add",
    "milestone_complete",
    "progress_add",
    "project_create",
    "tracked_set_status",
    "work_item_create",
    "working_due_date",
    "worklist_create",
    "worklist_sweep",
    "worklist_update",
]
