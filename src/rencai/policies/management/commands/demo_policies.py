"""`rencai demo_policies`: the demo's talent policies (city new deal, Longyou's override, Jiangshan draft)."""

from django.core.management.base import BaseCommand

from rencai.policies.demo import DEMO_POLICIES, load_demo_policies


class Command(BaseCommand):
    help = "Load the demo talent policies (idempotent) / 载入演示人才政策"

    def handle(self, *args, **options):
        created = load_demo_policies()
        self.stdout.write(
            f"演示政策 {len(DEMO_POLICIES)} 项，新建 {created} 项（已有的保持不变）\n"
            f"(demo policies: {len(DEMO_POLICIES)}, created {created})"
        )
