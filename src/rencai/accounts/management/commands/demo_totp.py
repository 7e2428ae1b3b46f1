"""`rencai demo_totp`: the current second-factor code of the demo accounts (their published demo secret)."""

from django.core.management.base import BaseCommand

from rencai.accounts.two_factor import DEMO_TOTP_SECRET, demo_code


class Command(BaseCommand):
    help = (
        "Print the demo accounts' current authenticator code (secret "
        f"{DEMO_TOTP_SECRET}, demo data only) / 打印演示账户当前的二次验证码"
    )

    def handle(self, *args, **options):
        self.stdout.write(demo_code())
