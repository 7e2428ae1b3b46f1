"""`rencai offers`: turn the matching run's entitlements into approved applications or one-click offers."""

from django.core.management.base import BaseCommand

from rencai.onestop.services import offers_from_entitlements


class Command(BaseCommand):
    help = "Create proactive applications and offers from entitlements / 免申即享：生成申请与待确认事项"

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None)

    def handle(self, *args, limit, **options):
        report = offers_from_entitlements(limit=limit)
        self.stdout.write(
            f"直接兑现 {report.approved} 件，待确认 {report.offered} 件，跳过 {report.skipped} 件\n"
            f"(approved {report.approved}, offered {report.offered}, skipped {report.skipped})"
        )
