"""`rencai ledger_check`: prove the budget ledger sound (each account = its held reservations, none over)."""

from django.core.management.base import BaseCommand, CommandError

from rencai.policies.ledger import discrepancies
from rencai.policies.models import BudgetAccount


class Command(BaseCommand):
    help = "Check every budget account against its reservations / 核对预算账户与预算占用"

    def handle(self, *args, **options):
        wrong = discrepancies()
        for row in wrong:
            self.stderr.write(
                f"{row['policy']} {row['year'] or '总预算'}: 预算 {row['limit']}，"
                f"账户已承诺 {row['committed']}，占用合计 {row['reserved']} (limit, committed, reserved)"
            )
        if wrong:
            raise CommandError(f"预算台账有 {len(wrong)} 处不符 ({len(wrong)} accounts do not balance)")
        self.stdout.write(
            f"预算台账平衡，共 {BudgetAccount.objects.count()} 个账户 / ledger balanced, "
            f"{BudgetAccount.objects.count()} accounts"
        )
