"""Recruitment's background work: placements confirmed from the registry after every import and daily
(registered with `core.sweeps` in `ready()`), and the retention review that follows the registry.

Both are idempotent: a placement is one per talent and enterprise (a database constraint), and the review
moves each confirmed placement once."""

import datetime as dt

from django.db import transaction

from rencai.recruitment.services.placements import placements_confirm, placements_review


def placements_sweep(today: dt.date) -> dict:
    """The daily run: new arrivals the registry confirms, then leavers and retained placements."""
    confirmed = placements_confirm(today=today)
    return {**confirmed.as_dict(), **placements_review(today)}


def after_registry_import(sender, instance, created: bool, **kwargs) -> None:
    """A registry import was recorded (post_save of `ImportBatch`): once its transaction commits, confirm
    the placements it may have brought (a rejected file wrote nothing, so there is nothing to confirm)."""
    if created and instance.outcome != "rejected":
        transaction.on_commit(lambda: placements_confirm())
