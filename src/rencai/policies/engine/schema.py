"""The documented talent features a policy rule may use as `talent.<name>`, and their polars/CEL forms.

The feature frame (built by `rencai.policies.features`) has one row per talent: an Int64 `talent_id`
column plus one column per feature below, in this order, never null. A rule sees the same values
through the batch path (polars columns) and through the reference evaluator (a CEL map `talent`).

Integer features carry a documented `value_range`; the type checker uses it to reject rules whose
integer arithmetic could overflow 64 bits, so a well-typed rule never fails at run time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import polars as pl
from celpy import celtypes

# CEL type names used throughout the engine.
INT = "int"
DOUBLE = "double"
BOOL = "bool"
STRING = "string"
TIMESTAMP = "timestamp"
LIST_STRING = "list<string>"

EPOCH = dt.date(1970, 1, 1)
# Documented bounds of the achievement features (the feature frame clips to them; never reached in practice)
ACHIEVEMENT_COUNT_MAX = 1_000_000
ACHIEVEMENT_YUAN_MAX = 10**15


@dataclass(frozen=True)
class Feature:
    """One variable of the rule language: `talent.<name>`."""

    name: str
    cel_type: str
    label_zh: str
    label_en: str
    description_zh: str
    description_en: str
    default: Any
    # value -> (Chinese label, English label); for lists, the labels of their elements
    values: Mapping[Any, tuple[str, str]] = field(default_factory=dict)
    # True: a rule comparing this feature to a value outside `values` is rejected
    closed: bool = False
    # documented bounds of an int feature (inclusive)
    value_range: tuple[int, int] | None = None

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def value_label(self, value: Any, lang: str) -> str | None:
        """The label of one enumerated value (or list element), None when the value has none."""
        labels = self.values.get(value)
        if labels is None:
            return None
        return labels[0] if lang == "zh" else labels[1]

    @property
    def element_type(self) -> str | None:
        return STRING if self.cel_type == LIST_STRING else None


def _values(*items: tuple[Any, str, str]) -> Mapping[Any, tuple[str, str]]:
    return MappingProxyType({value: (zh, en) for value, zh, en in items})


DEGREES = _values(
    ("none", "无学历", "no degree"),
    ("associate", "专科", "associate"),
    ("bachelor", "本科", "bachelor"),
    ("master", "硕士", "master"),
    ("doctor", "博士", "doctor"),
)
DEGREE_LEVELS = _values(
    (0, "无学历", "no degree"),
    (1, "专科", "associate"),
    (2, "本科", "bachelor"),
    (3, "硕士", "master"),
    (4, "博士", "doctor"),
)
TEAMS = _values(
    ("party_gov", "党政人才", "party and government"),
    ("enterprise_mgmt", "企业经营管理人才", "enterprise management"),
    ("professional", "专业技术人才", "professional and technical"),
    ("high_skill", "高技能人才", "highly skilled"),
    ("rural", "农村实用人才", "rural practical"),
    ("social_work", "社会工作人才", "social work"),
    ("", "未分类", "unclassified"),
)
TIERS = _values(
    ("A", "A类", "tier A"),
    ("B", "B类", "tier B"),
    ("C", "C类", "tier C"),
    ("D", "D类", "tier D"),
    ("E", "E类", "tier E"),
    ("", "未分类", "no tier"),
)
TITLE_LEVELS = _values(
    ("", "无职称", "no title"),
    ("junior", "初级", "junior"),
    ("intermediate", "中级", "intermediate"),
    ("deputy_senior", "副高级", "deputy senior"),
    ("senior", "正高级", "senior"),
)
TITLE_RANKS = _values(
    (0, "无职称", "no title"),
    (1, "初级", "junior"),
    (2, "中级", "intermediate"),
    (3, "副高级", "deputy senior"),
    (4, "正高级", "senior"),
)
SKILL_LEVELS = _values(
    (0, "无", "none"),
    (1, "高级技师", "senior technician"),
    (2, "技师", "technician"),
    (3, "高级工", "senior worker"),
    (4, "中级工", "intermediate worker"),
    (5, "初级工", "junior worker"),
)
REGIONS = _values(
    ("330800", "衢州市", "Quzhou"),
    ("330802", "柯城区", "Kecheng"),
    ("330803", "衢江区", "Qujiang"),
    ("330822", "常山县", "Changshan"),
    ("330824", "开化县", "Kaihua"),
    ("330825", "龙游县", "Longyou"),
    ("330881", "江山市", "Jiangshan"),
)
NATIONALITIES = _values(
    ("CN", "中国", "China"),
    ("US", "美国", "United States"),
    ("GB", "英国", "United Kingdom"),
    ("DE", "德国", "Germany"),
    ("FR", "法国", "France"),
    ("JP", "日本", "Japan"),
    ("KR", "韩国", "Korea"),
    ("CA", "加拿大", "Canada"),
    ("AU", "澳大利亚", "Australia"),
    ("SG", "新加坡", "Singapore"),
    ("RU", "俄罗斯", "Russia"),
    ("IN", "印度", "India"),
)
EMPLOYMENT_TYPES = _values(
    ("full_time", "全职", "full time"),
    ("flexible", "柔性引才", "flexible"),
    ("enclave", "飞地", "enclave"),
    ("none", "无", "none"),
)
INDUSTRIES = _values(
    ("manufacturing", "制造业", "manufacturing"),
    ("chemicals", "化工新材料", "chemicals and new materials"),
    ("equipment", "装备制造", "equipment"),
    ("electronics", "电子信息", "electronics"),
    ("biomedicine", "生物医药", "biomedicine"),
    ("agriculture", "现代农业", "modern agriculture"),
    ("tourism", "文化旅游", "culture and tourism"),
    ("services", "现代服务业", "modern services"),
    ("construction", "建筑业", "construction"),
    ("education", "教育科研", "education and research"),
    ("", "无用人单位", "no employer"),
)
EMPLOYER_SIZES = _values(
    ("large", "大型", "large"),
    ("medium", "中型", "medium"),
    ("small", "小型", "small"),
    ("micro", "微型", "micro"),
    ("", "无用人单位", "no employer"),
)
PROGRAMMES = _values(
    ("national_programme", "国家级人才计划", "national talent programme"),
    ("provincial_programme", "省级人才计划", "provincial talent programme"),
    ("city_programme", "市级人才计划", "city talent programme"),
    ("academician", "两院院士", "academician"),
    ("craftsman", "工匠", "craftsman"),
    ("chief_tech_officer", "企业首席技术官", "enterprise chief technology officer"),
)
PLATFORM_KINDS = _values(
    ("enclave", "人才飞地", "talent enclave"),
    ("academician_station", "院士专家工作站", "academician workstation"),
    ("doctoral_station", "博士（后）工作站", "doctoral workstation"),
    ("recruiting_station", "人才工作站", "recruiting station"),
    ("overseas_station", "海内外人才工作站", "overseas talent station"),
    ("rd_center", "科技研发中心", "R&D centre"),
)
GENDERS = _values(("male", "男", "male"), ("female", "女", "female"), ("", "未登记", "not recorded"))
STATUSES = _values(("active", "在衢", "active"), ("departed", "已离开", "departed"))
YES_NO = _values((True, "是", "yes"), (False, "否", "no"))

_FEATURE_LIST = [
    Feature(
        "age", INT, label_zh="年龄", label_en="age", default=0, value_range=(0, 150),
        description_zh="评估日的周岁年龄", description_en="full years of age on the evaluation date",
    ),
    Feature(
        "gender", STRING, label_zh="性别", label_en="gender", default="", values=GENDERS, closed=True,
        description_zh="性别", description_en="gender",
    ),
    Feature(
        "degree", STRING, label_zh="学历", label_en="degree", default="none", values=DEGREES, closed=True,
        description_zh="最高学历", description_en="highest degree",
    ),
    Feature(
        "degree_level", INT, label_zh="学历等级", label_en="degree level", default=0, values=DEGREE_LEVELS,
        value_range=(0, 4),
        description_zh="最高学历的等级：0 无，1 专科，2 本科，3 硕士，4 博士",
        description_en="highest degree as a number: 0 none … 4 doctor",
    ),
    Feature(
        "has_overseas_degree", BOOL, label_zh="海外学历", label_en="overseas degree", default=False,
        values=YES_NO, description_zh="是否有海外（境外）学历", description_en="holds a degree from abroad",
    ),
    Feature(
        "team", STRING, label_zh="人才队伍", label_en="talent team", default="", values=TEAMS, closed=True,
        description_zh="所属六支人才队伍", description_en="which of the six talent teams",
    ),
    Feature(
        "tier", STRING, label_zh="人才类别", label_en="talent tier", default="", values=TIERS, closed=True,
        description_zh="人才分类目录类别 A–E，空为未分类",
        description_en="catalogue tier A–E, empty when unclassified",
    ),
    Feature(
        "title_level", STRING, label_zh="职称", label_en="professional title", default="",
        values=TITLE_LEVELS, closed=True,
        description_zh="专业技术职称等级", description_en="professional title level",
    ),
    Feature(
        "title_rank", INT, label_zh="职称等级", label_en="title rank", default=0, values=TITLE_RANKS,
        value_range=(0, 4),
        description_zh="职称等级：0 无，1 初级，2 中级，3 副高，4 正高",
        description_en="title as a number: 0 none … 4 senior",
    ),
    Feature(
        "skill_level", INT, label_zh="职业技能等级", label_en="skill level", default=0, values=SKILL_LEVELS,
        value_range=(0, 5),
        description_zh="职业技能等级：0 无，5 初级工 … 3 高级工，2 技师，1 高级技师（数字越小等级越高）",
        description_en="vocational skill level: 0 none, 5 junior worker … 1 senior technician "
        "(smaller is higher)",
    ),
    Feature(
        "region", STRING, label_zh="所在县（市、区）", label_en="county", default="", values=REGIONS,
        description_zh="人才所在县（市、区）的行政区划代码（GB/T 2260）",
        description_en="GB/T 2260 code of the talent's county",
    ),
    Feature(
        "nationality", STRING, label_zh="国籍", label_en="nationality", default="CN", values=NATIONALITIES,
        description_zh="国籍（ISO 3166 两位字母代码）", description_en="nationality (ISO 3166 alpha-2)",
    ),
    Feature(
        "employment_type", STRING, label_zh="引才方式", label_en="employment type", default="none",
        values=EMPLOYMENT_TYPES, closed=True,
        description_zh="全职、柔性引才、飞地或无", description_en="full time, flexible, enclave or none",
    ),
    Feature(
        "months_employed_locally", INT, label_zh="在衢工作月数", label_en="months employed locally",
        default=0, value_range=(0, 2400),
        description_zh="截至评估日在衢用人单位累计任职月数",
        description_en="months employed by local employers up to the evaluation date",
    ),
    Feature(
        "employer_industry", STRING, label_zh="单位行业", label_en="employer industry", default="",
        values=INDUSTRIES, closed=True,
        description_zh="现用人单位所属行业", description_en="industry of the current employer",
    ),
    Feature(
        "employer_size", STRING, label_zh="单位规模", label_en="employer size", default="",
        values=EMPLOYER_SIZES, closed=True,
        description_zh="现用人单位规模", description_en="size of the current employer",
    ),
    Feature(
        "employer_is_platform", BOOL, label_zh="平台型企业", label_en="platform enterprise", default=False,
        values=YES_NO, description_zh="现用人单位是否为平台型企业",
        description_en="the current employer is a platform enterprise",
    ),
    Feature(
        "employer_is_high_tech", BOOL, label_zh="高新技术企业", label_en="high-tech enterprise",
        default=False, values=YES_NO, description_zh="现用人单位是否为高新技术企业",
        description_en="the current employer is a high-tech enterprise",
    ),
    Feature(
        "programmes", LIST_STRING, label_zh="人才计划", label_en="talent programmes", default=(),
        values=PROGRAMMES, closed=True,
        description_zh="入选的人才计划及称号", description_en="talent programmes and honours held",
    ),
    Feature(
        "platform_kinds", LIST_STRING, label_zh="所在平台", label_en="talent platforms", default=(),
        values=PLATFORM_KINDS, closed=True,
        description_zh="所在人才平台的类型", description_en="kinds of talent platform the talent belongs to",
    ),
    Feature(
        "is_researcher_venture", BOOL, label_zh="科研人员创业", label_en="researcher venture", default=False,
        values=YES_NO, description_zh="是否为事业单位科研人员在职或离岗创业",
        description_en="a public researcher starting a company",
    ),
    Feature(
        "arrival_date", TIMESTAMP, label_zh="来衢日期", label_en="arrival date", default=EPOCH,
        description_zh="来衢（引进）日期", description_en="date of arrival in Quzhou",
    ),
    Feature(
        "years_since_arrival", INT, label_zh="来衢年限", label_en="years since arrival", default=0,
        value_range=(0, 150), description_zh="来衢满整年数", description_en="full years since arrival",
    ),
    Feature(
        "status", STRING, label_zh="状态", label_en="status", default="active", values=STATUSES, closed=True,
        description_zh="在衢或已离开", description_en="active or departed",
    ),
    # Achievements (成果, registry.Achievement): only those achieved on or before the evaluation date count;
    # a talent counts each achievement they hold once, whatever their rank among its holders.
    Feature(
        "patents_granted", INT, label_zh="授权专利数", label_en="patents granted", default=0,
        value_range=(0, ACHIEVEMENT_COUNT_MAX),
        description_zh="截至评估日持有的授权专利件数",
        description_en="granted patents held up to the evaluation date",
    ),
    Feature(
        "patents_applied", INT, label_zh="申请专利数", label_en="patent applications", default=0,
        value_range=(0, ACHIEVEMENT_COUNT_MAX),
        description_zh="截至评估日提出的专利申请件数：申请中的专利加已授权的专利（授权专利必先申请，"
        "同一专利只登记一次，授权后改为授权专利）",
        description_en="patent applications filed up to the evaluation date: pending applications plus "
        "granted patents (a granted patent was applied for; a patent is recorded once, its kind changed "
        "when granted)",
    ),
    Feature(
        "tech_transfers", INT, label_zh="成果转化数", label_en="technology transfers", default=0,
        value_range=(0, ACHIEVEMENT_COUNT_MAX),
        description_zh="截至评估日的科技成果转化项数",
        description_en="technology transfers up to the evaluation date",
    ),
    Feature(
        "new_products", INT, label_zh="新产品数", label_en="new products", default=0,
        value_range=(0, ACHIEVEMENT_COUNT_MAX),
        description_zh="截至评估日的新产品项数", description_en="new products up to the evaluation date",
    ),
    Feature(
        "standards", INT, label_zh="标准数", label_en="standards", default=0,
        value_range=(0, ACHIEVEMENT_COUNT_MAX),
        description_zh="截至评估日参与制定的标准项数",
        description_en="standards drafted up to the evaluation date",
    ),
    Feature(
        "awards", INT, label_zh="获奖数", label_en="awards", default=0,
        value_range=(0, ACHIEVEMENT_COUNT_MAX),
        description_zh="截至评估日获得的奖项数",
        description_en="awards received up to the evaluation date",
    ),
    Feature(
        "projects", INT, label_zh="项目数", label_en="projects", default=0,
        value_range=(0, ACHIEVEMENT_COUNT_MAX),
        description_zh="截至评估日承担的项目数",
        description_en="projects undertaken up to the evaluation date",
    ),
    Feature(
        "transfer_income_3y", INT, label_zh="近三年成果转化收入（元）",
        label_en="transfer income, 3 years (yuan)",
        default=0, value_range=(0, ACHIEVEMENT_YUAN_MAX),
        description_zh="评估日前三年内（前三年同日之后至评估日）成果转化收入合计，按元取整",
        description_en="technology-transfer income in the three years up to the evaluation date (after the "
        "same day three years earlier), in whole yuan",
    ),
    Feature(
        "venture_tax_3y", INT, label_zh="近三年创业企业纳税（元）", label_en="venture tax, 3 years (yuan)",
        default=0, value_range=(0, ACHIEVEMENT_YUAN_MAX),
        description_zh="评估日前三年内（前三年同日之后至评估日）人才创办企业纳税合计，按元取整",
        description_en="tax paid by the talent's venture in the three years up to the evaluation date, in "
        "whole yuan",
    ),
    # Projects (带着项目入驻, registry.Project): the talent leads or is on the team of a project that landed
    # in Quzhou on or before the evaluation date.
    Feature(
        "arrived_with_project", BOOL, label_zh="带项目入驻", label_en="arrived with a project", default=False,
        values=YES_NO, description_zh="是否为评估日前已落地引进项目的带头人或团队成员",
        description_en="leads or is on the team of a project landed on or before the evaluation date",
    ),
]  # fmt: skip

FEATURES: Mapping[str, Feature] = MappingProxyType({f.name: f for f in _FEATURE_LIST})
"""Every feature by name, in frame column order."""

TALENT_ID = "talent_id"
TALENT = "talent"

_POLARS_TYPES: Mapping[str, pl.DataType] = {
    INT: pl.Int64(),
    BOOL: pl.Boolean(),
    STRING: pl.Utf8(),
    LIST_STRING: pl.List(pl.Utf8),
    TIMESTAMP: pl.Date(),
    DOUBLE: pl.Float64(),
}


def polars_type(cel_type: str) -> pl.DataType:
    return _POLARS_TYPES[cel_type]


def frame_schema() -> pl.Schema:
    """The polars schema of a feature frame: talent_id then every feature in order."""
    return pl.Schema({TALENT_ID: pl.Int64(), **{f.name: polars_type(f.cel_type) for f in _FEATURE_LIST}})


def empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=frame_schema())


def default_row(talent_id: int = 0, **values: Any) -> dict[str, Any]:
    """A complete feature row: every feature at its default, overridden by `values`."""
    unknown = set(values) - set(FEATURES)
    if unknown:
        raise KeyError(f"unknown features: {sorted(unknown)}")
    row: dict[str, Any] = {TALENT_ID: talent_id}
    for feature in _FEATURE_LIST:
        value = values.get(feature.name, feature.default)
        row[feature.name] = list(value) if feature.cel_type == LIST_STRING else value
    return row


def frame_from_rows(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A typed feature frame from complete rows (as `default_row` makes them)."""
    schema = frame_schema()
    return pl.DataFrame([{name: row[name] for name in schema} for row in rows], schema=schema, orient="row")


class FrameError(ValueError):
    """A feature frame that does not match the documented schema."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(f"{message_zh} / {message_en}")
        self.code = "invalid_feature_frame"
        self.message_zh, self.message_en = message_zh, message_en


def check_frame(frame: pl.DataFrame, names: set[str] | None = None) -> None:
    """Raise FrameError unless `frame` has talent_id and the named features (all when None), well typed."""
    schema = frame_schema()
    wanted = [TALENT_ID, *(sorted(names) if names is not None else FEATURES)]
    for name in wanted:
        if name not in frame.schema:
            raise FrameError(f"特征表缺少列 {name}", f"the feature frame has no column {name}")
        if frame.schema[name] != schema[name]:
            raise FrameError(
                f"特征表的列 {name} 类型为 {frame.schema[name]}，应为 {schema[name]}",
                f"column {name} of the feature frame is {frame.schema[name]}, expected {schema[name]}",
            )


def _cel_timestamp(day: dt.date) -> celtypes.TimestampType:
    return celtypes.TimestampType(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))


def cel_value(cel_type: str, value: Any) -> celtypes.Value:
    """One Python feature value as the CEL value the reference evaluator sees."""
    if cel_type == INT:
        return celtypes.IntType(value)
    if cel_type == BOOL:
        return celtypes.BoolType(bool(value))
    if cel_type == STRING:
        return celtypes.StringType(value)
    if cel_type == LIST_STRING:
        return celtypes.ListType([celtypes.StringType(v) for v in value])
    if cel_type == TIMESTAMP:
        return _cel_timestamp(value)
    if cel_type == DOUBLE:
        return celtypes.DoubleType(value)
    raise ValueError(f"no CEL form for type {cel_type}")


def feature_row_to_cel(row: Mapping[str, Any]) -> dict[str, celtypes.Value]:
    """A feature row (frame row as a dict) as a celpy activation: {"talent": map of every feature}."""
    talent = {
        celtypes.StringType(name): cel_value(feature.cel_type, row[name])
        for name, feature in FEATURES.items()
    }
    return {TALENT: celtypes.MapType(talent)}
