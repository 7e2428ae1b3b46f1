"""The kinds of import (talents, enterprises): how a row of input values becomes cleaned, stored values."""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection

from rencai.accounts.models import User
from rencai.core import crypto
from rencai.core.access import visible_to
from rencai.core.errors import ValidationFailed, problem
from rencai.core.models import Region
from rencai.core.validators import normalize_credit_code, normalize_id_number, validate_phone
from rencai.registry import choices as c
from rencai.registry.importers.columns import (
    ENTERPRISE_FIELDS_BY_COLUMN,
    TALENT_FIELDS_BY_COLUMN,
    RowInput,
    is_masked,
)
from rencai.registry.models import Enterprise, ImportBatch, Talent
from rencai.registry.services import (
    ID_NUMBER_TAKEN,
    EnterpriseInput,
    TalentInput,
    clean_enterprise,
    clean_talent,
    writable_regions,
)


@dataclass(frozen=True)
class StoredIdentity:
    """What an export's row, its ID number masked, keeps of the record its talent number names."""

    id_kind: str
    id_number_ciphertext: str
    id_number_index: str
    birth_date: dt.date
    gender: str


@dataclass
class Context:
    actor: User
    regions: dict[str, Region]  # writable, by code
    enterprises: dict[str, int]  # visible, by credit code
    records: dict[int, StoredIdentity] = field(default_factory=dict)  # visible talents, by talent number


def context_for(actor: User, rows: Iterable[RowInput] = ()) -> Context:
    """What cleaning the rows needs about the actor: the regions they may write, the enterprises they see,
    and the visible talents the rows name by talent number (read in chunks: a few queries per file)."""
    return Context(
        actor=actor,
        regions=writable_regions(actor),
        enterprises=dict(visible_to(actor, Enterprise.objects.all()).values_list("credit_code", "pk")),
        records=_records(actor, {row.values["record_id"] for row in rows if _is_number(row.values)}),
    )


def _is_number(values: dict) -> bool:
    return isinstance(values.get("record_id"), int)


def _records(actor: User, ids: set[int]) -> dict[int, StoredIdentity]:
    found: dict[int, StoredIdentity] = {}
    wanted = sorted(ids)
    size = max(100, min(5000, (connection.features.max_query_params or 5000) - 10))
    fields = ["pk", "id_kind", "id_number_ciphertext", "id_number_index", "birth_date", "gender"]
    for start in range(0, len(wanted), size):
        chunk = visible_to(actor, Talent.objects.filter(pk__in=wanted[start : start + size]))
        for pk, *values in chunk.values_list(*fields):
            found[pk] = StoredIdentity(*values)
    return found


@dataclass
class Cleaned:
    key: str  # blind index or credit code
    values: dict  # model attribute -> value
    label: str  # shown in the report: name and masked identifier
    compare: dict = field(default_factory=dict)  # extra plaintext to compare (phone)


def _row_key_talent(values: dict) -> str:
    number = normalize_id_number(values.get("id_number", ""))
    if is_masked(number):  # an export's row: its talent number stands for the ID number
        return f"#{values['record_id']}" if values.get("record_id") else ""
    return number


RECORD_UNKNOWN = (
    "人才编号 {n} 不存在或不在您的权限范围内",
    "Talent number {n} does not exist or is outside your scope",
)


def _with_stored_identity(values: dict, context: Context) -> dict:
    """An export's row: the masked ID number (and a masked birth date) replaced by the record's own.

    The talent number must name a record the actor sees; a full ID number that is not the record's is
    refused rather than taken as a change of ID number, which the talent's page does with a reveal.
    """
    record_id = values.get("record_id")
    number = normalize_id_number(values.get("id_number", ""))
    if not record_id:
        if is_masked(number):
            raise ValidationFailed(
                [
                    problem(
                        "id_number",
                        "证件号码已遮蔽（导出文件只显示前两位），无法据此更新；请同时保留“人才编号”列，"
                        "或填写完整的证件号码",
                        "The ID number is masked (an export shows only its first two characters); keep "
                        "the talent number column with it, or give the full ID number",
                    )
                ]
            )
        return values
    stored = context.records.get(record_id)
    if stored is None:
        zh, en = RECORD_UNKNOWN
        raise ValidationFailed([problem("record_id", zh.format(n=record_id), en.format(n=record_id))])
    if not is_masked(number) and number:
        return values  # checked against the record once cleaned (`check_record`)
    filled = {**values, "id_number": crypto.decrypt(stored.id_number_ciphertext)}
    filled["id_kind"] = values.get("id_kind") or stored.id_kind
    if stored.id_kind == c.IdKind.PASSPORT:
        filled["birth_date"] = values.get("birth_date") or stored.birth_date
        filled["gender"] = values.get("gender") or stored.gender
    return filled


def check_record(values: dict, cleaned: "Cleaned", context: Context) -> None:
    """A row giving both a full ID number and a talent number: both must be the same record's."""
    stored = context.records.get(values.get("record_id") or 0)
    if stored is not None and stored.id_number_index != cleaned.key:
        raise ValidationFailed(
            [
                problem(
                    "id_number",
                    f"证件号码与人才编号 {values['record_id']} 的记录不一致；"
                    "如需修改证件号码，请在该人才页面修改",
                    f"The ID number is not that of talent number {values['record_id']}; "
                    "change an ID number on the talent's page",
                )
            ]
        )


def _clean_talent_row(values: dict, context: Context) -> Cleaned:
    values = _with_stored_identity(values, context)
    present = {k: v for k, v in values.items() if v is not None}
    data = TalentInput(
        name=present.get("name", ""),
        id_number=present.get("id_number", ""),
        region_code=present.get("region_code", ""),
        team=present.get("team", ""),
        arrival_date=present.get("arrival_date"),
        id_kind=present.get("id_kind") or c.IdKind.RESIDENT_ID,
        phone=present.get("phone", ""),
        nationality=present.get("nationality") or "CN",
        tier=present.get("tier", ""),
        title_level=present.get("title_level", ""),
        skill_level=present.get("skill_level", 0),
        highest_degree=present.get("highest_degree") or c.Degree.NONE,
        employer_credit_code=present.get("employer_credit_code", ""),
        employment_type=present.get("employment_type", ""),
        is_researcher_venture=present.get("is_researcher_venture", False),
        birth_date=present.get("birth_date"),
        gender=present.get("gender", ""),
    )
    clean = clean_talent(data, regions=context.regions, enterprises=context.enterprises)
    compare = {"phone": validate_phone(data.phone)} if data.phone else {}
    label = f"{clean.values['name']} {clean.values['id_number_masked']}"
    cleaned = Cleaned(key=clean.id_index, values=clean.values, label=label, compare=compare)
    check_record(values, cleaned, context)
    return cleaned


def _row_key_enterprise(values: dict) -> str:
    return normalize_credit_code(values.get("credit_code", ""))


def _clean_enterprise_row(values: dict, context: Context) -> Cleaned:
    data = EnterpriseInput(
        credit_code=values.get("credit_code", ""),
        name=values.get("name", ""),
        region_code=values.get("region_code", ""),
        industry=values.get("industry", ""),
        size=values.get("size", ""),
        is_high_tech=bool(values.get("is_high_tech", False)),
        is_platform_enterprise=bool(values.get("is_platform_enterprise", False)),
    )
    clean = clean_enterprise(data, regions=context.regions)
    return Cleaned(key=clean["credit_code"], values=clean, label=f"{clean['name']} {clean['credit_code']}")


@dataclass(frozen=True)
class KindSpec:
    model: type[Talent] | type[Enterprise]
    key_field: str
    row_key: Callable[[dict], str]
    clean: Callable[[dict, Context], Cleaned]
    fields_by_column: dict[str, tuple[str, ...]]
    duplicate_zh: str
    duplicate_en: str
    foreign_zh: str
    foreign_en: str


# keyed by ImportBatch.Kind (a str): callers look a kind up by the plain string they were given
SPECS: dict[str, KindSpec] = {
    ImportBatch.Kind.TALENTS: KindSpec(
        model=Talent,
        key_field="id_number_index",
        row_key=_row_key_talent,
        clean=_clean_talent_row,
        fields_by_column=TALENT_FIELDS_BY_COLUMN,
        duplicate_zh="与第 {row} 行的证件号码重复",
        duplicate_en="Same ID number as row {row}",
        foreign_zh=ID_NUMBER_TAKEN[0],  # the form's and the API's answer, telling nothing of where
        foreign_en=ID_NUMBER_TAKEN[1],
    ),
    ImportBatch.Kind.ENTERPRISES: KindSpec(
        model=Enterprise,
        key_field="credit_code",
        row_key=_row_key_enterprise,
        clean=_clean_enterprise_row,
        fields_by_column=ENTERPRISE_FIELDS_BY_COLUMN,
        duplicate_zh="与第 {row} 行的统一社会信用代码重复",
        duplicate_en="Same credit code as row {row}",
        foreign_zh="该统一社会信用代码已在您的权限范围以外登记，不能通过导入修改",
        foreign_en="This credit code is registered outside your scope; an import cannot change it",
    ),
}
