"""Every write of the one-stop services: applying, the window, department steps, outcomes, offers, reminders.

The application's state only moves through `statemachine.transition`; the functions here decide when.
Parties are told at each step through `core.notifications.notify` (messages in Chinese).

One module per part of the process; callers import from this package (`services.apply`), which
re-exports every public name. Submodules import from each other directly, never from this package.
"""

from rencai.onestop.services.applying import (
    Blocker,
    CardHeld,
    Ineligible,
    apply,
    blocker_of,
    submit_draft,
    withdraw,
)
from rencai.onestop.services.catalogue import (
    MAX_SLA_WORKING_DAYS,
    ItemSpec,
    StepSpec,
    save_service_item,
    step_problems,
)
from rencai.onestop.services.deadlines import SweepReport, sweep_step_deadlines
from rencai.onestop.services.departments import decide_step
from rencai.onestop.services.materials import NewMaterial, OpenedFile, add_material, open_material_file
from rencai.onestop.services.offers import OfferReport, confirm_offer, decline_offer, offers_from_entitlements
from rencai.onestop.services.outcomes import (
    CARD_VALIDITY_YEARS,
    DEFAULT_VOUCHER_AMOUNT,
    FAILED_REDEMPTIONS_ALLOWED,
    GOLD_CARD_BENEFITS,
    RedemptionsThrottled,
    VoucherRefused,
    issue_education_voucher,
    issue_gold_card,
    issue_outcome,
    record_loan_decision,
    redeem_voucher,
    refer_housing_loan,
    revoke_gold_card,
)
from rencai.onestop.services.parties import department_for
from rencai.onestop.services.window import NoticeItem, accept, resubmit, return_with_notice

__all__ = [
    "CARD_VALIDITY_YEARS",
    "DEFAULT_VOUCHER_AMOUNT",
    "FAILED_REDEMPTIONS_ALLOWED",
    "GOLD_CARD_BENEFITS",
    "MAX_SLA_WORKING_DAYS",
    "Blocker",
    "CardHeld",
    "Ineligible",
    "ItemSpec",
    "NewMaterial",
    "NoticeItem",
    "OfferReport",
    "OpenedFile",
    "RedemptionsThrottled",
    "StepSpec",
    "SweepReport",
    "VoucherRefused",
    "accept",
    "add_material",
    "apply",
    "blocker_of",
    "confirm_offer",
    "decide_step",
    "decline_offer",
    "department_for",
    "issue_education_voucher",
    "issue_gold_card",
    "issue_outcome",
    "offers_from_entitlements",
    "open_material_file",
    "record_loan_decision",
    "redeem_voucher",
    "refer_housing_loan",
    "resubmit",
    "return_with_notice",
    "revoke_gold_card",
    "save_service_item",
    "step_problems",
    "submit_draft",
    "sweep_step_deadlines",
    "withdraw",
]
