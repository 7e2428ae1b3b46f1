"""The import column set per kind, and how a file's header and cells become input values keyed by column."""

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache

from django.db.models import Choices
from django.utils import translation

from rencai.core.errors import Problem, problem
from rencai.core.models import Region
from rencai.registry import choices as c
from rencai.registry.importers.reading import MAX_IMPORT_ROWS, ImportRefused
from rencai.registry.models import ImportBatch

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

# keyed by ImportBatch.Kind (a str): callers look a kind up by the plain string they were given
COLUMNS: dict[str, tuple[Column, ...]] = {
    ImportBatch.Kind.TALENTS: TALENT_COLUMNS,
    ImportBatch.Kind.ENTERPRISES: ENTERPRISE_COLUMNS,
}

# choice name -> (its enum, extra accepted spellings -> stored value)
CHOICES: dict[str, tuple[type[Choices], dict[str, object]]] = {
    "id_kind": (c.IdKind, {"身份证": c.IdKind.RESIDENT_ID, "二代身份证": c.IdKind.RESIDENT_ID}),
    "team": (c.Team, {}),
    "tier": (c.Tier, {f"{t}类": t for t in "ABCDE"}),
    "title_level": (c.TitleLevel, {"副高": c.TitleLevel.DEPUTY_SENIOR, "正高": c.TitleLevel.SENIOR}),
    "skill_level": (c.SkillLevel, {"": 0}),
    "degree": (
        c.Degree,
        {
            "": c.Degree.NONE,
            "大专": c.Degree.ASSOCIATE,
            "大学本科": c.Degree.BACHELOR,
            "研究生": c.Degree.MASTER,
        },
    ),
    "employment_type": (
        c.EmploymentType,
        {"柔性": c.EmploymentType.FLEXIBLE, "柔性引进": c.EmploymentType.FLEXIBLE},
    ),
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
    problems: list[Problem] = field(default_factory=list)


def _parse_cell(column: Column, value: object, regions: dict[str, str], row: RowInput):
    if column.parse == "date":
        parsed = _date(value)
        if parsed is None and _text(value):
            row.problems.append(
                problem(
                    column.key,
                    f"{column.label}无法识别：{_text(value)}（应为如 2019-03-01 的日期）",
                    f"{column.label}: cannot read the date {_text(value)} (use e.g. 2019-03-01)",
                )
            )
        return parsed
    text = _text(value)
    if column.key == "id_number" and isinstance(value, float):
        row.problems.append(
            problem(
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
                problem(
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


# --- rows of a file -----------------------------------------------------------------------------------------


def rows_of(kind: str, raw_rows: Iterable[list]) -> tuple[list[RowInput], set[str], list[str]]:
    """Map the header, then turn each non-blank row into input values keyed by column."""
    numbered = enumerate(raw_rows, start=1)
    header = _header_row(numbered)
    positions, unknown = _column_positions(kind, header)
    rows = _input_rows(kind, numbered, positions)
    return rows, set(positions), unknown


def _header_row(numbered: Iterator[tuple[int, list]]) -> list:
    """The first row with any text in it; ImportRefused when there is none."""
    _, header = next(numbered, (0, None))
    while header is not None and not any(_text(cell) for cell in header):
        _, header = next(numbered, (0, None))
    if header is None:
        raise ImportRefused("文件中没有数据", "The file has no rows")
    return header


def _column_positions(kind: str, header: list) -> tuple[dict[str, int], list[str]]:
    """Where each known column is (the first wins) and the unknown headers; every required column present."""
    lookup = _header_lookup(kind)
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
    return positions, unknown


def _input_rows(kind: str, numbered: Iterator[tuple[int, list]], positions: dict[str, int]) -> list[RowInput]:
    """Every non-blank row after the header, its cells parsed by column; at most MAX_IMPORT_ROWS of them."""
    by_key = {c.key: c for c in COLUMNS[kind]}
    regions = _region_lookup()
    rows: list[RowInput] = []
    for number, cells in numbered:
        if not any(_text(cell) for cell in cells):
            continue
        if len(rows) >= MAX_IMPORT_ROWS:
            raise ImportRefused(
                f"单个文件最多 {MAX_IMPORT_ROWS:,} 行数据，请拆分后分批导入",
                f"A file may hold at most {MAX_IMPORT_ROWS:,} rows of data; split it",
            )
        row = RowInput(number=number, values={})
        for key, index in positions.items():
            value = cells[index] if index < len(cells) else ""
            row.values[key] = _parse_cell(by_key[key], value, regions, row)
        rows.append(row)
    if not rows:
        raise ImportRefused("文件中只有列名，没有数据行", "The file has a header but no data rows")
    return rows
