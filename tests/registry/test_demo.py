"""`rencai demo`: valid identifiers, the seed's figures, one account per role, idempotent, reproducible."""

import datetime as dt
import io
from collections import Counter

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import F

from rencai.accounts.models import User
from rencai.core import crypto
from rencai.core.models import AuditEntry
from rencai.core.validators import parse_id_number, validate_credit_code, validate_passport
from rencai.registry.demo import DEMO_PASSWORD, REFERENCE_DATE
from rencai.registry.models import (
    Academician,
    Department,
    Education,
    Employment,
    Enterprise,
    Honour,
    PlatformMembership,
    StationCooperation,
    Talent,
    TalentPlatform,
    TierDefinition,
)
from rencai.registry.selectors import talents_for
from tests import factories

pytestmark = pytest.mark.django_db


def run_demo(*args) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> list[tuple]:
    """What must be identical between two runs with the same seed (ciphertexts use random nonces)."""
    return list(
        Talent.objects.order_by("id").values_list(
            "name",
            "id_number_index",
            "id_number_masked",
            "phone_masked",
            "birth_date",
            "region__code",
            "team",
            "tier",
            "title_level",
            "skill_level",
            "highest_degree",
            "current_employer__name",
            "arrival_date",
            "status",
        )
    )


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def test_every_id_number_is_valid_and_matches_region_birth_date_and_gender():
    run_demo("--talents", "600")
    talents = list(Talent.objects.select_related("region"))
    assert len(talents) == 600
    passports = 0
    for talent in talents:
        number = crypto.decrypt(talent.id_number_ciphertext)
        assert crypto.blind_index(number, purpose="id_number") == talent.id_number_index
        if talent.id_kind == "passport":
            validate_passport(number)
            assert talent.nationality != "CN"
            passports += 1
            continue
        facts = parse_id_number(number)  # raises on a wrong check digit
        assert facts.region_code == talent.region.code
        assert facts.birth_date == talent.birth_date
        assert facts.gender == talent.gender
        assert talent.id_number_masked == number[:2] + "*" * 16
    assert passports < 600 * 0.02
    assert len({t.id_number_index for t in talents}) == 600


def test_every_phone_is_sealed_and_masked_consistently():
    run_demo("--talents", "600")
    with_phone = Talent.objects.exclude(phone_ciphertext="")
    assert with_phone.count() > 500
    for talent in with_phone[:100]:
        phone = crypto.decrypt(talent.phone_ciphertext)
        assert len(phone) == 11 and phone.startswith("1")
        assert talent.phone_masked == phone[:3] + "****" + phone[-4:]


def test_every_enterprise_credit_code_passes_the_gb32100_check():
    run_demo("--talents", "600")
    codes = list(Enterprise.objects.values_list("credit_code", "region__code"))
    assert len(codes) == 60
    for code, region_code in codes:
        assert validate_credit_code(code) == code
        assert code[2:8] == region_code
    assert {region for _, region in codes} == {"330802", "330803", "330822", "330824", "330825", "330881"}


def test_small_registry_still_has_exactly_6_national_and_27_provincial_programme_talents():
    run_demo("--talents", "600")
    national = Honour.objects.filter(programme="national_programme")
    provincial = Honour.objects.filter(programme="provincial_programme")
    assert national.count() == 6
    assert provincial.count() == 27
    assert set(national.values_list("talent__tier", flat=True)) == {"B"}
    assert set(provincial.values_list("talent__tier", flat=True)) == {"C"}
    # "从中产生了": selected after they came, and before the 2017 speech
    for honour in national.select_related("talent"):
        assert honour.talent.arrival_date.year < honour.year <= 2016
        assert honour.talent.status == "active"


def test_enterprise_management_talents_are_just_under_13_percent():
    # An exact quota (round(0.126 * N)) misses 12.6% by at most 0.5 / N: 12.5%-12.7% at 600 talents.
    run_demo("--talents", "600")
    share = Talent.objects.filter(team="enterprise_mgmt").count() / Talent.objects.count()
    assert 0.12 <= share < 0.13


def test_technicians_and_senior_technicians_are_under_10_percent_of_high_skill_talents():
    run_demo("--talents", "600")
    high_skill = Counter(Talent.objects.filter(team="high_skill").values_list("skill_level", flat=True))
    assert set(high_skill) <= {1, 2, 3}
    total = sum(high_skill.values())
    assert total > 100
    assert 0 < high_skill[1] + high_skill[2] < 0.10 * total


def test_each_demo_account_has_its_role_place_and_password():
    run_demo("--talents", "600")
    users = {u.username: u for u in User.objects.select_related("region", "department", "enterprise")}
    expected_roles = {
        "city": "city_org_dept",
        "jiangshan": "county_org_dept",
        "longyou": "county_org_dept",
        "hrss": "department",
        "tianpeng": "enterprise",
        "talent": "talent",
        "reviewer": "reviewer",
        "provider": "provider",
    }
    for username, role in expected_roles.items():
        assert users[username].role == role
        assert authenticate(username=username, password=DEMO_PASSWORD) == users[username]
    assert users["city"].region.code == "330800"
    assert users["jiangshan"].region.code == "330881"
    assert users["longyou"].region.code == "330825"
    assert (users["hrss"].department.kind, users["hrss"].department.region.code) == ("hrss", "330881")
    assert users["tianpeng"].enterprise.name.startswith("江山天蓬集团")
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert authenticate(username="admin", password=DEMO_PASSWORD) == users["admin"]
    own = Talent.objects.select_related("region").get(account=users["talent"])
    assert (own.region.code, own.highest_degree) == ("330881", "doctor")
    assert users["talent"].display_name == own.name


def test_demo_accounts_see_their_own_scope_of_the_registry():
    run_demo("--talents", "600")
    users = {u.username: u for u in User.objects.all()}
    jiangshan = Talent.objects.filter(region__code="330881")
    tianpeng = Enterprise.objects.get(name__startswith="江山天蓬集团")
    assert talents_for(users["city"]).count() == 600
    assert talents_for(users["admin"]).count() == 600
    assert set(talents_for(users["jiangshan"]).values_list("pk", flat=True)) == set(
        jiangshan.values_list("pk", flat=True)
    )
    assert 0 < jiangshan.count() < 600
    assert set(talents_for(users["hrss"]).values_list("region__code", flat=True)) == {"330881"}
    assert set(talents_for(users["longyou"]).values_list("region__code", flat=True)) == {"330825"}
    employees = set(talents_for(users["tianpeng"]).values_list("current_employer", flat=True))
    assert employees == {tianpeng.pk}
    assert list(talents_for(users["talent"]).values_list("account", flat=True)) == [users["talent"].pk]
    assert talents_for(users["reviewer"]).count() == 0
    assert talents_for(users["provider"]).count() == 0


def test_running_demo_twice_adds_nothing():
    run_demo("--talents", "600")
    before = (
        Talent.objects.count(),
        Enterprise.objects.count(),
        TalentPlatform.objects.count(),
        Education.objects.count(),
        User.objects.count(),
        AuditEntry.objects.count(),
    )
    output = run_demo("--talents", "600")
    assert "已存在" in output and "nothing done" in output
    after = (
        Talent.objects.count(),
        Enterprise.objects.count(),
        TalentPlatform.objects.count(),
        Education.objects.count(),
        User.objects.count(),
        AuditEntry.objects.count(),
    )
    assert after == before


def test_one_audit_entry_for_the_whole_run_not_one_per_row():
    run_demo("--talents", "600")
    entries = list(AuditEntry.objects.all())
    assert [e.action for e in entries] == ["registry.demo"]
    assert entries[0].detail["talents"] == 600


def test_same_seed_gives_the_same_names_and_id_numbers_after_reset():
    run_demo("--talents", "600")
    first = snapshot()
    first_numbers = [
        crypto.decrypt(c)
        for c in Talent.objects.order_by("id").values_list("id_number_ciphertext", flat=True)[:50]
    ]
    output = run_demo("--talents", "600", "--reset")
    assert "registry wiped" in output
    assert snapshot() == first
    assert [
        crypto.decrypt(c)
        for c in Talent.objects.order_by("id").values_list("id_number_ciphertext", flat=True)[:50]
    ] == first_numbers
    assert User.objects.filter(username="city").count() == 1
    assert [e.action for e in AuditEntry.objects.order_by("seq")] == [
        "registry.demo",
        "registry.demo_reset",
        "registry.demo",
    ]


def test_another_seed_gives_other_people():
    run_demo("--talents", "600")
    first = snapshot()
    run_demo("--talents", "600", "--reset", "--seed", "7")
    second = snapshot()
    assert len(second) == 600
    assert [row[1] for row in second] != [row[1] for row in first]


def test_reset_removes_registry_data_that_is_not_demo_data(regions):
    enterprise = factories.make_enterprise(regions["330881"], name="某某导入企业")
    factories.make_talent(regions["330881"], name="导入的人", current_employer=enterprise)
    with pytest.raises(CommandError, match="--reset"):
        run_demo("--talents", "600")
    run_demo("--talents", "600", "--reset")
    assert not Talent.objects.filter(name="导入的人").exists()
    assert not Enterprise.objects.filter(name="某某导入企业").exists()
    assert Talent.objects.count() == 600


def test_too_few_talents_is_refused_with_a_bilingual_message():
    with pytest.raises(CommandError, match=r"不能少于 200 / .*at least 200"):
        run_demo("--talents", "50")
    assert not Talent.objects.exists()


def test_default_demo_builds_the_world_of_the_seed_speech():
    output = run_demo()
    assert DEMO_PASSWORD in output
    assert Talent.objects.count() == 5000
    # 25 academician stations with 30 academicians; 天蓬 brought in two
    stations = TalentPlatform.objects.filter(kind="academician_station")
    assert stations.count() == 25
    assert Academician.objects.count() == 30
    assert StationCooperation.objects.values("academician").distinct().count() == 30
    tianpeng_station = stations.get(host_enterprise__name__startswith="江山天蓬集团")
    assert tianpeng_station.cooperations.count() == 2
    # enclaves in Hangzhou and Shanghai, the city's under "四园一院"; recruiting stations in three cities
    enclaves = TalentPlatform.objects.filter(kind="enclave")
    assert set(enclaves.values_list("location", flat=True)) == {"杭州", "上海"}
    assert enclaves.filter(group_label="四园一院", region__code="330800").count() == 5
    assert enclaves.exclude(region__code="330800").exists()
    assert set(
        TalentPlatform.objects.filter(kind="recruiting_station").values_list("location", flat=True)
    ) == {"北京", "上海", "杭州"}
    assert TalentPlatform.objects.filter(
        kind="doctoral_station", host_institution="衢州学院", name__contains="政校企共建"
    ).exists()
    for kind in ("overseas_station", "rd_center"):
        assert TalentPlatform.objects.filter(kind=kind, host_enterprise__isnull=False).count() >= 5
    assert Enterprise.objects.filter(is_platform_enterprise=True).count() == 8
    assert Enterprise.objects.filter(is_high_tech=True).count() >= 20
    # departments of every kind for the city and each county; the tier catalogue of the city and of Longyou
    assert Department.objects.count() == 7 * 8
    assert Department.objects.get(region__code="330881", kind="hrss").name == "江山市人力资源和社会保障局"
    city_tiers = dict(TierDefinition.objects.filter(region__code="330800").values_list("code", "name"))
    assert city_tiers == {
        "A": "顶尖人才",
        "B": "国家级领军人才",
        "C": "省级领军人才",
        "D": "市级高级人才",
        "E": "基础人才",
    }
    longyou = dict(TierDefinition.objects.filter(region__code="330825").values_list("code", "criteria"))
    assert set(longyou) == set("ABCDE")
    assert "院士" in TierDefinition.objects.get(region__code="330800", code="A").criteria
    assert longyou["D"] != TierDefinition.objects.get(region__code="330800", code="D").criteria


def test_default_demo_talents_have_a_realistic_mix():
    run_demo()
    talents = list(
        Talent.objects.values_list(
            "birth_date",
            "arrival_date",
            "departed_on",
            "tier",
            "team",
            "highest_degree",
            "employment_type",
            "is_researcher_venture",
        )
    )
    ages = [age_on(born, REFERENCE_DATE) for born, *_ in talents]
    assert min(ages) >= 22 and max(ages) <= 65
    assert all(dt.date(2010, 1, 1) <= arrived <= REFERENCE_DATE for _, arrived, *_ in talents)
    assert all(left is None or left >= arrived for _, arrived, left, *_ in talents)
    tiers = Counter(row[3] for row in talents)
    assert tiers["A"] == 3
    assert tiers[""] + tiers["D"] + tiers["E"] > 0.95 * len(talents)
    assert Counter(row[4] for row in talents).keys() == {
        "party_gov",
        "enterprise_mgmt",
        "professional",
        "high_skill",
        "rural",
        "social_work",
    }
    degrees = Counter(row[5] for row in talents)
    assert degrees["doctor"] > 50 and degrees["master"] > 300
    types = Counter(row[6] for row in talents)
    assert types["flexible"] > 50 and types["enclave"] > 30
    assert sum(row[7] for row in talents) > 5
    departed = Talent.objects.filter(status="departed")
    assert 0.01 * len(talents) < departed.count() < 0.06 * len(talents)
    assert not departed.filter(current_employer__isnull=False).exists()
    assert Education.objects.filter(is_overseas=True).count() > 20
    assert Talent.objects.exclude(id_kind="resident_id").exists()
    # employers are on Talent and in the work history; enclave talents belong to an enclave
    employed = Talent.objects.filter(current_employer__isnull=False)
    assert employed.count() > 0.4 * len(talents)
    assert not employed.exclude(employments__enterprise=F("current_employer")).exists()
    enclave_talents = Talent.objects.filter(employment_type="enclave")
    assert not enclave_talents.exclude(platform_memberships__platform__kind="enclave").exists()
    assert Employment.objects.filter(ended_on__isnull=False).exists()
    assert PlatformMembership.objects.filter(platform__kind="academician_station").exists()


def test_reset_also_clears_entitlements_cards_and_their_verification_logs(regions):
    """Downstream rows (policy entitlements, gold cards, verification logs) never block a reset."""
    from rencai.onestop.models import CardVerification, GoldCard
    from rencai.policies.demo import load_demo_policies
    from rencai.policies.matching import run_match
    from rencai.policies.models import Entitlement

    run_demo("--talents", "600")
    load_demo_policies()
    run_match(evaluation_date=REFERENCE_DATE)
    talent = Talent.objects.order_by("id").first()
    card = GoldCard.objects.create(
        card_number="QZ2026999999",
        talent=talent,
        region=talent.region,
        tier="C",
        issued_on=REFERENCE_DATE,
        valid_until=REFERENCE_DATE + dt.timedelta(days=3 * 365),
    )
    CardVerification.objects.create(card=card, card_number=card.card_number, result="ok")
    assert Entitlement.objects.exists()
    run_demo("--talents", "600", "--reset")
    assert Talent.objects.count() == 600
    assert not GoldCard.objects.exists() and not Entitlement.objects.exists()
    assert CardVerification.objects.get().card_id is None  # the log row stays, detached from the card
