"""A valid talent import file of any size, for the import benchmark (`bench/registry.py`).

    .venv/bin/python bench/import_fixture.py /tmp/talents-100k.xlsx --rows 100000

Every row passes validation: ID numbers with correct check digits (birthplaces outside Quzhou, so they do
not collide with `rencai demo`'s talents), Quzhou regions, labels as officers type them, and employers
taken from the enterprises already in the database (the demo's) when Django is set up.
"""

import argparse
import datetime as dt
import random
from pathlib import Path

from rencai.core.validators import id_check_char

HEADER = [
    "姓名",
    "身份证号",
    "手机号",
    "所在地区",
    "人才队伍",
    "人才类别",
    "职称",
    "学历",
    "工作单位统一社会信用代码",
    "引才方式",
    "到衢日期",
]
BIRTHPLACES = ["110105", "310104", "330106", "320102", "420106", "510107"]  # Beijing, Shanghai, Hangzhou …
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷"
    "黎史龙陶贺顾毛郝龚邵万钱严覃武"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏建文辉力斌宇浩凯欣怡晨雪琳婷倩颖佳思睿博豪涵"
)
TEAMS = [
    ("专业技术人才", 45),
    ("高技能人才", 22),
    ("企业经营管理人才", 12),
    ("农村实用人才", 11),
    ("党政人才", 6),
    ("社会工作人才", 4),
]
TIERS = [("", 40), ("E", 35), ("D", 22), ("C", 3)]
TITLES = [("", 40), ("初级", 25), ("中级", 22), ("副高级", 10), ("正高级", 3)]
DEGREES = [("本科", 45), ("专科", 25), ("硕士", 18), ("博士", 4), ("无", 8)]
EMPLOYMENT = [("全职", 94), ("柔性引才", 4), ("飞地", 2)]


def _pick(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


def id_number(index: int) -> str:
    """A unique valid ID number per index: birthplace by index, then birth day and order code."""
    place = BIRTHPLACES[index % len(BIRTHPLACES)]
    serial = index // len(BIRTHPLACES)
    birth = dt.date(1965, 1, 1) + dt.timedelta(days=serial % 12_000)
    order = 100 + serial // 12_000
    first17 = f"{place}{birth:%Y%m%d}{order:03d}"
    return first17 + id_check_char(first17)


def talent_rows(rows: int, region_codes: list[str], employer_codes: list[str], *, seed: int = 2017):
    rng = random.Random(seed)
    for index in range(rows):
        given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
        team = _pick(rng, TEAMS)
        employer = rng.choice(employer_codes) if employer_codes and rng.random() < 0.6 else ""
        yield [
            rng.choice(SURNAMES) + given,
            id_number(index),
            f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            region_codes[index % len(region_codes)],
            team,
            _pick(rng, TIERS),
            _pick(rng, TITLES) if team in ("专业技术人才", "企业经营管理人才") else "",
            _pick(rng, DEGREES),
            employer,
            _pick(rng, EMPLOYMENT) if employer else "",
            dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(4_000)),
        ]


def demo_employer_codes() -> list[str]:
    """Credit codes of the enterprises in the database (needs Django set up); empty without it."""
    try:
        from rencai.registry.models import Enterprise

        return list(Enterprise.objects.order_by("pk").values_list("credit_code", flat=True))
    except Exception:  # Django not configured: no employers in the file
        return []


def write_talent_xlsx(
    path: Path,
    rows: int,
    region_codes: list[str],
    employer_codes: list[str] | None = None,
    *,
    seed: int = 2017,
) -> Path:
    """Write `rows` valid talents to an .xlsx at `path` (write-only, so memory stays flat).

    The ID numbers depend on the row only; another `seed` gives the same people with other names and values.
    """
    from openpyxl import Workbook

    codes = demo_employer_codes() if employer_codes is None else employer_codes
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("导入数据")
    sheet.append(HEADER)
    for row in talent_rows(rows, region_codes, codes, seed=seed):
        sheet.append(row)
    workbook.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--regions", default="330802,330803,330822,330824,330825,330881")
    args = parser.parse_args()
    write_talent_xlsx(args.path, args.rows, args.regions.split(","), employer_codes=[])
    print(f"{args.rows:,} rows written to {args.path} ({args.path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
