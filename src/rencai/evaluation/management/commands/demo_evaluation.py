"""`rencai demo_evaluation`: the demo expert pool, schemes, rounds and CTO nominations (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from rencai.core.errors import DomainError
from rencai.evaluation.choices import CaseState
from rencai.evaluation.conflicts import CONFLICT_ZH
from rencai.evaluation.demo import EvaluationDemoReport, load_demo_evaluation


class Command(BaseCommand):
    help = "Load the demo evaluation / 加载人才评价演示数据（专家库、评价方案、评价批次、首席技术官）"

    def handle(self, *args, **options):
        try:
            report = load_demo_evaluation()
        except DomainError as error:
            raise CommandError(f"{error.message_zh} / {error.message_en}") from error
        if not report.created:
            self.stdout.write(
                "人才评价演示数据已存在，未作任何修改 / "
                "the evaluation demo is already loaded: nothing changed"
            )
        self.write_report(report)

    def write_report(self, report: EvaluationDemoReport) -> None:
        self.stdout.write(
            f"评价方案 {report.schemes} 套；专家 {report.experts} 人，其中可登录 {len(report.logins)} 人："
            f"{', '.join(report.logins)}"
        )
        for name, states in report.rounds.items():
            counts = "，".join(f"{CaseState(state).label} {n}" for state, n in states.items())
            self.stdout.write(f"  {name}：{counts}")
        for expert, kinds in report.conflicts.items():
            self.stdout.write(
                f"  抽取评审组时排除（利益冲突）：{expert}（{'、'.join(CONFLICT_ZH[k] for k in kinds)}）"
            )
        self.stdout.write(f"演示评审专家 reviewer 的评审任务 {report.reviewer_cases} 件")
        if report.appointments:
            self.stdout.write(f"首席技术官证书：{', '.join(report.appointments)}")
