"""`rencai demo_worklists`: the demo work lists, first secretaries' projects and consultation (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from rencai.coordination.demo_worklists import load_demo_worklists
from rencai.core.errors import DomainError


class Command(BaseCommand):
    help = "Load the demo work lists / 加载职责清单、工作台账、一把手项目和政策征求意见演示数据"

    def handle(self, *args, **options):
        try:
            report = load_demo_worklists()
        except DomainError as error:
            raise CommandError(f"{error.message_zh} / {error.message_en}") from error
        self.stdout.write(
            f"清单 {report.worklists} 份，工作事项 {report.items} 项，节点 {report.milestones} 个，"
            f"一把手项目 {report.projects} 个 / lists {report.worklists}, items {report.items}, "
            f"milestones {report.milestones}, projects {report.projects}"
        )
        for name in report.consultations:
            self.stdout.write(f"征求意见：{name}")
