"""The column set per kind, one definition shared by the import template, the importer and the export, and
how a file's header and cells become input values keyed by column.

An export of a list is a valid import file: the same headers in the same order (the template's columns,
then a few columns the import reads past, such as the status), its masked cells meaning "keep what is
stored", and its talent number (人才编号) telling the importer which record a masked row updates. Headers
are matched in Chinese or English, by the stored field name, or by an older header kept as an alias.

A bad cell gives exactly one problem, which names the column as the file names it, the value (unless it is
personal data) and what the column expects; the cleaning of the row (`kinds`) then leaves that column out.
"""

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache

from django.db.models import Choices
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rencai.core.countries import country_code, country_name
from rencai.core.errors import Problem, problem
from rencai.core.masking import mask_birth_date
from rencai.core.models import Region
from rencai.core.validators import PHONE_FORMAT_EN, PHONE_FORMAT_ZH, InvalidValue, validate_phone
from rencai.registry import choices as c
from rencai.registry.importers.reading import MAX_IMPORT_ROWS, ImportRefused
from rencai.registry.models import ImportBatch

CHINESE = re.compile(r"[\u4e00-\u9fff]")
MASK = "*"  # a cell holding it comes from an export: personal data shown masked, kept as stored

# --- the column set -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: the input field it fills, its header (Chinese, translated) and accepted older headers,
    how its cells are read, what the template says of it, and what the export writes into it."""

    key: str
    label: Promise
    aliases: tuple[str, ...] = ()
    required: bool = False
    parse: str = "text"  # text | upper | phone | date | bool | region | nationality | number | choice:<name>
    example: object = ""
    note: str = ""
    export: str = ""  # the field (or field__path) the export writes; "" for none
    render: Callable[[object], object] | None = None  # how the export shows it (default: by `parse`)
    imported: bool = True  # False: an export-only column, read past by the importer

    def zh(self) -> str:
        with translation.override(None):
            return str(self.label)

    def en(self) -> str:
        with translation.override("en"):
            return str(self.label)


PASSPORT_ONLY = "仅护照持有人填写；导出文件中的“1990-**-**”表示不修改"

TALENT_COLUMNS = (
    Column("name", _("姓名"), ("name",), True, example="张三", export="name"),
    Column(
        "id_kind",
        _("证件类型"),
        ("id_kind", "id kind"),
        parse="choice:id_kind",
        example="居民身份证",
        note="居民身份证（默认）或护照",
        export="id_kind",
    ),
    Column(
        "id_number",
        _("证件号码"),
        ("身份证号", "证件号", "身份证号码", "id_number", "id number"),
        True,
        parse="upper",
        example="330881199003070020",
        note="请将本列设为文本格式，以免Excel截断数字；导出文件中遮蔽的号码须与“人才编号”列一起保留",
        export="id_number_masked",
    ),
    Column(
        "phone",
        _("手机号码"),
        ("手机号", "联系电话", "电话", "phone"),
        parse="phone",
        example="13800001234",
        note="11位手机号或带区号的固定电话（如 0570-1234567）；留空或遮蔽（如 138****1234）则不修改",
        export="phone_masked",
    ),
    Column(
        "region_code",
        _("所在区划"),
        ("所在地区", "区划", "区划代码", "region", "region_code"),
        True,
        parse="region",
        example="江山市",
        note="区划名称或6位区划代码",
        export="region__name",
    ),
    Column(
        "team", _("人才队伍"), ("team",), True, parse="choice:team", example="专业技术人才", export="team"
    ),
    Column(
        "tier", _("人才类别"), ("tier",), parse="choice:tier", example="D", note="A至E，可空", export="tier"
    ),
    Column(
        "title_level",
        _("职称"),
        ("职称等级", "title_level"),
        parse="choice:title_level",
        example="中级",
        export="title_level",
    ),
    Column(
        "skill_level",
        _("职业技能等级"),
        ("技能等级", "skill_level"),
        parse="choice:skill_level",
        note="或1至5",
        export="skill_level",
    ),
    Column(
        "highest_degree",
        _("最高学历"),
        ("学历", "highest_degree"),
        parse="choice:degree",
        example="硕士",
        export="highest_degree",
    ),
    Column(
        "employer_credit_code",
        _("工作单位统一社会信用代码"),
        ("工作单位信用代码", "employer_credit_code"),
        parse="upper",
        note="须为已登记且您可查看的企业",
        export="current_employer__credit_code",
    ),
    Column(
        "employment_type",
        _("引才方式"),
        ("employment_type",),
        parse="choice:employment_type",
        example="全职",
        export="employment_type",
    ),
    Column(
        "arrival_date",
        _("来衢日期"),
        ("到衢日期", "arrival_date", "arrival date"),
        True,
        parse="date",
        example=dt.date(2019, 3, 1),
        export="arrival_date",
    ),
    Column(
        "is_researcher_venture",
        _("科研人员在职/离岗创业"),
        ("科研人员创业", "is_researcher_venture"),
        parse="bool",
        example="否",
        export="is_researcher_venture",
    ),
    Column(
        "nationality",
        _("国籍"),
        ("nationality",),
        parse="nationality",
        example="中国",
        note="国家名称（如 中国、德国）或两位字母代码（如 CN、DE），默认中国",
        export="nationality",
    ),
    Column(
        "birth_date",
        _("出生日期"),
        ("birth_date",),
        parse="date",
        note=PASSPORT_ONLY,
        export="birth_date",
        render=lambda born: mask_birth_date(born) if isinstance(born, dt.date) else "",
    ),
    Column("gender", _("性别"), ("gender",), parse="choice:gender", note="仅护照持有人填写", export="gender"),
    Column(
        "record_id",
        _("人才编号"),
        ("编号", "record_id", "id"),
        parse="number",
        note="导出文件自带，用于更新已有记录；新增人才留空",
        export="id",
    ),
    # read past by the importer: what the export shows beside the record
    Column("employer_name", _("现工作单位"), export="current_employer__name", imported=False),
    Column("status", _("状态"), parse="choice:status", export="status", imported=False),
    Column("departed_on", _("离开日期"), export="departed_on", imported=False),
)

ENTERPRISE_COLUMNS = (
    Column(
        "credit_code",
        _("统一社会信用代码"),
        ("信用代码", "credit_code", "credit code"),
        True,
        parse="upper",
        example="91330800MA28F0000M",
        export="credit_code",
    ),
    Column("name", _("企业名称"), ("名称", "name"), True, example="衢州示例科技有限公司", export="name"),
    Column(
        "region_code",
        _("所在区划"),
        ("所在地区", "区划", "区划代码", "region", "region_code"),
        True,
        parse="region",
        example="柯城区",
        note="区划名称或6位区划代码",
        export="region__name",
    ),
    Column(
        "industry",
        _("行业"),
        ("industry",),
        True,
        parse="choice:industry",
        example="电子信息",
        export="industry",
    ),
    Column("size", _("规模"), ("企业规模", "size"), True, parse="choice:size", example="小型", export="size"),
    Column(
        "is_high_tech",
        _("高新技术企业"),
        ("is_high_tech",),
        parse="bool",
        example="是",
        export="is_high_tech",
    ),
    Column(
        "is_platform_enterprise",
        _("平台型企业"),
        ("is_platform_enterprise",),
        parse="bool",
        example="否",
        export="is_platform_enterprise",
    ),
)

ACHIEVEMENT_COLUMNS = (
    Column(
        "kind",
        _("成果类别"),
        ("类别", "kind"),
        True,
        parse="choice:achievement_kind",
        example="授权专利",
    ),
    Column("title", _("名称"), ("成果名称", "title"), True, example="一种氟硅新材料的制备方法"),
    Column(
        "reference",
        _("编号"),
        ("专利号", "标准号", "合同编号", "reference"),
        parse="upper",
        example="ZL201910000001.X",
        note="专利号、标准号或合同编号；同一类别同一编号再次导入即更新原记录",
    ),
    Column(
        "achieved_on",
        _("日期"),
        ("成果日期", "achieved_on"),
        True,
        parse="date",
        example=dt.date(2021, 5, 20),
    ),
    Column(
        "amount",
        _("金额"),
        ("金额（元）", "金额(元)", "amount"),
        parse="amount",
        example="300000",
        note="元；成果转化收入、项目经费或纳税额，可空",
    ),
    Column("level", _("级别"), ("level",), parse="choice:level", example="省级", note="可空"),
    Column(
        "holders",
        _("持有人证件号"),
        ("持有人", "持有人证件号码", "holders"),
        True,
        parse="holders",
        example="330881199003070020",
        note="一个或多个证件号码，以“、”或“;”分隔，第一持有人在前；须为已登记且您可查看的人才",
    ),
    Column(
        "enterprise_credit_code",
        _("单位统一社会信用代码"),
        ("关联单位统一社会信用代码", "单位信用代码", "enterprise_credit_code"),
        parse="upper",
        note="成果关联的用人单位，可空",
    ),
    Column(
        "region_code",
        _("所在区划"),
        ("区划", "区划代码", "region", "region_code"),
        parse="region",
        note="可空，默认为第一持有人所在区划",
    ),
)

# keyed by ImportBatch.Kind (a str): callers look a kind up by the plain string they were given
COLUMNS: dict[str, tuple[Column, ...]] = {
    ImportBatch.Kind.TALENTS: TALENT_COLUMNS,
    ImportBatch.Kind.ENTERPRISES: ENTERPRISE_COLUMNS,
    ImportBatch.Kind.ACHIEVEMENTS: ACHIEVEMENT_COLUMNS,
}


def import_columns(kind: str) -> tuple[Column, ...]:
    """The columns an import file may fill (the template's), in the export's order."""
    return tuple(column for column in COLUMNS[kind] if column.imported)


# The example rows of the templates handed out before the example moved to the notes sheet: a file filled
# in from one of them still holds it, and it is skipped, never imported.
OLD_EXAMPLE_ROWS: dict[str, set[tuple[str, str]]] = {
    ImportBatch.Kind.TALENTS: {("张三", "330881199003070020")},
    ImportBatch.Kind.ENTERPRISES: {("衢州示例科技有限公司", "91330800MA28F0000M")},
    ImportBatch.Kind.ACHIEVEMENTS: set(),  # its template never held an example row
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
    "gender": (c.Gender, {}),
    "industry": (c.Industry, {}),
    "size": (c.EnterpriseSize, {}),
    "status": (c.TalentStatus, {}),
    "achievement_kind": (
        c.AchievementKind,
        {
            "专利授权": c.AchievementKind.PATENT_GRANTED,
            "专利申请": c.AchievementKind.PATENT_APPLIED,
            "科技成果转化": c.AchievementKind.TECH_TRANSFER,
            "技术转让": c.AchievementKind.TECH_TRANSFER,
            "纳税": c.AchievementKind.VENTURE_TAX,
        },
    ),
    "level": (c.ProgrammeLevel, {"": "", "国家": "national", "省": "provincial", "市": "city"}),
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
# The field a cleaning problem names -> the column it is about, where the two differ
PROBLEM_COLUMNS = {"region": "region_code"}


def _normalized_header(text: object) -> str:
    return (
        str(text or "").strip().strip("*＊").replace(" ", "").replace("（", "(").replace("）", ")").casefold()
    )


@cache
def _header_lookup(kind: str) -> dict[str, str]:
    lookup = {}
    for column in COLUMNS[kind]:
        for name in (column.zh(), column.en(), column.key, *column.aliases):
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


def choice_labels(name: str, language: str | None) -> list[str]:
    """The labels of a choice in `language` (None: Chinese), the blank choice left out."""
    enum, _aliases = CHOICES[name]
    with translation.override(language):
        return [str(label) for value, label in enum.choices if value not in ("", 0)]


# --- export rendering ---------------------------------------------------------------------------------------


def _choice_render(name: str) -> Callable[[object], str]:
    enum, _aliases = CHOICES[name]
    labels = dict(enum.choices)

    def render(value: object) -> str:
        label = labels.get(value)
        return str(label) if label is not None and value not in ("", None) else ""

    return render


def _yes_no(value: object) -> str:
    return gettext("是") if value else gettext("否")


def export_render(column: Column) -> Callable[[object], object] | None:
    """How the export shows a column's stored value, so that the importer reads it back to the same value."""
    if column.render is not None:
        return column.render
    if column.parse.startswith("choice:"):
        return _choice_render(column.parse[7:])
    if column.parse == "bool":
        return _yes_no
    if column.parse == "nationality":
        return lambda code: country_name(str(code or ""))
    return None


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


def is_masked(value: object) -> bool:
    return isinstance(value, str) and MASK in value


@dataclass
class RowInput:
    number: int
    values: dict
    problems: list[Problem] = field(default_factory=list)
    example: bool = False  # a template's example row: reported as skipped, never imported

    def columns_with_problems(self) -> set[str]:
        return {item["field"] for item in self.problems}


@dataclass(frozen=True)
class Cell:
    """A cell being read: its column, the header the file gives that column, its raw value and text."""

    column: Column
    header: str
    value: object
    text: str

    def bad(self, zh_expected: str, en_expected: str, *, show_value: bool = True) -> Problem:
        """The one problem of a cell: the column as the file names it, the value, what is expected."""
        zh_name, en_name = self.header, self.english_header()
        if not self.text:
            zh, en = f"{zh_name}不能为空", f"{en_name} is required"
        elif show_value:
            zh, en = f"{zh_name}“{self.text}”无法识别", f'{en_name}: cannot read "{self.text}"'
        else:  # personal data is not repeated into the stored report
            zh, en = f"{zh_name}格式不正确", f"{en_name} is not valid"
        return problem(self.column.key, f"{zh}，{zh_expected}", f"{en}; {en_expected}")

    def english_header(self) -> str:
        """The header for an English message: as the file gives it, with the English name if it is Chinese."""
        if CHINESE.search(self.header):
            return f"{self.column.en()} ({self.header})"
        return self.header


def _parse_cell(cell: Cell, regions: dict[str, str], row: RowInput) -> object:
    """The input value of one cell; a problem on the row when the cell cannot be read."""
    column, text = cell.column, cell.text
    if column.required and not text:
        expected = _expected(column)
        row.problems.append(cell.bad(*expected) if expected[0] else _required(cell))
        return None if column.parse == "date" else ""
    parser = PARSERS.get(column.parse.split(":")[0])
    return parser(cell, regions, row) if parser else text


def _required(cell: Cell) -> Problem:
    return problem(cell.column.key, f"{cell.header}不能为空", f"{cell.english_header()} is required")


def _expected(column: Column) -> tuple[str, str]:
    """What a column expects, said in Chinese and English ("" when any text will do)."""
    if column.parse == "date":
        return "应为日期，如 2019-03-01", "use a date such as 2019-03-01"
    if column.parse == "bool":
        return "应填“是”或“否”", "use yes or no"
    if column.parse == "region":
        return "应为区划名称（如 江山市）或6位区划代码", "use a region name or its 6-digit code"
    if column.parse == "phone":
        return PHONE_FORMAT_ZH, PHONE_FORMAT_EN
    if column.parse == "nationality":
        return "应为国家名称（如 中国）或两位字母代码（如 CN）", "use a country name or its 2-letter code"
    if column.parse == "number":
        return "应为导出文件中的人才编号", "use the talent number of an export"
    if column.parse == "amount":
        return "应为不小于0的金额（元），如 300000", "use an amount in yuan, 0 or more, such as 300000"
    if column.parse.startswith("choice:"):
        name = column.parse[7:]
        zh_labels, en_labels = choice_labels(name, None), choice_labels(name, "en")
        return f"应为：{'、'.join(zh_labels)}", f"use one of: {', '.join(en_labels)}"
    return "", ""


def _parse_date(cell: Cell, _regions: dict[str, str], row: RowInput) -> dt.date | None:
    if is_masked(cell.value):
        return None  # an export's masked birth date: the stored one is kept
    parsed = _date(cell.value)
    if parsed is None and cell.text:
        row.problems.append(cell.bad(*_expected(cell.column)))
    return parsed


def _parse_upper(cell: Cell, _regions: dict[str, str], row: RowInput) -> str:
    if cell.column.key == "id_number" and isinstance(cell.value, float):
        row.problems.append(
            problem(
                cell.column.key,
                f"{cell.header}被Excel存成了数字，末几位可能已丢失；请把该列设为文本格式后重新填写",
                f"Excel stored the {cell.english_header()} as a number and may have lost digits; "
                "format the column as text",
            )
        )
    return cell.text.upper()


def _parse_phone(cell: Cell, _regions: dict[str, str], row: RowInput) -> str:
    if not cell.text or is_masked(cell.text):
        return ""  # blank or an export's masked phone: the stored one is kept, as in the form
    try:
        return validate_phone(cell.text)
    except InvalidValue:
        row.problems.append(cell.bad(*_expected(cell.column), show_value=False))
        return cell.text


def _parse_region(cell: Cell, regions: dict[str, str], row: RowInput) -> str:
    code = regions.get(cell.text.casefold())
    if code is None and cell.text:
        row.problems.append(cell.bad(*_expected(cell.column)))
    return code or cell.text


def _parse_bool(cell: Cell, _regions: dict[str, str], row: RowInput) -> bool:
    word = cell.text.casefold()
    if word in TRUE_WORDS:
        return True
    if word not in FALSE_WORDS:
        row.problems.append(cell.bad(*_expected(cell.column)))
    return False


def _parse_choice(cell: Cell, _regions: dict[str, str], row: RowInput) -> object:
    lookup = _choice_lookup(cell.column.parse[7:])
    word = cell.text.casefold()
    if word in lookup:
        return lookup[word]
    if cell.text:
        row.problems.append(cell.bad(*_expected(cell.column)))
    return cell.text


def _parse_nationality(cell: Cell, _regions: dict[str, str], row: RowInput) -> str:
    if not cell.text:
        return ""
    code = country_code(cell.text)
    if code is None:
        row.problems.append(cell.bad(*_expected(cell.column)))
        return cell.text
    return code


def _parse_number(cell: Cell, _regions: dict[str, str], row: RowInput) -> int | str | None:
    if not cell.text:
        return None
    if cell.text.isdigit() and len(cell.text) <= 18:
        return int(cell.text)
    row.problems.append(cell.bad(*_expected(cell.column)))
    return cell.text  # kept, so that the row is not taken for one without a talent number


def _parse_amount(cell: Cell, _regions: dict[str, str], row: RowInput) -> Decimal | None:
    if not cell.text:
        return None
    try:
        amount = Decimal(cell.text.replace(",", "").replace("，", ""))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        row.problems.append(cell.bad(*_expected(cell.column)))
        return None
    return amount


def _parse_holders(cell: Cell, _regions: dict[str, str], row: RowInput) -> str:
    if isinstance(cell.value, float):
        row.problems.append(
            problem(
                cell.column.key,
                f"{cell.header}被Excel存成了数字，末几位可能已丢失；请把该列设为文本格式后重新填写",
                f"Excel stored the {cell.english_header()} as a number and may have lost digits; "
                "format the column as text",
            )
        )
    return cell.text.upper()


PARSERS: dict[str, Callable[[Cell, dict[str, str], RowInput], object]] = {
    "date": _parse_date,
    "upper": _parse_upper,
    "phone": _parse_phone,
    "region": _parse_region,
    "bool": _parse_bool,
    "choice": _parse_choice,
    "nationality": _parse_nationality,
    "number": _parse_number,
    "amount": _parse_amount,
    "holders": _parse_holders,
}


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
    headers = {key: _text(header[index]) for key, index in positions.items()}
    rows = _input_rows(kind, numbered, positions, headers)
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
    """Where each imported column is (the first wins) and the unknown headers; every required column
    present. An export's own columns (status, employer name) are known, and read past."""
    lookup = _header_lookup(kind)
    imported = {column.key for column in import_columns(kind)}
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, cell in enumerate(header):
        key = lookup.get(_normalized_header(cell))
        if key in imported and key not in positions:
            positions[key] = index
        elif key is None and _text(cell):
            unknown.append(_text(cell))
    missing = [c.zh() for c in COLUMNS[kind] if c.required and c.key not in positions]
    if missing:
        missing_en = [c.en() for c in COLUMNS[kind] if c.required and c.key not in positions]
        raise ImportRefused(
            f"缺少必填列：{'、'.join(missing)}。请使用导入模板（第一行为列名）",
            f"Required columns are missing: {', '.join(missing_en)}. Use the import template",
        )
    return positions, unknown


def _input_rows(
    kind: str, numbered: Iterator[tuple[int, list]], positions: dict[str, int], headers: dict[str, str]
) -> list[RowInput]:
    """Every non-blank row after the header, its cells parsed by column; at most MAX_IMPORT_ROWS of them."""
    by_key = {c.key: c for c in COLUMNS[kind]}
    regions = _region_lookup()
    examples = OLD_EXAMPLE_ROWS[kind]
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
            cell = Cell(by_key[key], headers[key], value, _text(value))
            row.values[key] = _parse_cell(cell, regions, row)
        row.example = _identity(row.values) in examples
        rows.append(row)
    if not rows:
        raise ImportRefused("文件中只有列名，没有数据行", "The file has a header but no data rows")
    return rows


def _identity(values: dict) -> tuple[str, str]:
    key = values.get("id_number") or values.get("credit_code") or ""
    return str(values.get("name") or ""), str(key)
