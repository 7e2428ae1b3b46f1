"""The Quzhou region tree as data, and lookups on it."""

from rencai.core.models import Region

QUZHOU = "330800"
COUNTY_CODES = ["330802", "330803", "330822", "330824", "330825", "330881"]
REGIONS = [
    ("330000", "浙江省", "Zhejiang", "province", None),
    ("330800", "衢州市", "Quzhou", "city", "330000"),
    ("330802", "柯城区", "Kecheng", "county", "330800"),
    ("330803", "衢江区", "Qujiang", "county", "330800"),
    ("330822", "常山县", "Changshan", "county", "330800"),
    ("330824", "开化县", "Kaihua", "county", "330800"),
    ("330825", "龙游县", "Longyou", "county", "330800"),
    ("330881", "江山市", "Jiangshan", "county", "330800"),
]


def ensure_quzhou_regions() -> dict[str, Region]:
    """Create the tree if missing (idempotent) and return it by code."""
    by_code: dict[str, Region] = {}
    for code, name, name_en, level, parent_code in REGIONS:
        region = Region.objects.filter(code=code).first()
        if region is None:
            region = Region(
                code=code,
                name=name,
                name_en=name_en,
                level=level,
                parent=by_code[parent_code] if parent_code else None,
            )
            region.save()
        by_code[code] = region
    return by_code
