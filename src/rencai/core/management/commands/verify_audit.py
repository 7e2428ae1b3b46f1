"""`rencai verify_audit`: recompute the audit log's hash chain and report the first break."""

from django.core.management.base import BaseCommand, CommandError

from rencai.core.audit import anchor_now, verify_chain


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log / 校验审计日志哈希链"

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"审计链在第 {report.first_bad_seq} 条处断裂：{report.reason} "
                f"(audit chain broken at entry {report.first_bad_seq})"
            )
        anchor_now()  # the verified head is remembered outside the database
        self.stdout.write(
            f"审计链完整，共 {report.entries} 条 / audit chain intact, {report.entries} entries"
        )
