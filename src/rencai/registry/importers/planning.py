"""Planning an import: each row rejected, or accepted as new, changed or unchanged, before any write."""

from dataclasses import dataclass, field

from django.db import connection
from django.utils.translation import gettext_noop

from rencai.core import crypto, jobs
from rencai.core.access import visible_to
from rencai.core.errors import Problem, ValidationFailed, problem
from rencai.core.masking import mask_id_number
from rencai.registry.importers.columns import PROBLEM_COLUMNS, RowInput
from rencai.registry.importers.kinds import Cleaned, Context, KindSpec


@dataclass
class Plan:
    """What the import would do: rows by outcome, and the database rows to insert and update."""

    report: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    creates: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)  # complete new values, with "id"
    update_fields: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0, "skipped": 0}
    )


def plan_import(spec: KindSpec, rows: list[RowInput], present: set[str], context: Context) -> Plan:
    """Check every row on its own and against the file, then compare the clean rows with what is stored."""
    plan = Plan()
    jobs.stage(gettext_noop("逐行校验"), done=0, total=len(rows))  # the job following the import, if any
    cleaned = _clean_rows(spec, rows, context, plan)
    _compare_with_stored(spec, cleaned, present, context.actor, plan)
    return plan


def _clean_rows(
    spec: KindSpec, rows: list[RowInput], context: Context, plan: Plan
) -> list[tuple[RowInput, Cleaned]]:
    """The rows that clean as in the form; a row with a problem (cells, duplicate, cleaning) is rejected."""
    cleaned: list[tuple[RowInput, Cleaned]] = []
    first_seen: dict[str, int] = {}
    for row in rows:
        jobs.advance()  # cheap: a report at most every half second (core.jobs)
        if row.example:
            _skip(plan, row)
            continue
        problems = [*row.problems, *_duplicate_problems(spec, row, first_seen)]
        result: Cleaned | None = None
        try:
            result = spec.clean(row.values, context)
        except ValidationFailed as failure:
            problems.extend(_not_yet_said(failure.details, row))
        if problems:
            _reject(plan, row, problems, label=_label_of(row.values))
        elif result is not None:
            cleaned.append((row, result))
    return cleaned


def _not_yet_said(problems: list[Problem], row: RowInput) -> list[Problem]:
    """The cleaning's problems about columns whose cell has none yet: one problem per bad cell."""
    said = row.columns_with_problems()
    return [item for item in problems if PROBLEM_COLUMNS.get(item["field"], item["field"]) not in said]


def _skip(plan: Plan, row: RowInput) -> None:
    """A template's example row: listed in the report as skipped, never imported, counted nowhere else."""
    plan.counts["skipped"] += 1
    note = problem(
        "example",
        "这是导入模板的示例行，已跳过，未导入",
        "This is the import template's example row; it was skipped, not imported",
    )
    plan.report.append(
        {"row": row.number, "status": "skipped", "label": _label_of(row.values), "reasons": [note]}
    )


def _duplicate_problems(spec: KindSpec, row: RowInput, first_seen: dict[str, int]) -> list[Problem]:
    """A problem naming the earlier row with the same key; a key's first row is remembered in first_seen."""
    raw_key = spec.row_key(row.values)
    if raw_key and raw_key in first_seen:
        first = first_seen[raw_key]
        return [
            problem("duplicate", spec.duplicate_zh.format(row=first), spec.duplicate_en.format(row=first))
        ]
    if raw_key:
        first_seen[raw_key] = row.number
    return []


def _compare_with_stored(
    spec: KindSpec, cleaned: list[tuple[RowInput, Cleaned]], present: set[str], actor, plan: Plan
) -> None:
    """Each clean row is created, refused (stored outside the actor's scope), updated or left unchanged."""
    existing, visible = _existing(spec, [result.key for _, result in cleaned], actor)
    compared = {f for column in present for f in spec.fields_by_column.get(column, ())}
    for row, result in cleaned:
        stored = existing.get(result.key)
        if stored is None:
            plan.creates.append(result.values)
            _accept(plan, row, "created", result.label)
        elif stored["id"] not in visible:
            _reject(plan, row, [problem("scope", spec.foreign_zh, spec.foreign_en)], label=result.label)
        else:
            changed = _changed_fields(stored, result, compared)
            if changed:
                plan.updates.append({**stored, **{f: result.values[f] for f in changed}})
                plan.update_fields.update(changed)
                _accept(plan, row, "updated", result.label)
            else:
                _accept(plan, row, "unchanged", result.label)


def _label_of(values: dict) -> str:
    name = str(values.get("name") or "")
    identifier = str(values.get("id_number") or values.get("credit_code") or "")
    if "id_number" in values:
        identifier = mask_id_number(identifier)
    # A rejected row's NUL is shown as ␀: PostgreSQL's jsonb cannot store \u0000 in the report
    return f"{name} {identifier}".strip().replace("\x00", "␀")


def _accept(plan: Plan, row: RowInput, status: str, label: str) -> None:
    plan.counts[status] += 1
    plan.report.append({"row": row.number, "status": status, "label": label, "reasons": []})


def _reject(plan: Plan, row: RowInput, problems: list[Problem], *, label: str) -> None:
    plan.counts["rejected"] += 1
    plan.report.append({"row": row.number, "status": "rejected", "label": label, "reasons": problems})
    plan.errors.extend({"row": row.number, **reason} for reason in problems)


def mark_not_written(plan: Plan) -> None:
    """All or nothing and something was rejected: the valid rows are reported valid, not applied."""
    for entry in plan.report:
        if entry["status"] not in ("rejected", "skipped"):
            entry["status"] = "valid"


def _chunk_size() -> int:
    limit = connection.features.max_query_params or 5000
    return max(100, min(5000, limit - 10))


def _existing(spec: KindSpec, keys: list[str], actor) -> tuple[dict[str, dict], set[int]]:
    """Stored rows with these keys (unscoped, for de-duplication) and which of them the actor may see."""
    model, key_field = spec.model, spec.key_field
    fields = ["id", key_field, *{f for fs in spec.fields_by_column.values() for f in fs}]
    existing: dict[str, dict] = {}
    visible: set[int] = set()
    size = _chunk_size()
    for start in range(0, len(keys), size):
        chunk = keys[start : start + size]
        for stored in model.objects.filter(**{f"{key_field}__in": chunk}).values(*fields):
            existing[stored[key_field]] = stored
        if existing:
            scoped = visible_to(actor, model.objects.filter(**{f"{key_field}__in": chunk}))
            visible.update(scoped.values_list("id", flat=True))
    return existing, visible


def _changed_fields(stored: dict, result: Cleaned, compared: set[str]) -> list[str]:
    changed = []
    for name in sorted(compared):
        if name not in result.values:
            continue  # e.g. a blank phone keeps the stored one, as in the form
        if name == "phone_ciphertext":
            if crypto.decrypt(stored["phone_ciphertext"]) != result.compare.get("phone", ""):
                changed.extend(["phone_ciphertext", "phone_masked"])
            continue
        if name == "phone_masked":
            continue
        if stored[name] != result.values[name]:
            changed.append(name)
    return changed
