"""`rencai demo`: load the reproducible demo Quzhou (idempotent; `--reset` wipes the registry first)."""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import ProtectedError

from rencai.accounts.models import User
from rencai.accounts.two_factor import DEMO_TOTP_SECRET
from rencai.core.errors import DomainError
from rencai.registry.demo import (
    CHUNK_SIZE,
    DEFAULT_TALENTS,
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_SEED,
    load_demo,
    wipe_registry,
)


class Command(BaseCommand):
    help = "Load the demo Quzhou (talents, enterprises, platforms, one account per role) / 生成演示数据"

    def add_arguments(self, parser):
        parser.add_argument(
            "--talents",
            type=int,
            default=DEFAULT_TALENTS,
            help=f"number of talents (default {DEFAULT_TALENTS:,}; scales to 1,000,000)",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="wipe all registry data (and what depends on it) and the demo accounts first",
        )
        parser.add_argument("--seed", type=int, default=DEMO_SEED, help="random seed (same seed, same data)")
        parser.add_argument(
            "--chunk-size", type=int, default=CHUNK_SIZE, help="talents generated per bulk write"
        )

    def handle(self, *args, talents, reset, seed, chunk_size, verbosity, **options):
        say = self.stdout.write if verbosity >= 1 else (lambda message: None)
        try:
            if reset:
                counts = wipe_registry()
                removed = sum(counts.values())
                say(f"已清空登记数据 / registry wiped: {removed:,} rows")
            report = load_demo(
                talents=talents,
                seed=seed,
                chunk_size=chunk_size,
                progress=say if verbosity >= 2 or talents >= 100_000 else None,
            )
        except DomainError as error:
            raise CommandError(f"{error.message_zh} / {error.message_en}") from error
        except ProtectedError as error:
            raise CommandError(
                f"其他数据仍引用演示账户，无法重置 / other data still refers to demo accounts: {error}"
            ) from error
        if report is None:
            say(
                "演示数据已存在，未做任何改动（--reset 可重建） / demo data already present: nothing done "
                "(use --reset to rebuild)"
            )
            return
        counts, timings = report.counts, report.timings
        say(
            f"演示数据已生成 / demo data loaded (seed {report.seed}): 人才 talents {counts['talents']:,}, "
            f"学历 educations {counts['educations']:,}, 工作经历 employments {counts['employments']:,}, "
            f"荣誉 honours {counts['honours']:,}, 平台成员 memberships {counts['memberships']:,}, "
            f"企业 enterprises {counts['enterprises']}, 平台 platforms {counts['platforms']}, "
            f"院士 academicians {counts['academicians']}, 部门 departments {counts['departments']}"
        )
        say(
            f"用时 / elapsed {timings['total']:.1f} s (reference {timings['reference']:.1f} s, "
            f"sealing personal data {timings['seal']:.1f} s, writing {timings['write']:.1f} s, "
            f"vacuum/analyze {timings['analyze']:.1f} s)"
        )
        say(
            f"演示账户（密码均为 {DEMO_PASSWORD}，仅用于演示） / "
            f"demo accounts (password {DEMO_PASSWORD}, demo only):"
        )
        names = dict(
            User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS]).values_list(
                "username", "display_name"
            )
        )
        for username, role, _display_name in DEMO_ACCOUNTS:
            say(f"  {username:<10} {role:<16} {names.get(username, '')}")
        say(
            f"二次验证（市县组织部、部门、评审专家、管理员）：验证器密钥 {DEMO_TOTP_SECRET}，"
            "或运行 `rencai demo_totp` 获取当前验证码 / second factor (officers, reviewer, admin): "
            f"authenticator secret {DEMO_TOTP_SECRET}, or run `rencai demo_totp` for the current code"
        )
