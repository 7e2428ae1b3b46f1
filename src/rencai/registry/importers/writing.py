"""Applying an import: the file read and planned, then written, reported and audited in one transaction."""

import hashlib
import time
from pathlib import PurePath

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from rencai.accounts.models import User
from rencai.core import audit, jobs
from rencai.core.access import Action, require
from rencai.core.bulk import bulk_insert
from rencai.core.errors import DomainError, ErrorCode
from rencai.core.models import Region
from rencai.core.regions import QUZHOU
from rencai.registry.importers.achievements import plan_achievements, write_achievements
from rencai.registry.importers.columns import rows_of
from rencai.registry.importers.kinds import SPECS, KindSpec, context_for
from rencai.registry.importers.planning import Plan, mark_not_written, plan_import
from rencai.registry.importers.reading import ImportRefused, check_upload, read_rows
from rencai.registry.models import ImportBatch


def import_file(
    *, actor: User, kind: str, filename: str, data: bytes, accept_partial: bool = False
) -> ImportBatch:
    """Validate every row of an uploaded file and apply it (all or nothing unless `accept_partial`)."""
    began = time.perf_counter()
    require(actor, Action.IMPORT_REGISTRY)
    if kind not in SPECS and kind != ImportBatch.Kind.ACHIEVEMENTS:
        raise ImportRefused(f"导入类别无效：{kind}", f"Unknown import kind: {kind}")
    file_type = check_upload(filename, len(data))
    rows, present, unknown = rows_of(kind, read_rows(file_type, data))
    if kind == ImportBatch.Kind.ACHIEVEMENTS:  # an achievement has holders: its own planning and write
        plan = plan_achievements(rows, actor)
    else:
        plan = plan_import(SPECS[kind], rows, present, context_for(actor, rows))
    outcome = _outcome_of(plan, accept_partial=accept_partial)
    jobs.stage(gettext_noop("写入数据库"))  # the job following the import, if any (core.jobs)
    try:
        with transaction.atomic():
            if outcome != ImportBatch.Outcome.REJECTED:
                if kind == ImportBatch.Kind.ACHIEVEMENTS:
                    write_achievements(plan)
                else:
                    _write(SPECS[kind], plan)
            else:
                mark_not_written(plan)
            batch = _record_batch(
                actor=actor,
                kind=kind,
                filename=filename,
                data=data,
                plan=plan,
                outcome=outcome,
                accept_partial=accept_partial,
                total_rows=len(rows) - plan.counts["skipped"],  # an example row is no data
                unknown_columns=unknown,
                began=began,
            )
            _audit_batch(actor=actor, batch=batch)
    except IntegrityError:
        raise DomainError(
            ErrorCode.IMPORT_CONFLICT,
            "导入时与他人同时登记的数据冲突，未写入任何数据，请重新导入",
            "Another change to the same records happened during the import; nothing was written, retry",
        ) from None
    return batch


def _outcome_of(plan: Plan, *, accept_partial: bool) -> ImportBatch.Outcome:
    """Applied when no row is rejected; otherwise partial if the uploader accepts that, else rejected."""
    rejected = plan.counts["rejected"]
    if rejected and not accept_partial:
        return ImportBatch.Outcome.REJECTED
    if rejected:
        return ImportBatch.Outcome.PARTIAL
    return ImportBatch.Outcome.APPLIED


def _record_batch(
    *,
    actor,
    kind: str,
    filename: str,
    data: bytes,
    plan: Plan,
    outcome: ImportBatch.Outcome,
    accept_partial: bool,
    total_rows: int,
    unknown_columns: list[str],
    began: float,
) -> ImportBatch:
    """The batch with its report; a rejected file counts no created, updated or unchanged rows."""
    written = outcome != ImportBatch.Outcome.REJECTED
    return ImportBatch.objects.create(
        kind=kind,
        file_name=PurePath(filename).name[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
        region=_batch_region(actor),
        uploaded_by=actor,
        outcome=outcome,
        accept_partial=accept_partial,
        total_rows=total_rows,
        created_count=plan.counts["created"] if written else 0,
        updated_count=plan.counts["updated"] if written else 0,
        unchanged_count=plan.counts["unchanged"] if written else 0,
        rejected_count=plan.counts["rejected"],
        errors=plan.errors,
        rows=plan.report,
        unknown_columns=unknown_columns,
        duration_ms=int((time.perf_counter() - began) * 1000),
    )


def _audit_batch(*, actor, batch: ImportBatch) -> None:
    audit.record(
        actor=actor,
        action=f"registry.import.{batch.outcome}",
        obj=batch,
        detail={
            "kind": batch.kind,
            "file": batch.file_name,
            "sha256": batch.file_sha256,
            "rows": batch.total_rows,
            "created": batch.created_count,
            "updated": batch.updated_count,
            "unchanged": batch.unchanged_count,
            "rejected": batch.rejected_count,
        },
    )


def _batch_region(actor: User) -> Region:
    if actor.region is not None:  # no query when the actor has no region
        return actor.region
    region = Region.objects.filter(code=QUZHOU).first() or Region.objects.order_by("path").first()
    assert region is not None  # migration core.0002 seeds the city and its counties
    return region


def _write(spec: KindSpec, plan: Plan) -> None:
    model = spec.model
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    if plan.creates:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = [f.column for f in fields if f.column is not None]  # a concrete field has a column

        def rows():
            for values in plan.creates:
                yield [_column_value(f, values, now) for f in fields]

        bulk_insert(model._meta.db_table, columns, rows())
    if plan.updates:
        names = sorted(plan.update_fields)
        _bulk_update(model, names, plan.updates, now)


def _column_value(model_field, values: dict, now):
    if model_field.attname in values:
        return values[model_field.attname]
    if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
        return now
    default = model_field.get_default()
    return default


def _bulk_update(model, names: list[str], updates: list[dict], now) -> None:
    """UPDATE the changed rows in one statement per chunk (PostgreSQL: from a COPYed temporary table)."""
    table = model._meta.db_table
    columns = [model._meta.get_field(name).column for name in names]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            quoted = ", ".join(f'"{column}"' for column in columns)
            cursor.execute(
                f'CREATE TEMPORARY TABLE import_changes ON COMMIT DROP AS SELECT "id", {quoted} '
                f'FROM "{table}" WITH NO DATA'
            )
            bulk_insert(
                "import_changes", ["id", *columns], ([u["id"], *(u[n] for n in names)] for u in updates)
            )
            assignments = ", ".join(f'"{c}" = import_changes."{c}"' for c in columns)
            cursor.execute(
                f'UPDATE "{table}" SET {assignments}, "updated_at" = %s '
                f'FROM import_changes WHERE "{table}"."id" = import_changes."id"',
                [now],
            )
            cursor.execute("DROP TABLE import_changes")
            return
        assignments = ", ".join(f'"{c}" = %s' for c in columns)
        statement = f'UPDATE "{table}" SET {assignments}, "updated_at" = %s WHERE "id" = %s'
        cursor.executemany(statement, [[*(u[n] for n in names), now, u["id"]] for u in updates])
