"""`rencai demo_recruitment`: the demo stations, events, agencies, demands, referrals, placements and rewards
(idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from rencai.core.errors import DomainError
from rencai.recruitment.choices import DemandState, InstalmentState, PlacementState, ReferralState
from rencai.recruitment.demo import RecruitmentDemoReport, load_demo_recruitment


def _states(counts: dict[str, int], choices) -> str:
    return "，".join(f"{choices(state).label} {n}" for state, n in counts.items())


class Command(BaseCommand):
    help = (
        "Load the demo recruitment / 加载招才引智演示数据（工作站、推介会、中介机构、需求、推荐、到岗、奖励）"
    )

    def handle(self, *args, **options):
        try:
            report = load_demo_recruitment()
        except DomainError as error:
            raise CommandError(f"{error.message_zh} / {error.message_en}") from error
        if not report.created:
            self.stdout.write(
                "招才引智演示数据已存在，未作任何修改 / "
                "the recruitment demo is already loaded: nothing changed"
            )
        self.write_report(report)

    def write_report(self, report: RecruitmentDemoReport) -> None:
        write = self.stdout.write
        write(f"人才工作站：{'、'.join(report.stations)}；推介会 {report.events} 场；线索 {report.leads} 条")
        write(f"签约中介机构 {report.agencies} 家；演示登录：{', '.join(report.logins)}")
        write(f"人才需求：{_states(report.demands, DemandState)}")
        write(f"推荐：{_states(report.referrals, ReferralState)}")
        for reason in report.refused:
            write(f"  重复推荐被拒：{reason}")
        write(f"到岗：{_states(report.placements, PlacementState)}")
        write(f"奖励方案：{'、'.join(report.schemes)}")
        write(f"引才奖励 {report.rewards} 笔；分期：{_states(report.instalments, InstalmentState)}")
        for run, f in report.settled.items():
            when = "首次" if run == "first" else "人才提前离职后"
            write(
                f"  结算（{when}）：新增奖励 {f.get('created', 0)} 笔"
                f" {f.get('amount', 0)} 元，支付分期 {f.get('instalments_paid', 0)} 期，取消分期"
                f" {f.get('instalments_cancelled', 0)} 期，追回 {f.get('clawed_back', 0)} 期，"
                f"达到上限 {f.get('cap_reached', 0)} 笔，预算不足 {f.get('budget_exhausted', 0)} 笔"
            )
