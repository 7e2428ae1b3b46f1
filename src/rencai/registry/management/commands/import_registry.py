"""`rencai import_registry FILE --kind talents --as USERNAME [--partial]`: import a file, print the report."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from rencai.accounts.models import User
from rencai.core.errors import DomainError
from rencai.registry.importers import import_file
from rencai.registry.models import ImportBatch


class Command(BaseCommand):
    help = "Import talents or enterprises from an .xlsx or .csv file as a user; all rows or none by default."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--kind", choices=ImportBatch.Kind.values, default=ImportBatch.Kind.TALENTS)
        parser.add_argument("--as", dest="username", required=True, help="the officer the import is done as")
        parser.add_argument(
            "--partial", action="store_true", help="write the valid rows even if some rows are rejected"
        )
        parser.add_argument("--errors", type=int, default=20, help="rejected rows to print (default 20)")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"文件不存在 / no such file: {path}")
        actor = User.objects.filter(username=options["username"], is_active=True).first()
        if actor is None:
            raise CommandError(f"用户不存在 / no such user: {options['username']}")
        try:
            batch = import_file(
                actor=actor,
                kind=options["kind"],
                filename=path.name,
                data=path.read_bytes(),
                accept_partial=options["partial"],
            )
        except DomainError as error:
            raise CommandError(f"{error.message_zh} / {error.message_en}") from None
        self.stdout.write(
            f"导入批次 / batch #{batch.pk}: {batch.get_outcome_display()} ({batch.outcome})\n"
            f"  行数 rows {batch.total_rows}  新增 created {batch.created_count}  "
            f"更新 updated {batch.updated_count}  无变化 unchanged {batch.unchanged_count}  "
            f"错误 rejected {batch.rejected_count}  用时 {batch.duration_ms / 1000:.1f} s"
        )
        shown = 0
        for entry in batch.rows:
            if entry["status"] != "rejected" or shown >= options["errors"]:
                continue
            shown += 1
            reasons = "；".join(reason["message_zh"] for reason in entry["reasons"])
            self.stdout.write(f"  第 {entry['row']} 行 {entry['label']}: {reasons}")
        if batch.rejected_count > shown:
            self.stdout.write(f"  … 另有 {batch.rejected_count - shown} 行错误 / more rejected rows")
        if batch.outcome == ImportBatch.Outcome.REJECTED:
            raise CommandError("存在错误行，未写入任何数据 / rows were rejected; nothing was written")
