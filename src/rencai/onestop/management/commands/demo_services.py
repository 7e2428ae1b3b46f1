"""`rencai demo_services`: the one-stop catalogue, department accounts and demo applications (idempotent)."""

from django.core.management.base import BaseCommand

from rencai.onestop.demo import load_demo_services


class Command(BaseCommand):
    help = "Load the demo one-stop services / 加载一站式服务演示数据"

    def handle(self, *args, **options):
        report = load_demo_services()
        self.stdout.write(
            f"服务事项新建 {report.items} 项；部门账户：{', '.join(report.accounts) or '（无）'}"
        )
        for what, state in report.applications.items():
            self.stdout.write(f"  演示申请 {what}: {state}")
        if not report.applications:
            self.stdout.write(
                "演示申请已存在或人才库尚无演示数据（先运行 rencai demo）/ demo applications skipped"
            )
