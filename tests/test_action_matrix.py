"""The action matrix: every role against every `Action` of `core.access`, on no object, on real rows, and
through the real pages and services.

What each role holds is written out below by hand from the rules of the issue, not computed by the code
under test. A new `Action` fails `test_the_table_names_every_action` until it is given its holders here.
Object rights are checked on rows made by the real services (applications, steps, loan referrals, cards);
the end-to-end cases post to the pages and check that a refused write changed nothing.
"""

import re
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from rencai.accounts.models import Role, User
from rencai.core.access import Action, holders, may, require, restrict
from rencai.core.errors import NotFound, PermissionDenied
from rencai.core.models import AuditEntry, Notification, Region
from rencai.onestop import services
from rencai.onestop.models import Application, GoldCard, HousingLoanReferral, Material, ServiceItem, StepTask
from rencai.onestop.selectors import item_in_region
from rencai.policies.models import Policy, PolicyVersion
from rencai.registry.models import Talent
from tests import factories
from tests.onestop.builders import Services, build_services, give_all_materials, in_progress_gold_card

A = Action

# -- the table: what each role may do when no particular object is asked about ------------------------------

# Every officer reads the registry of their region, follows policies and services, and verifies cards
OFFICER = {
    A.BROWSE_TALENTS,
    A.BROWSE_REGISTRY,
    A.SEARCH_REGION,
    A.EXPORT,
    A.BROWSE_POLICIES,
    A.SEE_MATCHING_FIGURES,
    A.SEE_SERVICE_DASHBOARD,
    A.VERIFY_CARD,
    A.SEE_CALENDAR_WARNING,
    A.USE_API,
    A.VIEW_MATERIAL_FILE,  # of the applications they take part in only (tests/onestop/test_material_files.py)
    A.BROWSE_EVALUATION,
    A.BROWSE_RECRUITMENT,
    A.VIEW_ANALYTICS,
    A.BROWSE_COORDINATION,
    A.KEEP_WORKLIST,
    A.COMMENT_ON_DRAFT,
}
# Organization departments also keep the registry, make policies, run the one-stop window and the catalogue
ORGANIZER = OFFICER | {
    A.REVEAL_PERSONAL_DATA,
    A.EDIT_REGISTRY,
    A.IMPORT_REGISTRY,
    A.DRAFT_POLICY,
    A.VIEW_POLICY_DRAFTS,
    A.WORK_AT_WINDOW,
    A.MAINTAIN_CATALOGUE,
    A.REVOKE_CARD,
    A.MANAGE_EVALUATION,
    A.FIRST_REVIEW,
    A.ANSWER_OBJECTION,
    A.MANAGE_RECRUITMENT,
    A.REVIEW_DEMAND,
    A.RECORD_LEAD,
    A.SEE_PEOPLE_BEHIND_FIGURES,
    A.SUPERVISE_WORKLIST,
}
HELD: dict[str, set[Action]] = {
    # only the city runs matching and moves talents between counties
    "city_org_dept": ORGANIZER
    | {
        A.START_MATCHING,
        A.TRANSFER_TALENT,
        A.SECOND_REVIEW,
        A.SETTLE_REWARDS,
        A.MANAGE_INDICATORS,
        A.SET_TARGETS,
    },
    "county_org_dept": ORGANIZER | {A.ASSESS_TARGETS},
    "department": OFFICER | {A.DECIDE_STEP, A.DECIDE_LOAN, A.ASSESS_TARGETS},
    "enterprise": {
        A.BROWSE_TALENTS,
        A.BROWSE_REGISTRY,
        A.EXPORT,
        A.APPLY_FOR_EMPLOYEE,
        A.ACT_AS_APPLICANT,
        A.USE_API,
        A.VIEW_MATERIAL_FILE,
        A.BROWSE_EVALUATION,
        A.APPLY_FOR_EVALUATION,
        A.CONFIRM_AS_EMPLOYER,
        A.NOMINATE_CTO,
        A.BROWSE_RECRUITMENT,
        A.POST_DEMAND,
        A.COMMENT_ON_DRAFT,
    },
    "talent": {
        A.BROWSE_TALENTS,
        A.REVEAL_PERSONAL_DATA,
        A.SEE_OWN_BENEFITS,
        A.APPLY_FOR_SELF,
        A.ACT_AS_APPLICANT,
        A.CONFIRM_OFFER,
        A.VIEW_MATERIAL_FILE,
        A.BROWSE_EVALUATION,
        A.APPLY_FOR_EVALUATION,
    },
    # an expert scores the cases of the panels they sit on, and sees nothing else
    "reviewer": {A.BROWSE_EVALUATION, A.SCORE_CASE},
    "provider": {A.VERIFY_CARD, A.REDEEM_VOUCHER, A.USE_API},
    # an agency's users refer candidates and record the leads of the stations they operate
    "intermediary": {A.BROWSE_RECRUITMENT, A.REFER_CANDIDATE, A.RECORD_LEAD},
    # The administrator holds every officer's and provider's right and keeps the calendar, but never acts
    # as a talent or an employer
    "superuser": ORGANIZER
    | {
        A.START_MATCHING,
        A.TRANSFER_TALENT,
        A.SECOND_REVIEW,
        A.SETTLE_REWARDS,
        A.MANAGE_INDICATORS,
        A.SET_TARGETS,
        A.ASSESS_TARGETS,
        A.DECIDE_STEP,
        A.DECIDE_LOAN,
        A.REDEEM_VOUCHER,
        A.MAINTAIN_CALENDAR,
    },
    "anonymous": set(),
}
ROLES = [*Role.values, "superuser", "anonymous"]

# -- the navigation each role is shown (url names) ----------------------------------------------------------

EVERYONE = {"home", "inbox"}
REGISTRY_PAGES = {
    "registry:talent_list",
    "registry:enterprise_list",
    "registry:platform_list",
    "registry:achievement_list",
    "registry:project_list",
}
ORGANIZER_PAGES = (
    EVERYONE
    | REGISTRY_PAGES
    | {
        "registry:academician_list",
        "registry:import",
        "policies:policy_list",
        "onestop:window_queue",
        "onestop:item_manage",
        "onestop:dashboard",
        "evaluation:cto_register",
        "evaluation:index",
        "recruitment:index",
        "coordination:target_index",
        "analytics:dashboard",
        "coordination:worklist_index",
        "coordination:consultation_list",
    }
)
NAV = {
    "city_org_dept": ORGANIZER_PAGES,
    "county_org_dept": ORGANIZER_PAGES,
    "department": EVERYONE
    | REGISTRY_PAGES
    | {"registry:academician_list", "policies:policy_list", "onestop:department_queue", "onestop:dashboard"}
    | {"evaluation:index", "recruitment:index", "coordination:target_index", "analytics:dashboard"}
    | {"coordination:worklist_index", "coordination:consultation_list"},
    "enterprise": EVERYONE
    | REGISTRY_PAGES
    | {"onestop:my_applications", "evaluation:cto_register", "evaluation:index", "recruitment:index"}
    | {"coordination:consultation_list"},
    "talent": EVERYONE
    | {"policies:my_benefits", "onestop:my_card", "onestop:my_applications", "evaluation:index"},
    "reviewer": EVERYONE | {"evaluation:index"},
    "provider": EVERYONE | {"onestop:provider_home"},
    "intermediary": EVERYONE | {"recruitment:index"},
    "superuser": ORGANIZER_PAGES | {"onestop:department_queue", "onestop:provider_home"},
}


@pytest.fixture
def users(world) -> dict:
    """One account per role (the world's, plus the intermediary it lacks) and a visitor not signed in."""
    intermediary = factories.make_user("intermediary", Role.INTERMEDIARY)
    return {**world.users, "intermediary": intermediary, "anonymous": AnonymousUser()}


def refusal_of(error) -> str:
    return error.value.message_zh


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# (a) Rights without an object ------------------------------------------------------------------------------


def test_the_table_names_every_action():
    assert set().union(*HELD.values()) == set(Action)
    assert set(HELD) == set(ROLES)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_holds_exactly_the_actions_of_the_table(users, role):
    user = users[role]

    held = {action for action in Action if may(user, action)}

    assert held == HELD[role], f"{role}: extra {held - HELD[role]}, missing {HELD[role] - held}"


@pytest.mark.parametrize("role", ROLES)
def test_require_refuses_every_action_the_role_lacks_with_that_actions_message(users, role):
    user = users[role]
    for action in Action:
        if action in HELD[role]:
            require(user, action)
            continue
        with pytest.raises(PermissionDenied) as refused:
            require(user, action)
        assert refused.value.status == 403, action
        assert refused.value.message_zh and refused.value.message_en, action


def test_nobody_at_all_holds_anything():
    assert not any(may(None, action) for action in Action)


def test_holders_finds_the_accounts_whose_role_holds_the_action(users):
    """Whom to tell: the accounts of the roles that hold it (an administrator's rights are not its role's)."""
    for action in Action:
        found = User.objects.filter(holders(action), is_superuser=False).values_list("username", flat=True)
        expected = {users[role].username for role in Role.values if action in HELD[role]}
        assert set(found) == expected, action


@pytest.mark.parametrize("role", ROLES)
def test_the_may_filter_of_templates_answers_like_the_table(users, role):
    template = Template(
        '{% load access %}{% if user|may:"export" %}export {% endif %}'
        '{% if user|may:"revoke_card" %}revoke{% endif %}'
    )

    shown = template.render(Context({"user": users[role]})).split()

    assert set(shown) == {
        name for name, action in (("export", A.EXPORT), ("revoke", A.REVOKE_CARD)) if action in HELD[role]
    }


def test_the_may_filter_refuses_an_unknown_action_name(users):
    with pytest.raises(ValueError, match="approve_everything"):
        Template('{% load access %}{{ user|may:"approve_everything" }}').render(
            Context({"user": users["city_org_dept"]})
        )


# (b) Rights that depend on the object, on real rows --------------------------------------------------------


@dataclass
class Rows:
    """Rows made by the real services in Jiangshan (county A) and Longyou (county B)."""

    onestop: Services
    own_application: Application  # talent_a's gold card, filed by the talent; hrss and org steps pending
    employer_application: Application  # talent_a's housing loan, filed by enterprise_a; referred
    longyou_application: Application  # talent_b's gold card in Longyou, submitted
    hrss_task: StepTask
    org_task: StepTask
    referral: HousingLoanReferral  # at Jiangshan's housing-fund centre
    card_a: GoldCard
    card_b: GoldCard

    @property
    def officers(self) -> dict:
        return self.onestop.officers


@pytest.fixture
def rows(world) -> Rows:
    onestop = build_services(world)
    own = in_progress_gold_card(onestop)
    give_all_materials(onestop, "housing_loan")
    loan = services.apply(
        actor=world.users["enterprise"], talent=world.talent_a, item=onestop.items["housing_loan"]
    )
    services.accept(actor=onestop.window, application=loan)
    services.decide_step(actor=onestop.officers["hrss"], task=loan.steps.get(), approve=True)
    world.talent_b.account = factories.make_user("longyou_talent", Role.TALENT)
    world.talent_b.save()
    longyou = services.apply(actor=world.talent_b.account, item=item_in_region("gold_card", world.county_b))
    return Rows(
        onestop=onestop,
        own_application=own,
        employer_application=loan,
        longyou_application=longyou,
        hrss_task=own.steps.get(department__kind="hrss"),
        org_task=own.steps.get(department__kind="org"),
        referral=HousingLoanReferral.objects.get(application=loan),
        card_a=services.issue_gold_card(application=own),
        card_b=services.issue_gold_card(application=longyou),
    )


@pytest.fixture
def policies(world) -> dict[str, Policy]:
    """A policy of the city, of Jiangshan and of Longyou."""
    regions = {"city": world.regions["330800"], "a": world.county_a, "b": world.county_b}
    return {
        key: Policy.objects.create(code=f"P-{key}", name=f"政策 {key}", region=region, kind="subsidy")
        for key, region in regions.items()
    }


def test_county_officer_drafts_policies_for_own_county_only(world, policies):
    county = world.users["county_org_dept"]
    assert may(county, A.DRAFT_POLICY, world.county_a) and may(county, A.DRAFT_POLICY, policies["a"])
    for obj in (world.county_b, policies["b"], world.regions["330800"], policies["city"]):
        assert not may(county, A.DRAFT_POLICY, obj), obj
        with pytest.raises(PermissionDenied) as refused:
            require(county, A.DRAFT_POLICY, obj)
        assert refusal_of(refused) == "只能制定本辖区的政策"
    city = world.users["city_org_dept"]
    assert all(may(city, A.DRAFT_POLICY, policy) for policy in policies.values())


def test_department_officer_is_told_only_org_departments_draft_policies(world, policies):
    with pytest.raises(PermissionDenied) as refused:
        require(world.users["department"], A.DRAFT_POLICY, policies["a"])
    assert refusal_of(refused) == "只有组织部门可以制定政策"


def test_county_officer_maintains_the_catalogue_of_own_county_only(world, rows):
    county = world.users["county_org_dept"]
    city_item = ServiceItem.objects.get(code="gold_card", region=world.regions["330800"])
    assert may(county, A.MAINTAIN_CATALOGUE, world.county_a)
    for obj in (world.county_b, world.regions["330800"], city_item):
        assert not may(county, A.MAINTAIN_CATALOGUE, obj), obj
        with pytest.raises(PermissionDenied) as refused:
            require(county, A.MAINTAIN_CATALOGUE, obj)
        assert refusal_of(refused) == "只能维护本辖区的服务事项"
    assert may(world.users["city_org_dept"], A.MAINTAIN_CATALOGUE, city_item)


def test_department_officer_decides_only_own_departments_step(rows):
    hrss, org = rows.officers["hrss"], rows.officers["org"]
    assert may(hrss, A.DECIDE_STEP, rows.hrss_task) and may(org, A.DECIDE_STEP, rows.org_task)
    assert not may(hrss, A.DECIDE_STEP, rows.org_task)
    with pytest.raises(NotFound):
        require(hrss, A.DECIDE_STEP, rows.org_task)
    with pytest.raises(NotFound):
        require(org, A.DECIDE_STEP, rows.hrss_task)


def test_a_window_officer_is_refused_a_department_step_by_role(world, rows):
    with pytest.raises(PermissionDenied) as refused:
        require(world.users["county_org_dept"], A.DECIDE_STEP, rows.hrss_task)
    assert refusal_of(refused) == "只有办理部门可以审批该环节"
    assert may(world.users["superuser"], A.DECIDE_STEP, rows.org_task)


def test_only_the_housing_fund_centre_decides_its_loan_referral(world, rows):
    assert may(rows.officers["housing_fund"], A.DECIDE_LOAN, rows.referral)
    with pytest.raises(NotFound):
        require(rows.officers["hrss"], A.DECIDE_LOAN, rows.referral)
    with pytest.raises(PermissionDenied) as refused:
        require(world.users["enterprise"], A.DECIDE_LOAN, rows.referral)
    assert refusal_of(refused) == "只有公积金中心可以审批"


def test_talent_confirms_and_acts_only_on_own_applications(world, rows):
    talent, longyou = world.users["talent"], world.talent_b.account
    for application in (rows.own_application, rows.employer_application):
        assert may(talent, A.CONFIRM_OFFER, application) and may(talent, A.ACT_AS_APPLICANT, application)
    assert may(longyou, A.CONFIRM_OFFER, rows.longyou_application)
    with pytest.raises(NotFound):
        require(talent, A.CONFIRM_OFFER, rows.longyou_application)
    with pytest.raises(NotFound):
        require(longyou, A.CONFIRM_OFFER, rows.own_application)
    with pytest.raises(PermissionDenied) as refused:
        require(talent, A.ACT_AS_APPLICANT, rows.longyou_application)
    assert refusal_of(refused) == "您不是该申请的当事方"


def test_enterprise_acts_as_applicant_only_where_it_applied_and_never_confirms(world, rows):
    enterprise = world.users["enterprise"]
    assert may(enterprise, A.ACT_AS_APPLICANT, rows.employer_application)
    for application in (rows.own_application, rows.longyou_application):  # filed by the talents themselves
        with pytest.raises(PermissionDenied) as refused:
            require(enterprise, A.ACT_AS_APPLICANT, application)
        assert refusal_of(refused) == "您不是该申请的当事方"
    with pytest.raises(PermissionDenied) as refused:
        require(enterprise, A.CONFIRM_OFFER, rows.employer_application)
    assert refusal_of(refused) == "只有人才本人可以确认"


def test_enterprise_applies_only_for_its_own_employee(world):
    enterprise = world.users["enterprise"]
    assert may(enterprise, A.APPLY_FOR_EMPLOYEE, world.talent_a)
    for talent in (world.talent_a2, world.talent_b):  # not employed by it; another county's
        assert not may(enterprise, A.APPLY_FOR_EMPLOYEE, talent)
        with pytest.raises(NotFound):
            require(enterprise, A.APPLY_FOR_EMPLOYEE, talent)


def test_talent_applies_only_for_own_record(world):
    talent = world.users["talent"]
    assert may(talent, A.APPLY_FOR_SELF, world.talent_a)
    with pytest.raises(NotFound):
        require(talent, A.APPLY_FOR_SELF, world.talent_a2)


def test_revoking_a_card_outside_the_officers_county_is_not_found(world, rows):
    county, city = world.users["county_org_dept"], world.users["city_org_dept"]
    assert may(county, A.REVOKE_CARD, rows.card_a)
    with pytest.raises(NotFound):
        require(county, A.REVOKE_CARD, rows.card_b)
    assert may(city, A.REVOKE_CARD, rows.card_a) and may(city, A.REVOKE_CARD, rows.card_b)
    for card in (rows.card_a, rows.card_b):
        with pytest.raises(PermissionDenied) as refused:
            require(world.users["department"], A.REVOKE_CARD, card)
        assert refusal_of(refused) == "只有组织部门可以注销人才金卡"


def test_only_the_city_moves_a_talent_between_counties(world):
    city = world.users["city_org_dept"]
    assert may(city, A.TRANSFER_TALENT, world.talent_a) and may(city, A.TRANSFER_TALENT, world.talent_b)
    for role in ("county_org_dept", "department", "enterprise", "talent"):
        with pytest.raises(PermissionDenied) as refused:
            require(world.users[role], A.TRANSFER_TALENT, world.talent_a)
        assert refusal_of(refused) == "人才跨县（市、区）转移由市委组织部办理", role


def pks(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def test_department_queue_rows_are_those_of_the_officers_own_department(world, rows):
    tasks = StepTask.objects.all()
    assert pks(tasks) == {rows.hrss_task.pk, rows.org_task.pk, rows.employer_application.steps.get().pk}
    hrss_tasks = {rows.hrss_task.pk, rows.employer_application.steps.get().pk}

    assert pks(restrict(rows.officers["hrss"], tasks, A.DECIDE_STEP)) == hrss_tasks
    assert pks(restrict(rows.officers["org"], tasks, A.DECIDE_STEP)) == {rows.org_task.pk}
    assert pks(restrict(rows.officers["finance"], tasks, A.DECIDE_STEP)) == set()
    assert pks(restrict(world.users["county_org_dept"], tasks, A.DECIDE_STEP)) == set()
    assert pks(restrict(world.users["superuser"], tasks, A.DECIDE_STEP)) == pks(tasks)


def test_window_applications_are_those_of_the_officers_region(world, rows):
    applications = Application.objects.all()
    jiangshan = {rows.own_application.pk, rows.employer_application.pk}

    assert pks(restrict(world.users["county_org_dept"], applications, A.WORK_AT_WINDOW)) == jiangshan
    assert pks(restrict(world.users["city_org_dept"], applications, A.WORK_AT_WINDOW)) == jiangshan | {
        rows.longyou_application.pk
    }
    for role in ("department", "enterprise", "talent", "provider"):
        assert pks(restrict(world.users[role], applications, A.WORK_AT_WINDOW)) == set(), role


def test_loan_queue_rows_are_those_of_the_officers_own_centre(world, rows):
    referrals = HousingLoanReferral.objects.all()

    assert pks(restrict(rows.officers["housing_fund"], referrals, A.DECIDE_LOAN)) == {rows.referral.pk}
    assert pks(restrict(rows.officers["hrss"], referrals, A.DECIDE_LOAN)) == set()
    assert pks(restrict(world.users["enterprise"], referrals, A.DECIDE_LOAN)) == set()


# Each object right against the model it is asked about: restrict() must keep exactly the rows may() admits
OBJECT_RIGHTS = [
    (A.DECIDE_STEP, StepTask),
    (A.DECIDE_LOAN, HousingLoanReferral),
    (A.WORK_AT_WINDOW, Application),
    (A.ACT_AS_APPLICANT, Application),
    (A.CONFIRM_OFFER, Application),
    (A.REVOKE_CARD, GoldCard),
    (A.VIEW_MATERIAL_FILE, Material),
    (A.APPLY_FOR_SELF, Talent),
    (A.APPLY_FOR_EMPLOYEE, Talent),
    (A.REVEAL_PERSONAL_DATA, Talent),
    (A.TRANSFER_TALENT, Talent),
    (A.DRAFT_POLICY, Region),
    (A.MAINTAIN_CATALOGUE, Region),
]
# A county officer sees the city's policies and items (they apply downward) but may not change them:
# restrict() must keep only the rows of the officer's own regions, as may() does.
OBJECT_RIGHTS_DOWNWARD = [(A.DRAFT_POLICY, Policy), (A.MAINTAIN_CATALOGUE, ServiceItem)]


def accounts(users, rows) -> dict:
    """Every role's account, and the officer of each Jiangshan department and the Longyou talent besides."""
    departments = {f"department:{kind}": officer for kind, officer in rows.officers.items()}
    return {**users, **departments, "longyou_talent": rows.longyou_application.talent.account}


def assert_restrict_agrees_with_may(accounts: dict, action: Action, model) -> None:
    every_row = model._default_manager.all()
    assert every_row.exists(), model
    for who, user in accounts.items():
        admitted = {row.pk for row in every_row if may(user, action, row)}
        kept = pks(restrict(user, every_row, action))
        assert kept == admitted, f"{who}: restrict keeps {kept}, may admits {admitted}"


@pytest.mark.parametrize(("action", "model"), OBJECT_RIGHTS)
def test_restrict_keeps_exactly_the_rows_may_admits(users, rows, policies, action, model):
    assert_restrict_agrees_with_may(accounts(users, rows), action, model)


@pytest.mark.parametrize(("action", "model"), OBJECT_RIGHTS_DOWNWARD)
def test_restrict_keeps_only_the_rows_of_regions_the_officer_may_change(users, rows, policies, action, model):
    assert_restrict_agrees_with_may(accounts(users, rows), action, model)


# (c) Through the real pages and services --------------------------------------------------------------------


def test_department_officer_posting_a_revocation_is_told_only_org_departments_may_and_the_card_stays(rows):
    card = rows.card_a
    client = client_for(rows.officers["hrss"])

    response = client.post(
        reverse("onestop:revoke_card", args=[card.pk]), {"reason": "人才已离衢"}, follow=True
    )

    assert "只有组织部门可以注销人才金卡" in response.content.decode()
    card.refresh_from_db()
    assert (card.status, card.revoked_at, card.revoked_reason) == ("active", None, "")
    assert not AuditEntry.objects.filter(action="onestop.card.revoke").exists()
    assert not Notification.objects.filter(kind="onestop.card_revoked").exists()


def test_county_officer_revokes_own_countys_card_and_another_countys_is_not_found(world, rows):
    client = client_for(world.users["county_org_dept"])

    other = client.post(reverse("onestop:revoke_card", args=[rows.card_b.pk]), {"reason": "越权"})
    own = client.post(
        reverse("onestop:revoke_card", args=[rows.card_a.pk]), {"reason": "人才已离衢"}, follow=True
    )

    assert other.status_code == 404 and rows.card_b.card_number not in other.content.decode()
    rows.card_b.refresh_from_db()
    assert rows.card_b.status == "active"
    rows.card_a.refresh_from_db()
    assert rows.card_a.status == "revoked" and rows.card_a.revoked_reason == "人才已离衢"
    assert "人才已离衢" in own.content.decode()
    revocations = AuditEntry.objects.filter(action="onestop.card.revoke")
    assert list(revocations.values_list("object_id", flat=True)) == [str(rows.card_a.pk)]


@pytest.mark.parametrize("who", ["enterprise", "hrss", "county_org_dept"])
def test_a_loan_decision_posted_by_anyone_but_the_centre_changes_nothing(world, rows, who):
    user = rows.officers["hrss"] if who == "hrss" else world.users[who]

    response = client_for(user).post(
        reverse("onestop:loan_decision", args=[rows.referral.pk]),
        {"decision": "approve", "note": "同意"},
        follow=True,
    )

    page = response.content.decode()
    assert "已记录审批结果" not in page
    if who == "county_org_dept":  # sees the referral of its county, but may not decide it
        assert "只有公积金中心可以审批" in page
    else:
        assert response.status_code == 404 and "对象不存在或无权查看" in page
    referral = HousingLoanReferral.objects.get(pk=rows.referral.pk)
    assert (referral.status, referral.decided_by, referral.decision_note) == ("referred", None, "")
    assert not AuditEntry.objects.filter(
        action__in=["onestop.loan.approved", "onestop.loan.declined"]
    ).exists()


def test_the_housing_fund_centre_decides_its_loan_through_the_page(rows):
    client = client_for(rows.officers["housing_fund"])

    response = client.post(
        reverse("onestop:loan_decision", args=[rows.referral.pk]),
        {"decision": "approve", "note": "额度60万元"},
        follow=True,
    )

    assert "已记录审批结果" in response.content.decode()
    rows.referral.refresh_from_db()
    assert rows.referral.status == "approved" and rows.referral.decided_by == rows.officers["housing_fund"]


def test_talent_opening_the_window_queue_is_refused_with_the_windows_message(world, rows):
    response = client_for(world.users["talent"]).get(reverse("onestop:window_queue"))

    page = response.content.decode()
    assert response.status_code == 403
    assert "只有综合窗口（组织部门）工作人员可以办理" in page
    assert f'data-application="{rows.own_application.pk}"' not in page


def test_county_window_lists_its_countys_submissions_only(world, rows):
    page = client_for(world.users["county_org_dept"]).get(reverse("onestop:window_queue")).content.decode()

    assert "人才服务综合窗口" in page
    assert f'data-application="{rows.longyou_application.pk}"' not in page and "龙游丙" not in page


@pytest.mark.parametrize("role", ["enterprise", "talent", "provider", "county_org_dept"])
def test_department_queue_is_refused_to_anyone_but_a_department(world, rows, role):
    response = client_for(world.users[role]).get(reverse("onestop:department_queue"))

    page = response.content.decode()
    assert response.status_code == 403 and "只有办理部门可以审批该环节" in page
    assert f'data-task="{rows.hrss_task.pk}"' not in page


def test_department_officer_deciding_another_departments_step_is_not_found_and_it_stays_pending(rows):
    client = client_for(rows.officers["hrss"])

    response = client.post(reverse("onestop:step_detail", args=[rows.org_task.pk]), {"decision": "approve"})

    assert response.status_code == 404 and "对象不存在或无权查看" in response.content.decode()
    rows.org_task.refresh_from_db()
    assert rows.org_task.state == "pending" and rows.org_task.decided_by is None


def test_talent_confirming_another_talents_application_is_not_found_and_it_does_not_move(world, rows):
    client = client_for(world.users["talent"])

    response = client.post(reverse("onestop:confirm_offer", args=[rows.longyou_application.pk]))

    assert response.status_code == 404 and "龙游丙" not in response.content.decode()
    rows.longyou_application.refresh_from_db()
    assert rows.longyou_application.state == "submitted"


def test_county_officer_cannot_draft_a_version_of_the_citys_policy(world, policies):
    client = client_for(world.users["county_org_dept"])
    url = reverse("policies:version_create", args=[policies["city"].pk])

    response = client.post(
        url, {"eligibility_rule": "true", "amount_rule": "0", "effective_from": "2030-01-01"}
    )

    assert response.status_code == 403 and "只能制定本辖区的政策" in response.content.decode()
    assert not PolicyVersion.objects.filter(policy=policies["city"]).exists()
    own = client.get(reverse("policies:version_create", args=[policies["a"].pk]))
    assert own.status_code == 200 and "只能制定本辖区的政策" not in own.content.decode()


def test_county_officer_saving_an_item_for_another_county_is_refused_and_nothing_is_stored(world, rows):
    spec = services.ItemSpec(code="county_b_item", name="龙游事项", outcome="recognition")

    with pytest.raises(PermissionDenied) as refused:
        services.save_service_item(actor=world.users["county_org_dept"], region=world.county_b, spec=spec)

    assert refusal_of(refused) == "只能维护本辖区的服务事项"
    assert not ServiceItem.objects.filter(code="county_b_item").exists()


def test_provider_reaches_verification_but_not_the_window(world):
    client = client_for(world.users["provider"])

    assert "金卡二维码内容" in client.get(reverse("onestop:provider_home")).content.decode()
    window = client.get(reverse("onestop:window_queue"))
    assert window.status_code == 403 and "只有综合窗口（组织部门）工作人员可以办理" in window.content.decode()


def nav_links(html: str) -> set[str]:
    nav = re.search(r'<nav class="mainnav"[^>]*>(.*?)</nav>', html, re.S)
    return set(re.findall(r'href="([^"]+)"', nav.group(1))) if nav else set()


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_navigation_shows_exactly_the_roles_entries(users, role):
    html = client_for(users[role]).get(reverse("home")).content.decode()

    assert nav_links(html) == {reverse(name) for name in NAV[role]}


def test_a_visitor_sees_no_navigation_and_is_sent_to_sign_in(world):
    client = Client()

    response = client.get(reverse("onestop:window_queue"))

    assert response.status_code == 302 and "login" in response["Location"]
    assert nav_links(client.get(reverse("login")).content.decode()) == set()
