"""Demo one-stop services for Quzhou: the catalogue, department accounts, applications in several states."""

from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction

from rencai.accounts.models import User
from rencai.accounts.two_factor import enrol_demo_authenticators
from rencai.core.regions import ensure_quzhou_regions
from rencai.onestop.models import Application, MaterialType, ServiceItem, ServiceStep

CITY = "330800"
JIANGSHAN = "330881"

MATERIAL_TYPES = [  # code, name
    ("id_copy", "身份证复印件"),
    ("photo", "近期免冠照片"),
    ("degree_certificate", "学历学位证书"),
    ("talent_certificate", "人才类别认定证明"),
    ("employment_contract", "劳动合同"),
    ("social_insurance", "社保缴纳证明"),
    ("child_household", "子女户籍证明"),
    ("housing_contract", "购房合同"),
    ("station_agreement", "院士合作协议"),
    ("recruitment_evidence", "引才成效证明材料"),
]

# code, name, policy code, outcome, materials, [(group, department kind, action, working days)], description
CATALOGUE = [
    (
        "gold_card",
        "人才金卡申领",
        "gold-card",
        "gold_card",
        ["id_copy", "photo", "talent_certificate"],
        [(1, "hrss", "人才类别核验", 3), (1, "org", "人才办审定", 3)],
        "A–D类人才申领人才金卡，凭卡享受医疗、交通、文旅等服务；人社局与人才办并联审核。",
    ),
    (
        "education_voucher",
        "高层次人才子女教育券",
        "education-voucher",
        "education_voucher",
        ["id_copy", "talent_certificate", "child_household"],
        [(1, "education", "入学安排及券额核定", 5), (2, "finance", "教育券资金备案", 3)],
        "高层次人才子女入学发放教育券，由学校凭券兑付。",
    ),
    (
        "housing_loan",
        "住房公积金“特优贷”",
        "housing-loan",
        "housing_loan",
        ["id_copy", "employment_contract", "social_insurance", "housing_contract"],
        [(1, "hrss", "人才身份及就业核验", 2)],
        "核验后转介住房公积金中心，按人才类别给予贷款额度。",
    ),
    (
        "settlement_subsidy",
        "来衢安家补贴",
        "settlement-doctor",
        "payment",
        ["id_copy", "degree_certificate", "employment_contract", "social_insurance"],
        [(1, "hrss", "学历及全职就业核验", 5), (2, "finance", "补贴资金拨付", 5)],
        "全职引进的博士、硕士给予安家补贴（县有新政的按县政策）。",
    ),
    (
        "academician_station",
        "院士专家工作站进站人才资助",  # the policy's name: one benefit, one name
        "academician-station-support",
        "payment",
        ["id_copy", "station_agreement"],
        [(1, "science", "进站条件审核", 10), (2, "finance", "资助资金拨付", 5)],
        "在院士专家工作站从事研发的硕士以上人才，经科技局审核给予资助。",
    ),
    (
        "platform_reward",
        "平台型企业引才重奖",
        "platform-enterprise-reward",
        "payment",
        ["recruitment_evidence", "employment_contract"],
        [
            (1, "economy", "平台型企业认定", 5),
            (1, "hrss", "引才成效核验", 5),
            (2, "finance", "奖励资金拨付", 5),
        ],
        "平台型企业引才成效显著的，按引进人才层次给予最高100万元奖励。",
    ),
]

# Department accounts for the steps (the registry demo already has `hrss`, 江山市人社局).
DEPARTMENT_ACCOUNTS = [  # username, region, department kind, display name
    ("rencaiban", JIANGSHAN, "org", "江山市委组织部人才科"),
    ("jiaoyu", JIANGSHAN, "education", "江山市教育局"),
    ("caizheng", JIANGSHAN, "finance", "江山市财政局"),
    ("keji", JIANGSHAN, "science", "江山市科学技术局"),
    ("jingxin", JIANGSHAN, "economy", "江山市经济和信息化局"),
    ("gongjijin", JIANGSHAN, "housing_fund", "衢州市住房公积金中心江山分中心"),
]


def load_catalogue() -> int:
    """Material types and the city's service items with their steps; idempotent by code."""
    from rencai.policies.models import Policy

    regions = ensure_quzhou_regions()
    for code, name in MATERIAL_TYPES:
        MaterialType.objects.update_or_create(code=code, defaults={"name": name})
    types = {t.code: t for t in MaterialType.objects.all()}
    policies = {p.code: p for p in Policy.objects.all()}
    created = 0
    for code, name, policy_code, outcome, materials, steps, description in CATALOGUE:
        item, made = ServiceItem.objects.update_or_create(
            region=regions[CITY],
            code=code,
            defaults={
                "name": name,
                "policy": policies.get(policy_code),
                "outcome": outcome,
                "description": description,
            },
        )
        created += made
        item.materials.set([types[m] for m in materials])
        for group, kind, action, days in steps:
            ServiceStep.objects.update_or_create(
                item=item,
                group=group,
                department_kind=kind,
                defaults={"action": action, "sla_working_days": days},
            )
    return created


def create_department_accounts(password: str) -> list[User]:
    from rencai.registry.models import Department

    hashed = make_password(password)
    users = []
    for username, region_code, kind, display_name in DEPARTMENT_ACCOUNTS:
        department = Department.objects.filter(region__code=region_code, kind=kind).first()
        if department is None:
            continue
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "role": "department",
                "region": department.region,
                "department": department,
                "display_name": display_name,
                "password": hashed,
                "is_active": True,
            },
        )
        users.append(user)
    enrol_demo_authenticators(users)  # the published demo secret (`rencai demo_totp`)
    return users


@dataclass
class ServicesDemoReport:
    items: int = 0
    accounts: list[str] = field(default_factory=list)
    applications: dict[str, str] = field(default_factory=dict)  # what -> state


@transaction.atomic
def load_demo_services() -> ServicesDemoReport:
    """The catalogue, department accounts and demo applications (needs `rencai demo` for the registry)."""
    from rencai.policies.demo import load_demo_policies
    from rencai.registry.demo import DEMO_PASSWORD

    load_demo_policies()
    report = ServicesDemoReport(items=load_catalogue())
    report.accounts = [u.username for u in create_department_accounts(DEMO_PASSWORD)]
    if not Application.objects.filter(idempotency_key__startswith="demo-").exists():
        report.applications = _demo_applications()
    return report


def _apply_or_confirm(user, talent, item, *, key: str, form_data: dict | None = None) -> Application:
    """Confirm the matching run's offer for `item` if there is one, else apply."""
    from rencai.onestop import services

    offer = Application.objects.filter(talent=talent, item=item, state="offered").first()
    if offer is not None:
        return services.confirm_offer(actor=user, application=offer, form_data=form_data)
    return services.apply(actor=user, item=item, form_data=form_data, idempotency_key=key)


def _return_for_correction(officer, application: Application) -> None:
    from rencai.onestop import services

    given = set(application.materials.values_list("material_type__code", flat=True))
    missing = [m.code for m in application.item.materials.all() if m.code not in given]
    services.return_with_notice(
        actor=officer,
        application=application,
        items=[services.NoticeItem(code, "missing") for code in missing],
        note="请一次补齐以上材料后在线提交，无需到窗口。",
    )


def _demo_applications() -> dict[str, str]:
    """The showcase talent's gold card issued, a voucher in progress, a loan returned for correction;
    the enterprise's applications for two employees waiting at the window."""
    from rencai.onestop import services
    from rencai.onestop.selectors import item_in_region
    from rencai.registry.models import Talent

    names = ["talent", "jiangshan", "hrss", "rencaiban", "tianpeng"]
    users = {u.username: u for u in User.objects.filter(username__in=names)}
    talent = Talent.objects.select_related("region").filter(account=users.get("talent")).first()
    if talent is None or "jiangshan" not in users:
        return {}
    officer = users["jiangshan"]
    item = {code: item_in_region(code, talent.region) for code, *_rest in CATALOGUE}
    for code, reference in (
        ("id_copy", "电子证照 33088119880101XXXX"),
        ("photo", "照片 2026-03"),
        ("talent_certificate", "衢人才认〔2019〕D-0142"),
        ("degree_certificate", "学位证书 1028742016000123"),
    ):
        services.add_material(actor=users["talent"], given=services.NewMaterial(code, reference))
    states: dict[str, str] = {}

    card = services.apply(actor=users["talent"], item=item["gold_card"], idempotency_key="demo-gold-card")
    services.accept(actor=officer, application=card, comment="材料齐全，予以受理")
    for task in card.steps.select_related("department"):
        decider = users["hrss"] if task.department.kind == "hrss" else users.get("rencaiban")
        if decider is not None:
            services.decide_step(actor=decider, task=task, approve=True)
    card.refresh_from_db()
    states["gold_card"] = card.state

    if "tianpeng" in users:
        employer = users["tianpeng"]
        employees = Talent.objects.filter(
            current_employer_id=employer.enterprise_id, tier__in=["B", "C", "D"], status="active"
        ).exclude(pk=talent.pk)[:2]
        for n, employee in enumerate(employees, start=1):
            done = services.apply(
                actor=employer,
                talent=employee,
                item=item_in_region("gold_card", employee.region),
                materials=[services.NewMaterial("id_copy", f"企业代办 {n}")],
                idempotency_key=f"demo-enterprise-gold-card-{n}",
            )
            if n == 2:  # the window's one correction notice, listing everything missing at once
                _return_for_correction(officer, done)
                done.refresh_from_db()
            states[f"enterprise_gold_card_{n}"] = done.state
    # Matching has already offered her the voucher and the loan (免申即享): she confirms the offers
    # instead of applying, since one benefit is paid by one route (the budget ledger refuses a second).
    services.offers_from_entitlements()
    services.add_material(
        actor=users["talent"], given=services.NewMaterial("child_household", "户口簿 江山市 2026")
    )
    voucher = _apply_or_confirm(
        users["talent"],
        talent,
        item["education_voucher"],
        key="demo-education-voucher",
        form_data={"child_name": talent.name[0] + "小宇"},
    )
    if voucher.state == "submitted":
        services.accept(actor=officer, application=voucher)
        voucher.refresh_from_db()
    states["education_voucher"] = voucher.state

    loan = _apply_or_confirm(users["talent"], talent, item["housing_loan"], key="demo-housing-loan")
    if loan.state == "submitted":
        _return_for_correction(officer, loan)
        loan.refresh_from_db()
    states["housing_loan"] = loan.state

    return states
