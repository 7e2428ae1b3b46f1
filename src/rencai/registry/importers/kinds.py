"""The kinds of import (talents, enterprises): how a row of input values becomes cleaned, stored values."""

from collections.abc import Callable
from dataclasses import dataclass, field

from rencai.accounts.models import User
from rencai.core.access import visible_to
from rencai.core.models import Region
from rencai.core.validators import normalize_credit_code, normalize_id_number, validate_phone
from rencai.registry import choices as c
from rencai.registry.importers.columns import ENTERPRISE_FIELDS_BY_COLUMN, TALENT_FIELDS_BY_COLUMN
from rencai.registry.models import Enterprise, ImportBatch, Talent
from rencai.registry.services import (
    ID_NUMBER_TAKEN,
    EnterpriseInput,
    TalentInput,
    clean_enterprise,
    clean_talent,
    writable_regions,
)


@dataclass
class Context:
    actor: User
    regions: dict[str, Region]  # writable, by code
    enterprises: dict[str, int]  # visible, by credit code


def context_for(actor: User) -> Context:
    """What cleaning a row needs about the actor: the regions they may write, the enterprises they see."""
    return Context(
        actor=actor,
        regions=writable_regions(actor),
        enterprises=dict(visible_to(actor, Enterprise.objects.all()).values_list("credit_code", "pk")),
    )


@dataclass
class Cleaned:
    key: str  # blind index or credit code
    values: dict  # model attribute -> value
    label: str  # shown in the report: name and masked identifier
    compare: dict = field(default_factory=dict)  # extra plaintext to compare (phone)


def _row_key_talent(values: dict) -> str:
    return normalize_id_number(values.get("id_number", ""))


def _clean_talent_row(values: dict, context: Context) -> Cleaned:
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
    return Cleaned(key=clean.id_index, values=clean.values, label=label, compare=compare)


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
