"""Factories for test data: valid identifiers, talents, enterprises and users of each role."""

import datetime as dt
import itertools
import time
from dataclasses import dataclass
from functools import lru_cache

import django_otp
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from rencai.accounts.models import User
from rencai.core.pii import seal_id_number, seal_phone
from rencai.core.validators import CREDIT_ALPHABET, credit_check_char, id_check_char
from rencai.registry.models import (
    Achievement,
    AchievementHolder,
    Department,
    Enterprise,
    Talent,
    TalentPlatform,
)

_counter = itertools.count(1)
# Meets the password rules of privileged accounts (12+ characters, three kinds, not common)
PASSWORD = "Rencai-Test-pw1"
# RFC 6238's own test secret (hex of "12345678901234567890"): the authenticator of test users
TOTP_KEY = "3132333435363738393031323334353637383930"


def make_id_number(
    region_code: str = "330881", birth: dt.date = dt.date(1985, 1, 1), *, male: bool = True
) -> str:
    seq = next(_counter) % 500
    order = seq * 2 + (1 if male else 0)
    first17 = f"{region_code}{birth:%Y%m%d}{order:03d}"
    return first17 + id_check_char(first17)


def make_credit_code(seed: int | None = None) -> str:
    n = next(_counter) if seed is None else seed
    body = "".join(CREDIT_ALPHABET[(n // (31**i)) % 31] for i in range(8))
    first17 = "91330800" + body + "0"
    return first17 + credit_check_char(first17)


def make_enterprise(region, **overrides) -> Enterprise:
    values = {
        "credit_code": make_credit_code(),
        "name": f"测试企业{next(_counter)}有限公司",
        "region": region,
        "industry": "manufacturing",
        "size": "medium",
    }
    values.update(overrides)
    return Enterprise.objects.create(**values)


def make_talent(
    region, *, name: str | None = None, id_number: str | None = None, phone: str = "13800001234", **overrides
) -> Talent:
    number = id_number or make_id_number(region.code)
    sealed = seal_id_number(number)
    sealed_phone = seal_phone(phone)
    birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    values = {
        "name": name or f"人才{next(_counter)}",
        "id_number_ciphertext": sealed.ciphertext,
        "id_number_index": sealed.index,
        "id_number_tail_index": sealed.tail_index,
        "id_number_masked": sealed.masked,
        "phone_ciphertext": sealed_phone.ciphertext,
        "phone_masked": sealed_phone.masked,
        "birth_date": birth,
        "gender": "male" if int(number[16]) % 2 else "female",
        "region": region,
        "team": "professional",
        "tier": "D",
        "highest_degree": "master",
        "arrival_date": dt.date(2018, 3, 1),
    }
    values.update(overrides)
    return Talent.objects.create(**values)


def make_platform(region, *, kind: str = "academician_station", host=None, **overrides) -> TalentPlatform:
    values = {
        "kind": kind,
        "name": f"测试平台{next(_counter)}",
        "region": region,
        "location": "本地",
        "host_enterprise": host,
        "host_institution": "" if host else "衢州学院",
        "established_on": dt.date(2016, 5, 1),
    }
    values.update(overrides)
    return TalentPlatform.objects.create(**values)


def make_achievement(*holders: Talent, **overrides) -> Achievement:
    """An achievement held by `holders` (first holder first), in the first holder's region by default."""
    values = {
        "kind": "patent_granted",
        "title": f"测试成果{next(_counter)}",
        "achieved_on": dt.date(2021, 5, 20),
        "region": holders[0].region if holders else None,
    }
    values.update(overrides)
    achievement = Achievement.objects.create(**values)
    for rank, talent in enumerate(holders, start=1):
        AchievementHolder.objects.create(achievement=achievement, talent=talent, rank=rank)
    return achievement


@lru_cache(maxsize=1)
def _password_hash() -> str:
    """Hash the shared test password once: PBKDF2 is slow on purpose, and tests make many users."""
    return make_password(PASSWORD)


def make_user(username: str, role: str, **fields) -> User:
    user = User(username=username, role=role, password=_password_hash(), **fields)
    user.save()
    return user


def give_authenticator(user) -> TOTPDevice:
    """A confirmed authenticator (django-otp TOTP device) for `user`, as if they had enrolled."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", key=TOTP_KEY, confirmed=True)


def totp_code(device: TOTPDevice) -> str:
    """The code the user's app shows now, as django-otp computes it; when this time step's code was used
    already (a second sign-in within 30 s), the next step's, which django-otp also accepts."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    while totp.t() <= device.last_t:
        totp.time += device.step
    return f"{totp.token():0{device.digits}d}"


def pass_second_factor(client, user) -> None:
    """Mark a test client's session as having passed the second factor: a real device, put in the session by
    django-otp's own `login` (what the verification page does after a right code)."""
    device = give_authenticator(user)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    django_otp.login(request, device)
    request.session.save()


@dataclass
class World:
    """Jiangshan (A) and Longyou (B) each with an enterprise, two talents and a platform; a user per role."""

    regions: dict
    county_a: object
    county_b: object
    enterprise_a: Enterprise
    enterprise_b: Enterprise
    talent_a: Talent  # employed by enterprise_a, has the talent account
    talent_a2: Talent  # in county A, not employed by enterprise_a
    talent_b: Talent
    platform_a: TalentPlatform
    platform_b: TalentPlatform
    users: dict


def build_world(regions) -> World:
    county_a, county_b = regions["330881"], regions["330825"]
    enterprise_a = make_enterprise(county_a, name="江山天蓬测试集团", is_platform_enterprise=True)
    enterprise_b = make_enterprise(county_b, name="龙游测试纸业")
    talent_user = make_user("talent", "talent", display_name="江山人才")
    talent_a = make_talent(
        county_a,
        name="江山甲",
        current_employer=enterprise_a,
        employment_type="full_time",
        account=talent_user,
    )
    talent_a2 = make_talent(county_a, name="江山乙", team="high_skill", tier="E")
    talent_b = make_talent(county_b, name="龙游丙", current_employer=enterprise_b, tier="C")
    platform_a = make_platform(county_a, host=enterprise_a)
    platform_b = make_platform(county_b, kind="enclave", location="杭州")
    dept = Department.objects.create(region=county_a, kind="hrss", name="江山市人力资源和社会保障局")
    users = {
        "city_org_dept": make_user("city", "city_org_dept", region=regions["330800"]),
        "county_org_dept": make_user("county", "county_org_dept", region=county_a),
        "department": make_user("dept", "department", region=county_a, department=dept),
        "enterprise": make_user("ent", "enterprise", enterprise=enterprise_a),
        "talent": talent_user,
        "reviewer": make_user("reviewer", "reviewer"),
        "provider": make_user("provider", "provider"),
        "superuser": make_user(
            "root", "city_org_dept", region=regions["330800"], is_superuser=True, is_staff=True
        ),
    }
    return World(
        regions,
        county_a,
        county_b,
        enterprise_a,
        enterprise_b,
        talent_a,
        talent_a2,
        talent_b,
        platform_a,
        platform_b,
        users,
    )
