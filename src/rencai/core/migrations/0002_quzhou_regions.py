"""Seed the region tree: Zhejiang, Quzhou and its six counties (GB/T 2260). More places are data."""

from django.db import migrations

REGIONS = [  # keep in step with rencai.core.regions.REGIONS
    ("330000", "浙江省", "Zhejiang", "province", None),
    ("330800", "衢州市", "Quzhou", "city", "330000"),
    ("330802", "柯城区", "Kecheng", "county", "330800"),
    ("330803", "衢江区", "Qujiang", "county", "330800"),
    ("330822", "常山县", "Changshan", "county", "330800"),
    ("330824", "开化县", "Kaihua", "county", "330800"),
    ("330825", "龙游县", "Longyou", "county", "330800"),
    ("330881", "江山市", "Jiangshan", "county", "330800"),
]


def seed(apps, schema_editor):
    Region = apps.get_model("core", "Region")
    by_code = {}
    for code, name, name_en, level, parent_code in REGIONS:
        parent = by_code.get(parent_code)
        path = (parent.path if parent else "") + code + "/"
        region, _ = Region.objects.get_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "level": level, "parent": parent, "path": path},
        )
        by_code[code] = region


def unseed(apps, schema_editor):
    Region = apps.get_model("core", "Region")
    Region.objects.filter(code__in=[r[0] for r in reversed(REGIONS)], level="county").delete()
    Region.objects.filter(code="330800").delete()
    Region.objects.filter(code="330000").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
