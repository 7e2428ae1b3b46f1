"""Bulk import of talents and enterprises from .xlsx or .csv: every row validated, all or nothing, upserted.

A file is read (python-calamine for .xlsx, the csv module for .csv in UTF-8 or GB18030), its header mapped
to the column set below (Chinese headers, English aliases), each row cleaned by the same functions as the
forms (`services.clean_talent`, `services.clean_enterprise`), then checked against the actor's scope, the
other rows of the file and the database. By default one rejected row means nothing is written; with
`accept_partial` the accepted rows are written. Writes are one transaction keyed by the ID-number blind
index or the credit code; a row equal to what is stored is not rewritten, so importing the same file twice
changes nothing. One `ImportBatch` keeps the report and one audit entry records the batch.
"""

import csv
import datetime as dt
import hashlib
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import PurePath

from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from rencai.core import audit, crypto
from rencai.core.access import rights_of, visible_to
from rencai.core.bulk import bulk_insert
from rencai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from rencai.core.masking import mask_id_number
from rencai.core.models import Region
from rencai.core.regions import QUZHOU
from rencai.core.validators import normalize_credit_code, normalize_id_number, validate_phone
from rencai.registry import choices as c
from rencai.registry.models import Enterprise, ImportBatch, Talent
from rencai.registry.services import (
    EnterpriseInput,
    TalentInput,
    clean_enterprise,
    clean_talent,
    writable_regions,
)

MAX_IMPORT_BYTES = 30 * 1024 * 1024
MAX_IMPORT_ROWS = 200_000
ALLOWED_SUFFIXES = (".xlsx", ".csv")


class ImportRefused(DomainError):
    """The file as a whole cannot be imported (type, size, header); no batch is recorded."""

    def __init__(self, message_zh: str, message_en: str):
        super().__init__("import_refused", message_zh, message_en)


# --- the column set -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of an import file: the input field it fills, its Chinese header and accepted aliases."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    parse: str = "text"  # text | upper | date | bool | region | choice:<name>
    example: object = ""
    note: str = ""


TALENT_COLUMNS = (
    Column("name", "姓名", ("name",), True, example="张三"),
    Column(
        "id_kind",
        "证件类型",
        ("id_kind", "id kind"),
        parse="choice:id_kind",
        example="居民身份证",
        note="居民身份证（默认）或护照",
    ),
    Column(
        "id_number",
        "身份证号",
        ("证件号码", "证件号", "身份证号码", "id_number", "id number"),
        True,
        parse="upper",
        example="330881199003070020",
        note="请将本列设为文本格式，以免Excel截断数字",
    ),
    Column("phone", "手机号", ("手机号码", "联系电话", "phone"), example="13800001234"),
    Column(
        "region_code",
        "所在地区",
        ("所在区划", "区划", "区划代码", "region", "region_code"),
        True,
        parse="region",
        example="江山市",
        note="区划名称或6位区划代码",
    ),
    Column("team", "人才队伍", ("team",), True, parse="choice:team", example="专业技术人才"),
    Column("tier", "人才类别", ("tier",), parse="choice:tier", example="D", note="A至E，可空"),
    Column("title_level", "职称", ("职称等级", "title_level"), parse="choice:title_level", example="中级"),
    Column(
        "skill_level",
        "职业技能等级",
        ("技能等级", "skill_level"),
        parse="choice:skill_level",
        example="",
        note="高级技师、技师、高级工、中级工、初级工，或1至5",
    ),
    Column("highest_degree", "学历", ("最高学历", "highest_degree"), parse="choice:degree", example="硕士"),
    Column(
        "employer_credit_code",
        "工作单位统一社会信用代码",
        ("工作单位信用代码", "employer_credit_code"),
        parse="upper",
        example="",
        note="须为已登记且您可查看的企业",
    ),
    Column(
        "employment_type",
        "引才方式",
        ("employment_type",),
        parse="choice:employment_type",
        example="全职",
    ),
    Column(
        "arrival_date",
        "到衢日期",
        ("来衢日期", "arrival_date", "arrival date"),
        True,
        parse="date",
        example=dt.date(2019, 3, 1),
    ),
    Column(
        "is_researcher_venture",
        "科研人员在职/离岗创业",
        ("科研人员创业", "is_researcher_venture"),
        parse="bool",
        example="否",
    ),
    Column("nationality", "国籍", ("nationality",), parse="upper", example="CN", note="两位字母代码"),
    Column("birth_date", "出生日期", ("birth_date",), parse="date", note="仅护照持有人填写"),
    Column("gender", "性别", ("gender",), parse="choice:gender", note="仅护照持有人填写"),
)

ENTERPRISE_COLUMNS = (
    Column(
        "credit_code",
        "统一社会信用代码",
        ("信用代码", "credit_code", "credit code"),
        True,
        parse="upper",
        example="91330800MA28F0000M",
    ),
    Column("name", "企业名称", ("名称", "name"), True, example="衢州示例科技有限公司"),
    Column(
        "region_code",
        "所在地区",
        ("所在区划", "区划", "区划代码", "region", "region_code"),
        True,
        parse="region",
        example="柯城区",
    ),
    Column("industry", "行业", ("industry",), True, parse="choice:industry", example="电子信息"),
    Column("size", "规模", ("企业规模", "size"), True, parse="choice:size", example="小型"),
    Column("is_high_tech", "高新技术企业", ("is_high_tech",), parse="bool", example="是"),
    Column("is_platform_enterprise", "平台型企业", ("is_platform_enterprise",), parse="bool", example="否"),
)

COLUMNS = {ImportBatch.Kind.TALENTS: TALENT_COLUMNS, ImportBatch.Kind.ENTERPRISES: ENTERPRISE_COLUMNS}

CHOICES = {
    "id_kind": (c.IdKind, {"身份证": "resident_id", "二代身份证": "resident_id"}),
    "team": (c.Team, {}),
    "tier": (c.Tier, {f"{t}类": t for t in "ABCDE"}),
    "title_level": (c.TitleLevel, {"副高": "deputy_senior", "正高": "senior"}),
    "skill_level": (c.SkillLevel, {"": 0}),
    "degree": (c.Degree, {"": "none", "大专": "associate", "大学本科": "bachelor", "研究生": "master"}),
    "employment_type": (c.EmploymentType, {"柔性": "flexible", "柔性引进": "flexible"}),
    "gender": (c.Gender, {"": ""}),
    "industry": (c.Industry, {}),
    "size": (c.EnterpriseSize, {}),
}
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "有"}
FALSE_WORDS = {"", "否", "n", "no", "false", "0", "×", "无"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")

# Which stored values each column decides: only the columns present in a file are compared and written.
TALENT_FIELDS_BY_COLUMN = {
    "name": ("name",),
    "id_kind": ("id_kind",),
    "id_number": ("birth_date", "gender"),
    "phone": ("phone_ciphertext", "phone_masked"),
    "region_code": ("region_id",),
    "team": ("team",),
    "tier": ("tier",),
    "title_level": ("title_level",),
    "skill_level": ("skill_level",),
    "highest_degree": ("highest_degree",),
    "employer_credit_code": ("current_employer_id",),
    "employment_type": ("employment_type",),
    "arrival_date": ("arrival_date",),
    "is_researcher_venture": ("is_researcher_venture",),
    "nationality": ("nationality",),
    "birth_date": ("birth_date",),
    "gender": ("gender",),
}
ENTERPRISE_FIELDS_BY_COLUMN = {
    "credit_code": (),
    "name": ("name",),
    "region_code": ("region_id",),
    "industry": ("industry",),
    "size": ("size",),
    "is_high_tech": ("is_high_tech",),
    "is_platform_enterprise": ("is_platform_enterprise",),
}


def _normalized_header(text: object) -> str:
    return (
        str(text or "").strip().strip("*＊").replace(" ", "").replace("（", "(").replace("）", ")").casefold()
    )


@cache
def _header_lookup(kind: str) -> dict[str, str]:
    lookup = {}
    for column in COLUMNS[kind]:
        for name in (column.label, column.key, *column.aliases):
            lookup[_normalized_header(name)] = column.key
    return lookup


@cache
def _choice_lookup(name: str) -> dict[str, object]:
    """Accepted spellings of a choice: its stored value, its Chinese label, its English label, aliases."""
    enum, aliases = CHOICES[name]
    lookup: dict[str, object] = {}
    for value, label in enum.choices:
        lookup[str(value).casefold()] = value
        with translation.override(None):  # the msgid: the Chinese label
            lookup[str(label).casefold()] = value
        with translation.override("en"):
            lookup[str(label).casefold()] = value
    lookup.update({alias.casefold(): value for alias, value in aliases.items()})
    return lookup


# --- reading files ------------------------------------------------------------------------------------------


def check_upload(filename: str, size: int) -> str:
    """The file's kind ('xlsx' or 'csv'); ImportRefused for anything else, an empty or an oversized file."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix == ".xls":
        raise ImportRefused(
            "不支持旧版 .xls 文件，请在Excel中另存为 .xlsx 后再上传",
            "Old .xls files are not supported; save the file as .xlsx in Excel and upload it again",
        )
    if suffix not in ALLOWED_SUFFIXES:
        raise ImportRefused(
            f"文件类型不支持：{suffix or '无扩展名'}。只能上传 .xlsx 或 .csv 文件",
            f"Unsupported file type {suffix or '(none)'}: upload an .xlsx or .csv file",
        )
    if size == 0:
        raise ImportRefused("文件为空", "The file is empty")
    if size > MAX_IMPORT_BYTES:
        limit = MAX_IMPORT_BYTES // (1024 * 1024)
        raise ImportRefused(
            f"文件过大（{size / 1024 / 1024:.1f} MB），单个文件不能超过 {limit} MB，请拆分后分批导入",
            f"The file is too large ({size / 1024 / 1024:.1f} MB); the limit is {limit} MB: split it",
        )
    return suffix[1:]


def read_rows(file_type: str, data: bytes) -> Iterator[list]:
    """Every row of the first sheet (or of the CSV), header included, as a list of cell values."""
    if file_type == "xlsx":
        return _read_xlsx(data)
    return _read_csv(data)


def _read_xlsx(data: bytes) -> Iterator[list]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
    except (CalamineError, ValueError, OSError) as error:
        raise ImportRefused(
            "无法读取该Excel文件，请确认是有效的 .xlsx 文件",
            f"This is not a readable .xlsx file ({type(error).__name__})",
        ) from None
    first_row = sheet.start[0] if sheet.start else 0
    yield from ([] for _ in range(first_row))  # keep row numbers as Excel shows them
    yield from sheet.iter_rows()


def _read_csv(data: bytes) -> Iterator[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # gb18030 decodes almost any byte string; this is for safety
        raise ImportRefused(
            "无法识别CSV文件的编码，请保存为UTF-8或GBK编码", "The CSV must be encoded in UTF-8 or GBK"
        )
    first_line = text.split("\n", 1)[0]
    dialect = csv.excel_tab if "\t" in first_line and "," not in first_line else csv.excel
    yield from csv.reader(io.StringIO(text, newline=""), dialect)


# --- cell values --------------------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and 1 < value < 120_000:  # an Excel serial day number
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
    text = _text(value)
    for pattern in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


@dataclass
class RowInput:
    number: int
    values: dict
    problems: list[dict] = field(default_factory=list)


def _problem(field_name: str, zh: str, en: str) -> dict:
    return {"field": field_name, "message_zh": zh, "message_en": en}


def _parse_cell(column: Column, value: object, regions: dict[str, str], row: RowInput):
    if column.parse == "date":
        parsed = _date(value)
        if parsed is None and _text(value):
            row.problems.append(
                _problem(
                    column.key,
                    f"{column.label}无法识别：{_text(value)}（应为如 2019-03-01 的日期）",
                    f"{column.label}: cannot read the date {_text(value)} (use e.g. 2019-03-01)",
                )
            )
        return parsed
    text = _text(value)
    if column.key == "id_number" and isinstance(value, float):
        row.problems.append(
            _problem(
                column.key,
                "身份证号被Excel存成了数字，末几位可能已丢失；请把该列设为文本格式后重新填写",
                "Excel stored the ID number as a number and may have lost digits; format the column as text",
            )
        )
    if column.parse == "upper":
        return text.upper()
    if column.parse == "region":
        return regions.get(text.casefold(), text)
    if column.parse == "bool":
        word = text.casefold()
        if word in TRUE_WORDS:
            return True
        if word not in FALSE_WORDS:
            row.problems.append(
                _problem(
                    column.key,
                    f"{column.label}应填“是”或“否”：{text}",
                    f"{column.label} must be yes or no: {text}",
                )
            )
        return False
    if column.parse.startswith("choice:"):
        return _choice_lookup(column.parse[7:]).get(text.casefold(), text)
    return text


def _region_lookup() -> dict[str, str]:
    lookup = {}
    for code, name, name_en in Region.objects.values_list("code", "name", "name_en"):
        for spelling in (code, name, name_en):
            if spelling:
                lookup[spelling.casefold()] = code
    return lookup


# --- kinds: how a row becomes stored values -----------------------------------------------------------------


@dataclass
class Context:
    actor: object
    regions: dict[str, Region]  # writable, by code
    enterprises: dict[str, int]  # visible, by credit code


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
        highest_degree=present.get("highest_degree") or "none",
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
    model: type
    key_field: str
    row_key: Callable[[dict], str]
    clean: Callable[[dict, Context], Cleaned]
    fields_by_column: dict[str, tuple[str, ...]]
    duplicate_zh: str
    duplicate_en: str
    foreign_zh: str
    foreign_en: str


SPECS = {
    ImportBatch.Kind.TALENTS: KindSpec(
        model=Talent,
        key_field="id_number_index",
        row_key=_row_key_talent,
        clean=_clean_talent_row,
        fields_by_column=TALENT_FIELDS_BY_COLUMN,
        duplicate_zh="与第 {row} 行的证件号码重复",
        duplicate_en="Same ID number as row {row}",
        foreign_zh="该证件号码已在您的权限范围以外登记，不能通过导入修改，请联系市委组织部人才办",
        foreign_en="This ID number is registered outside your scope; an import cannot change it",
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


# --- the import ---------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What the import would do: rows by outcome, and the database rows to insert and update."""

    report: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    creates: list[dict] = field(default_factory=list)
    updates: list[dict] = field(default_factory=list)  # complete new values, with "id"
    update_fields: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    )


def import_file(*, actor, kind: str, filename: str, data: bytes, accept_partial: bool = False) -> ImportBatch:
    """Validate every row of an uploaded file and apply it (all or nothing unless `accept_partial`)."""
    began = time.perf_counter()
    if not rights_of(actor).import_registry:
        raise PermissionDenied("无权批量导入登记信息", "You may not import into the registry")
    if kind not in SPECS:
        raise ImportRefused(f"导入类别无效：{kind}", f"Unknown import kind: {kind}")
    file_type = check_upload(filename, len(data))
    spec = SPECS[kind]
    rows, present, unknown = _rows_of(kind, read_rows(file_type, data))
    context = Context(
        actor=actor,
        regions=writable_regions(actor),
        enterprises=dict(visible_to(actor, Enterprise.objects.all()).values_list("credit_code", "pk")),
    )
    plan = _plan(spec, rows, present, context)
    rejected = plan.counts["rejected"]
    outcome = ImportBatch.Outcome.APPLIED
    if rejected and not accept_partial:
        outcome = ImportBatch.Outcome.REJECTED
    elif rejected:
        outcome = ImportBatch.Outcome.PARTIAL
    try:
        with transaction.atomic():
            if outcome != ImportBatch.Outcome.REJECTED:
                _write(spec, plan)
            else:
                _mark_not_written(plan)
            batch = ImportBatch.objects.create(
                kind=kind,
                file_name=PurePath(filename).name[:255],
                file_sha256=hashlib.sha256(data).hexdigest(),
                region=_batch_region(actor),
                uploaded_by=actor,
                outcome=outcome,
                accept_partial=accept_partial,
                total_rows=len(rows),
                created_count=plan.counts["created"] if outcome != ImportBatch.Outcome.REJECTED else 0,
                updated_count=plan.counts["updated"] if outcome != ImportBatch.Outcome.REJECTED else 0,
                unchanged_count=plan.counts["unchanged"] if outcome != ImportBatch.Outcome.REJECTED else 0,
                rejected_count=rejected,
                errors=plan.errors,
                rows=plan.report,
                unknown_columns=unknown,
                duration_ms=int((time.perf_counter() - began) * 1000),
            )
            audit.record(
                actor=actor,
                action=f"registry.import.{outcome}",
                obj=batch,
                detail={
                    "kind": kind,
                    "file": batch.file_name,
                    "sha256": batch.file_sha256,
                    "rows": len(rows),
                    "created": batch.created_count,
                    "updated": batch.updated_count,
                    "unchanged": batch.unchanged_count,
                    "rejected": rejected,
                },
            )
    except IntegrityError:
        raise DomainError(
            "import_conflict",
            "导入时与他人同时登记的数据冲突，未写入任何数据，请重新导入",
            "Another change to the same records happened during the import; nothing was written, retry",
        ) from None
    return batch


def _batch_region(actor) -> Region:
    if actor.region_id:
        return actor.region
    return Region.objects.filter(code=QUZHOU).first() or Region.objects.order_by("path").first()


def _rows_of(kind: str, raw_rows: Iterator[list]) -> tuple[list[RowInput], set[str], list[str]]:
    """Map the header, then turn each non-blank row into input values keyed by column."""
    numbered = enumerate(raw_rows, start=1)
    _, header = next(numbered, (0, None))
    while header is not None and not any(_text(cell) for cell in header):
        _, header = next(numbered, (0, None))
    if header is None:
        raise ImportRefused("文件中没有数据", "The file has no rows")
    lookup = _header_lookup(kind)
    by_key = {c.key: c for c in COLUMNS[kind]}
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, cell in enumerate(header):
        key = lookup.get(_normalized_header(cell))
        if key is not None and key not in positions:
            positions[key] = index
        elif _text(cell):
            unknown.append(_text(cell))
    missing = [c.label for c in COLUMNS[kind] if c.required and c.key not in positions]
    if missing:
        raise ImportRefused(
            f"缺少必填列：{'、'.join(missing)}。请使用导入模板（第一行为列名）",
            f"Required columns are missing: {', '.join(missing)}. Use the import template",
        )
    regions = _region_lookup()
    rows: list[RowInput] = []
    for number, cells in numbered:
        if not any(_text(cell) for cell in cells):
            continue
        if len(rows) >= MAX_IMPORT_ROWS:
            raise ImportRefused(
                f"单个文件最多 {MAX_IMPORT_ROWS:,} 行，请拆分后分批导入",
                f"A file may hold at most {MAX_IMPORT_ROWS:,} rows; split it",
            )
        row = RowInput(number=number, values={})
        for key, index in positions.items():
            value = cells[index] if index < len(cells) else ""
            row.values[key] = _parse_cell(by_key[key], value, regions, row)
        rows.append(row)
    if not rows:
        raise ImportRefused("文件中只有列名，没有数据行", "The file has a header but no data rows")
    return rows, set(positions), unknown


def _plan(spec: KindSpec, rows: list[RowInput], present: set[str], context: Context) -> Plan:
    plan = Plan()
    cleaned: list[tuple[RowInput, Cleaned | None]] = []
    first_seen: dict[str, int] = {}
    for row in rows:
        problems = list(row.problems)
        raw_key = spec.row_key(row.values)
        if raw_key and raw_key in first_seen:
            first = first_seen[raw_key]
            problems.append(
                _problem(
                    "duplicate", spec.duplicate_zh.format(row=first), spec.duplicate_en.format(row=first)
                )
            )
        elif raw_key:
            first_seen[raw_key] = row.number
        result = None
        try:
            result = spec.clean(row.values, context)
        except ValidationFailed as failure:
            problems.extend(failure.details)
        if problems:
            _reject(plan, row, problems, label=_label_of(row.values))
            result = None
        cleaned.append((row, result))
    existing, visible = _existing(spec, [r.key for _, r in cleaned if r is not None], context.actor)
    compared = {f for column in present for f in spec.fields_by_column.get(column, ())}
    for row, result in cleaned:
        if result is None:
            continue
        stored = existing.get(result.key)
        if stored is None:
            plan.creates.append(result.values)
            _accept(plan, row, "created", result.label)
        elif stored["id"] not in visible:
            _reject(plan, row, [_problem("scope", spec.foreign_zh, spec.foreign_en)], label=result.label)
        else:
            changed = _changed_fields(stored, result, compared)
            if changed:
                plan.updates.append({**stored, **{f: result.values[f] for f in changed}})
                plan.update_fields.update(changed)
                _accept(plan, row, "updated", result.label)
            else:
                _accept(plan, row, "unchanged", result.label)
    return plan


def _label_of(values: dict) -> str:
    name = str(values.get("name") or "")
    identifier = str(values.get("id_number") or values.get("credit_code") or "")
    if "id_number" in values:
        identifier = mask_id_number(identifier)
    return f"{name} {identifier}".strip()


def _accept(plan: Plan, row: RowInput, status: str, label: str) -> None:
    plan.counts[status] += 1
    plan.report.append({"row": row.number, "status": status, "label": label, "reasons": []})


def _reject(plan: Plan, row: RowInput, problems: list[dict], *, label: str) -> None:
    plan.counts["rejected"] += 1
    plan.report.append({"row": row.number, "status": "rejected", "label": label, "reasons": problems})
    plan.errors.extend({"row": row.number, **problem} for problem in problems)


def _mark_not_written(plan: Plan) -> None:
    """All or nothing and something was rejected: the valid rows are reported valid, not applied."""
    for entry in plan.report:
        if entry["status"] != "rejected":
            entry["status"] = "valid"


def _chunk_size() -> int:
    limit = connection.features.max_query_params or 5000
    return max(100, min(5000, limit - 10))


def _existing(spec: KindSpec, keys: list[str], actor) -> tuple[dict[str, dict], set[int]]:
    """Stored rows with these keys (unscoped, for de-duplication) and which of them the actor may see."""
    model, key_field = spec.model, spec.key_field
    fields = ["id", key_field, *{f for fs in spec.fields_by_column.values() for f in fs}]
    existing: dict[str, dict] = {}
    visible: set[int] = set()
    size = _chunk_size()
    for start in range(0, len(keys), size):
        chunk = keys[start : start + size]
        for stored in model.objects.filter(**{f"{key_field}__in": chunk}).values(*fields):
            existing[stored[key_field]] = stored
        if existing:
            scoped = visible_to(actor, model.objects.filter(**{f"{key_field}__in": chunk}))
            visible.update(scoped.values_list("id", flat=True))
    return existing, visible


def _changed_fields(stored: dict, result: Cleaned, compared: set[str]) -> list[str]:
    changed = []
    for name in sorted(compared):
        if name not in result.values:
            continue  # e.g. a blank phone keeps the stored one, as in the form
        if name == "phone_ciphertext":
            if crypto.decrypt(stored["phone_ciphertext"]) != result.compare.get("phone", ""):
                changed.extend(["phone_ciphertext", "phone_masked"])
            continue
        if name == "phone_masked":
            continue
        if stored[name] != result.values[name]:
            changed.append(name)
    return changed


def _write(spec: KindSpec, plan: Plan) -> None:
    model = spec.model
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    if plan.creates:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = [f.column for f in fields]

        def rows():
            for values in plan.creates:
                yield [_column_value(f, values, now) for f in fields]

        bulk_insert(model._meta.db_table, columns, rows())
    if plan.updates:
        names = sorted(plan.update_fields)
        _bulk_update(model, names, plan.updates, now)


def _column_value(model_field, values: dict, now):
    if model_field.attname in values:
        return values[model_field.attname]
    if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
        return now
    default = model_field.get_default()
    return default


def _bulk_update(model, names: list[str], updates: list[dict], now) -> None:
    """UPDATE the changed rows in one statement per chunk (PostgreSQL: from a COPYed temporary table)."""
    table = model._meta.db_table
    columns = [model._meta.get_field(name).column for name in names]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            quoted = ", ".join(f'"{column}"' for column in columns)
            cursor.execute(
                f'CREATE TEMPORARY TABLE import_changes ON COMMIT DROP AS SELECT "id", {quoted} '
                f'FROM "{table}" WITH NO DATA'
            )
            bulk_insert(
                "import_changes", ["id", *columns], ([u["id"], *(u[n] for n in names)] for u in updates)
            )
            assignments = ", ".join(f'"{c}" = import_changes."{c}"' for c in columns)
            cursor.execute(
                f'UPDATE "{table}" SET {assignments}, "updated_at" = %s '
                f'FROM import_changes WHERE "{table}"."id" = import_changes."id"',
                [now],
            )
            cursor.execute("DROP TABLE import_changes")
            return
        assignments = ", ".join(f'"{c}" = %s' for c in columns)
        statement = f'UPDATE "{table}" SET {assignments}, "updated_at" = %s WHERE "id" = %s'
        cursor.executemany(statement, [[*(u[n] for n in names), now, u["id"]] for u in updates])


# --- reading batches and the template -----------------------------------------------------------------------


def get_import_batch(user, batch_id: int) -> ImportBatch:
    """A batch the user may see (their scope) and import rights; NotFound otherwise."""
    if not rights_of(user).import_registry:
        raise NotFound()
    batch = visible_to(user, ImportBatch.objects.select_related("region", "uploaded_by")).filter(pk=batch_id)
    found = batch.first()
    if found is None:
        raise NotFound()
    return found


def import_batches_for(user):
    if not rights_of(user).import_registry:
        return ImportBatch.objects.none()
    return visible_to(user, ImportBatch.objects.select_related("uploaded_by")).defer("rows", "errors")


def earlier_batch_of_same_file(user, batch: ImportBatch) -> ImportBatch | None:
    return (
        import_batches_for(user)
        .filter(kind=batch.kind, file_sha256=batch.file_sha256, created_at__lt=batch.created_at)
        .order_by("-created_at")
        .first()
    )


def template_workbook(kind: str) -> bytes:
    """An empty import file for `kind`: the header row, one example row, and a sheet explaining columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns = COLUMNS[kind]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "导入数据"
    sheet.append([column.label for column in columns])
    sheet.append([column.example for column in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="B71C1C" if column.required else "000000")
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(12, len(column.label) * 2 + 4)
        for row in range(2, 2002):  # text format so Excel keeps 18-digit ID numbers and leading zeros
            if column.parse in ("text", "upper", "region", "bool") or column.parse.startswith("choice"):
                sheet.cell(row=row, column=index).number_format = "@"
            elif column.parse == "date":
                sheet.cell(row=row, column=index).number_format = "yyyy-mm-dd"
    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "可填写的值", "英文列名"])
    for column in columns:
        notes.append(
            [column.label, "必填" if column.required else "可空", _allowed_values(column), column.key]
        )
    notes.append([])
    notes.append(["第一行为列名，第二行为示例，导入前请删除示例行。出错的行会逐行列出原因。"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _allowed_values(column: Column) -> str:
    if column.parse.startswith("choice:"):
        enum, _aliases = CHOICES[column.parse[7:]]
        with translation.override(None):
            labels = [str(label) for value, label in enum.choices if value not in ("", 0)]
        return "、".join(labels) + ("；" + column.note if column.note else "")
    if column.parse == "date":
        return column.note or "日期，如 2019-03-01"
    if column.parse == "bool":
        return "是 / 否"
    return column.note


STATUS_LABELS = {
    "created": _("新增"),
    "updated": _("更新"),
    "unchanged": _("无变化"),
    "valid": _("校验通过（未写入）"),
    "rejected": _("错误"),
}
