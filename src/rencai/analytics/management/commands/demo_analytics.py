"""`rencai demo_analytics`: the standard indicators present, their figures and yearly series printed."""

from django.core.management.base import BaseCommand, CommandError

from rencai.analytics.demo import load_demo_analytics
from rencai.core.errors import DomainError


class Command(BaseCommand):
    help = "Load the demo analytics / 统计指标演示：标准指标及其2015年以来的数值"

    def handle(self, *args, **options):
        try:
            report = load_demo_analytics()
        except DomainError as error:
            raise CommandError(f"{error.message_zh} / {error.message_en}") from error
        self.stdout.write(f"新建标准指标 {report.created} 个 / {report.created} standard indicators created")
        for line in report.lines:
            self.stdout.write(f"  {line}")
        if report.flat:
            self.stdout.write(f"序列无变化 / flat series: {', '.join(report.flat)}")
