"""Builders for one-stop tests: the catalogue on the test world, materials, applications in a given state."""

import datetime as dt
from dataclasses import dataclass

from rencai.onestop import services
from rencai.onestop.demo import load_catalogue
from rencai.onestop.models import Application, ServiceItem
from rencai.onestop.selectors import item_in_region
from rencai.policies.demo import load_demo_policies
from rencai.registry.models import Department, Employment
from tests import factories

STEP_KINDS = ["org", "education", "housing_fund", "science", "economy", "finance"]


@dataclass
class Services:
    world: object
    items: dict[str, ServiceItem]
    departments: dict[str, Department]  # Jiangshan's, by kind
    officers: dict[str, object]  # Jiangshan's department users, by kind

    @property
    def talent_user(self):
        return self.world.users["talent"]

    @property
    def window(self):
        return self.world.users["county_org_dept"]


def build_services(world) -> Services:
    """The demo policies and catalogue, every department of Jiangshan with one officer each."""
    load_demo_policies()
    load_catalogue()
    departments = {"hrss": world.users["department"].department}
    officers = {"hrss": world.users["department"]}
    for kind in STEP_KINDS:
        departments[kind] = Department.objects.create(region=world.county_a, kind=kind, name=f"江山{kind}")
        officers[kind] = factories.make_user(
            f"js_{kind}", "department", region=world.county_a, department=departments[kind]
        )
    talent = world.talent_a
    Employment.objects.create(
        talent=talent,
        enterprise=world.enterprise_a,
        employer_name=world.enterprise_a.name,
        employment_type="full_time",
        started_on=dt.date(2018, 3, 1),
    )
    items = {item.code: item for item in ServiceItem.objects.all()}
    return Services(world, items, departments, officers)


def give_all_materials(onestop: Services, item_code: str) -> None:
    """Fill the talent's library with every material an item needs."""
    for material_type in onestop.items[item_code].materials.all():
        services.add_material(
            actor=onestop.talent_user,
            given=services.NewMaterial(material_type.code, f"电子证照 {material_type.code}"),
        )


def submitted_gold_card(onestop: Services) -> Application:
    give_all_materials(onestop, "gold_card")
    return services.apply(actor=onestop.talent_user, item=item_in_region("gold_card", onestop.world.county_a))


def in_progress_gold_card(onestop: Services) -> Application:
    application = submitted_gold_card(onestop)
    services.accept(actor=onestop.window, application=application)
    application.refresh_from_db()
    return application
