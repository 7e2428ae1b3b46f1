"""Masking against inference: from everything a role is shown of a talent, try to rebuild the ID number.

A resident ID number is region (6 digits) + birth date (8) + sequence (3, odd for men) + check digit
(ISO 7064 MOD 11-2 over the other 17). For every role this test gathers what the API list and detail, the
list and detail pages and the Excel export show of a talent, reads each hint a careful attacker would use
(the county as the region digits, the mask's visible characters, a birth date, year or age, the gender)
and counts the ID numbers consistent with all of them. The count must stay large for everyone; the full
number and birth date come only through the audited reveal, to those who hold its right.
"""

import datetime as dt
import html
import importlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import openpyxl
import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from rencai.accounts.models import ApiToken, User
from rencai.core import crypto
from rencai.core.access import Action, may
from rencai.core.models import AuditEntry, Region
from rencai.core.validators import id_check_char
from rencai.registry.models import ImportBatch, Talent
from rencai.registry.selectors import talents_for

# At least this many numbers must stay possible for anyone who has not used the reveal (the design in
# core.masking leaves 365 birth dates x 500 sequences = 182,500)
ENOUGH = 10_000

MASK_LABELS = {"id_number_masked", "证件号码"}
BIRTH_LABELS = {"birth_date", "birth_year", "出生日期", "出生年份"}
AGE_LABELS = {"age", "年龄"}
GENDER_LABELS = {"gender", "性别"}
REGION_LABELS = {"region", "所在区划"}
GENDER_VALUES = {"male": "male", "female": "female", "男": "male", "女": "female"}
MASK = re.compile(r"(?<![0-9A-Za-z*])[0-9Xx*]{18}(?![0-9A-Za-z*])")
FULL_DATE = re.compile(r"(1[89]\d\d|20\d\d)[-/年.](\d{1,2})[-/月.](\d{1,2})")
YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


@dataclass
class Seen:
    """What one viewer gathered about one talent, channel by channel."""

    regions: set[str] = field(default_factory=set)  # region codes: the attacker's guess for digits 1-6
    masks: set[str] = field(default_factory=set)
    births: list[tuple[dt.date, dt.date]] = field(default_factory=list)  # ranges the birth date lies in
    genders: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)  # everything shown, to look for a full value
    hints: dict[str, set[str]] = field(default_factory=dict)  # channel -> kinds of hint it gave

    def note(self, channel: str, label: object, value: object) -> None:
        """One labelled value as a careful attacker reads it."""
        label, text = str(label).strip().rstrip("：:"), html.unescape(str(value)).strip()
        found = self.hints.setdefault(channel, set())
        if label in MASK_LABELS:
            for mask in MASK.findall(text):
                self.masks.add(mask.upper())
                found.add("mask")
        elif label in BIRTH_LABELS | AGE_LABELS:
            span = birth_span(label, text)
            if span is not None:
                self.births.append(span)
                found.add("birth")
        elif label in GENDER_LABELS and text in GENDER_VALUES:
            self.genders.add(GENDER_VALUES[text])
            found.add("gender")
        elif label in REGION_LABELS:
            code = region_code_of(text)
            if code:
                self.regions.add(code)
                found.add("region")


def birth_span(label: str, text: str) -> tuple[dt.date, dt.date] | None:
    """The dates of birth a shown value allows: a full date, a year, or an age today."""
    if match := FULL_DATE.search(text):
        born = dt.date(*map(int, match.groups()))
        return born, born
    if label in AGE_LABELS and text.isdigit():
        today, age = dt.date.today(), int(text)
        return _years_before(today, age + 1) + dt.timedelta(days=1), _years_before(today, age)
    if match := YEAR.search(text):
        year = int(match.group(1))
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    return None


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def region_code_of(text: str) -> str:
    if re.fullmatch(r"\d{6}", text):
        return text
    region = Region.objects.filter(name=text).first() or Region.objects.filter(name_en=text).first()
    return region.code if region is not None else ""


# -- the rebuild --------------------------------------------------------------------------------------------


def _agrees(masks: set[str], position: int, char: str) -> bool:
    return all(mask[position] in ("*", char) for mask in masks)


def _sequences(seen: Seen) -> list[str]:
    """Sequence digits (15-17) the gender and the masks allow."""
    parities = {1 if gender == "male" else 0 for gender in seen.genders} or {0, 1}
    return [
        f"{n:03d}"
        for n in range(1000)
        if n % 2 in parities and all(_agrees(seen.masks, 14 + i, c) for i, c in enumerate(f"{n:03d}"))
    ]


def _heads(seen: Seen) -> Iterator[str]:
    """Region and birth date digits (1-14) the county, the birth hints and the masks allow."""
    lows, highs = [lo for lo, _ in seen.births], [hi for _, hi in seen.births]
    first, last = max(lows, default=dt.date(1900, 1, 1)), min(highs, default=dt.date.today())
    for region in sorted(seen.regions):
        if not all(_agrees(seen.masks, i, c) for i, c in enumerate(region)):
            continue
        for offset in range((last - first).days + 1):
            head = region + (first + dt.timedelta(days=offset)).strftime("%Y%m%d")
            if all(_agrees(seen.masks, 6 + i, c) for i, c in enumerate(head[6:])):
                yield head


def candidates(seen: Seen) -> Iterator[str]:
    """Every valid ID number consistent with what was seen: one per 17-digit prefix whose check digit the
    masks allow."""
    sequences = _sequences(seen)
    for head in _heads(seen):
        for sequence in sequences:
            number = head + sequence + id_check_char(head + sequence)
            if _agrees(seen.masks, 17, number[17]):
                yield number


def count_candidates(seen: Seen) -> int:
    if all(mask[17] == "*" for mask in seen.masks):  # every prefix gives exactly one number: just count
        return sum(1 for _ in _heads(seen)) * len(_sequences(seen))
    return sum(1 for _ in candidates(seen))


def test_the_rebuild_finds_the_one_number_behind_the_former_mask_and_a_full_birth_date():
    """The attacker of this file, against what the registry showed before: exactly one number is left."""
    number = "330881199003070020"
    seen = Seen(
        regions={"330881"},
        masks={number[:4] + "*" * 10 + number[-4:]},
        births=[(dt.date(1990, 3, 7), dt.date(1990, 3, 7))],
        genders={"female"},
    )

    assert list(candidates(seen)) == [number]


def test_the_year_the_county_and_the_gender_leave_182500_numbers():
    seen = Seen(
        regions={"330881"},
        masks={"33" + "*" * 16},
        births=[(dt.date(1990, 1, 1), dt.date(1990, 12, 31))],
        genders={"female"},
    )

    assert count_candidates(seen) == 365 * 500


# -- what each role is shown --------------------------------------------------------------------------------


def ui(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> Client:
    _token, key = ApiToken.issue(user)
    return Client(headers={"Authorization": f"Bearer {key}"})


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _walk(seen: Seen, channel: str, body: dict) -> None:
    for key, value in body.items():
        if key == "region" and isinstance(value, dict):
            seen.note(channel, "region", value.get("code", ""))
        elif not isinstance(value, (dict, list)):
            seen.note(channel, key, value)


def gather(user, talent: Talent) -> Seen:
    """Everything `user` is shown of `talent` without using the reveal."""
    seen, id_number = Seen(), crypto.decrypt(talent.id_number_ciphertext)
    token = api(user)
    listed = token.get("/api/registry/talents/", {"q": talent.name, "limit": 200})
    assert listed.status_code == 200
    seen.texts.append(listed.content.decode())
    (item,) = [item for item in listed.json()["items"] if item["id"] == talent.pk]
    _walk(seen, "api list", item)
    detail = token.get(f"/api/registry/talents/{talent.pk}")
    assert detail.status_code == 200
    seen.texts.append(detail.content.decode())
    _walk(seen, "api detail", detail.json())

    client = ui(user)
    page = client.get(reverse("registry:talent_list"), {"q": talent.name}).content.decode()
    seen.texts.append(page)
    headers = [_text(th) for th in re.findall(r"<th[^>]*>(.*?)</th>", page, re.S)]
    row = re.search(rf'<tr data-talent-id="{talent.pk}">(.*?)</tr>', page, re.S)
    assert row is not None
    for header, cell in zip(headers, re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S), strict=True):
        seen.note("list page", header, _text(cell))
    page = client.get(reverse("registry:talent_detail", args=[talent.pk])).content.decode()
    seen.texts.append(page)
    for label, value in re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", page, re.S):
        seen.note("detail page", _text(label), _text(value))

    if may(user, Action.EXPORT):
        # The row is picked by the exact ID number (the list's search): the row, not the query, gives hints
        response = client.get(reverse("registry:talent_export"), {"q": id_number})
        assert response.status_code == 200
        workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
        header, *rows = [list(r) for r in workbook.active.iter_rows(values_only=True)]
        (cells,) = [cells for cells in rows if talent.name in cells]
        seen.texts.append(" ".join(str(c) for c in header + cells))
        for title, cell in zip(header, cells, strict=True):
            seen.note("export", title, "" if cell is None else cell)
    return seen


def assert_not_rebuilt(user, talent: Talent) -> int:
    seen = gather(user, talent)
    number = crypto.decrypt(talent.id_number_ciphertext)
    shown = "\n".join(seen.texts)
    # Every channel gave the attacker something to work with: the test cannot pass for lack of reading
    for channel, kinds in seen.hints.items():
        assert {"mask", "birth", "gender"} <= kinds, (channel, kinds)
    assert seen.regions, "the county is the attacker's region digits"
    # The attacker's reading is right: the true number is one of the candidates
    assert all(_agrees(seen.masks, i, c) for i, c in enumerate(number))
    assert all(lo <= talent.birth_date <= hi for lo, hi in seen.births)
    left = count_candidates(seen)
    assert left >= ENOUGH, f"{user.username} narrows {talent.name}'s ID number to {left} candidates"
    assert number not in shown and talent.birth_date.isoformat() not in shown
    return left


ROLES = ["city_org_dept", "county_org_dept", "department", "enterprise", "talent", "superuser"]


@pytest.mark.parametrize("role", ROLES)
def test_no_role_can_rebuild_an_id_number_from_what_it_is_shown(world, role):
    user = world.users[role]
    talents = talents_for(user).order_by("pk")
    assert world.talent_a in talents  # every role here sees talent_a (the talent: their own record)
    for talent in talents:
        left = assert_not_rebuilt(user, talent)
        assert left == 365 * 500  # born 1985: 365 dates x 500 sequences of the talent's gender


# -- the reveal ---------------------------------------------------------------------------------------------

# Who sees talent_a's full values through the reveal (audited), and who is refused (403, nothing logged)
REVEALS = {
    "city_org_dept": 200,
    "county_org_dept": 200,
    "department": 403,
    "enterprise": 403,
    "talent": 200,
    "superuser": 200,
}


@pytest.mark.parametrize("role", sorted(REVEALS))
@pytest.mark.parametrize("channel", ["api", "ui"])
def test_the_full_number_and_birth_date_come_only_through_the_audited_reveal(world, role, channel):
    user, talent = world.users[role], world.talent_a
    full = {
        "id_number": crypto.decrypt(talent.id_number_ciphertext),
        "birth_date": talent.birth_date.isoformat(),
    }
    client = api(user) if channel == "api" else ui(user)
    for field_name, value in full.items():
        if channel == "api":
            url = f"/api/registry/talents/{talent.pk}/reveal/{field_name}"
        else:
            url = reverse("registry:talent_reveal", args=[talent.pk, field_name])
        before = AuditEntry.objects.filter(action="pii.reveal").count()

        response = client.post(url)

        assert response.status_code == REVEALS[role], field_name
        assert (value in response.content.decode()) == (REVEALS[role] == 200), field_name
        logged = AuditEntry.objects.filter(action="pii.reveal").order_by("-seq")
        assert logged.count() - before == (1 if REVEALS[role] == 200 else 0), field_name
        if REVEALS[role] == 200:
            entry = logged.first()
            assert entry.actor_id == user.pk and entry.detail == {"field": field_name}
            assert entry.object_id == str(talent.pk)


def test_the_detail_page_offers_the_birth_date_reveal_only_to_holders_of_the_right(world):
    page = ui(world.users["county_org_dept"]).get(reverse("registry:talent_detail", args=[world.talent_a.pk]))
    assert 'data-reveal="birth_date"' in page.content.decode()
    page = ui(world.users["department"]).get(reverse("registry:talent_detail", args=[world.talent_a.pk]))
    html_text = page.content.decode()
    assert 'data-reveal="birth_date"' not in html_text and "1985-**-**" in html_text


# -- the demo, as the issue tried it ------------------------------------------------------------------------

DEMO_ACCOUNTS = ["hrss", "tianpeng", "jiangshan", "longyou", "city", "talent", "admin"]
SAMPLED = 3


def test_no_demo_account_can_rebuild_the_id_numbers_of_sampled_talents(db):
    call_command("demo", "--talents", "600", stdout=io.StringIO())
    counts: dict[str, list[int]] = {}
    for username in DEMO_ACCOUNTS:
        user = User.objects.get(username=username)
        sample = list(talents_for(user).filter(id_kind="resident_id").order_by("pk")[:SAMPLED])
        assert sample, username
        counts[username] = [assert_not_rebuilt(user, talent) for talent in sample]
    assert all(min(left) >= ENOUGH for left in counts.values()), json.dumps(counts)


# -- masks stored before this design ------------------------------------------------------------------------


def test_the_migration_remasks_stored_masks_and_import_report_labels(world):
    remask = importlib.import_module("rencai.registry.migrations.0005_remask_id_numbers").remask
    talent = world.talent_a
    number = crypto.decrypt(talent.id_number_ciphertext)
    old = number[:4] + "*" * 10 + number[-4:]
    Talent.objects.filter(pk=talent.pk).update(id_number_masked=old)
    batch = ImportBatch.objects.create(
        kind="talents",
        file_name="old.xlsx",
        file_sha256="0" * 64,
        region=world.county_a,
        uploaded_by=world.users["county_org_dept"],
        outcome="applied",
        rows=[{"row": 2, "status": "created", "label": f"{talent.name} {old}", "reasons": []}],
    )

    remask(apps, None)

    talent.refresh_from_db()
    batch.refresh_from_db()
    assert talent.id_number_masked == number[:2] + "*" * 16
    assert batch.rows[0]["label"] == f"{talent.name} {number[:2]}{'*' * 16}"
