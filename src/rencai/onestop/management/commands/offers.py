"""`rencai offers`: turn the matching run's entitlements into approved applications or one-click offers."""

from django.core.management.base import BaseCommand, CommandError

from rencai.core.locks import RunInProgress
from rencai.onestop.services import offers_from_entitlements


class Command(BaseCommand):
    help = "Create proactive applications and offers from entitlements / 免申即享：生成申请与待确认事项"

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None)

    def handle(self, *args, limit, **options):
        try:
            report = offers_from_entitlements(limit=limit)
        except RunInProgress as refused:  # another run holds the lock: say so, write nothing
            raise CommandError(f"{refused.message_zh}\n{refused.message_en}") from None
        self.stdout.write(
            f"直接兑现 {report.approved} 件，待确认 {report.offered} 件，跳过 {report.skipped} 件\n"
            f"(approved {report.approved}, offered {report.offered}, skipped {report.skipped})"
        )
