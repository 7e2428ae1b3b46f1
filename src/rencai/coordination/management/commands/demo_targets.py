"""`rencai demo_targets`: the demo target sheets (2017 locked with its circular, this year under way)."""

from django.core.management.base import BaseCommand, CommandError

from rencai.coordination.demo_targets import load_demo_targets
from rencai.core.errors import DomainError


class Command(BaseCommand):
    help = "Load the demo target responsibility sheets / 加载目标责任制考核演示数据（2017年度及本年度）"

    def handle(self, *args, **options):
        try:
            report = load_demo_targets()
        except DomainError as error:
            raise CommandError(f"{error.message_zh} / {error.message_en}") from error
        write = self.stdout.write
        if not report.created:
            write(
                "目标责任考核演示数据已存在，未作任何修改 / "
                "the targets demo is already loaded: nothing changed"
            )
        write("2017年度考核结果 / 2017 results:")
        for unit, total in report.past.items():
            write(f"  {unit}: {total}")
        write(
            f"通报 / circular: {report.circular}（送达 {report.told} 位领导 / sent to {report.told} leaders）"
        )
        write("本年度 / this year:")
        for unit, state in report.current.items():
            write(f"  {unit}: {state}")
        if report.logins:
            write(f"演示登录 / demo logins: {', '.join(report.logins)}")
