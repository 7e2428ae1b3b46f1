import datetime as dt

from rencai.policies.engine import check_frame
from rencai.policies.features import build_feature_frame, features_hash
from rencai.registry.models import Education, Employment, Honour, PlatformMembership


def test_feature_frame_follows_the_engine_schema_and_the_registry(world):
    talent = world.talent_a
    Honour.objects.create(talent=talent, programme="national_programme", level="national", year=2016)
    Education.objects.create(talent=talent, degree="doctor", institution="MIT", is_overseas=True)
    PlatformMembership.objects.create(talent=talent, platform=world.platform_a, joined_on=dt.date(2018, 1, 1))
    Employment.objects.create(
        talent=talent,
        enterprise=world.enterprise_a,
        employer_name="x",
        employment_type="full_time",
        started_on=dt.date(2020, 1, 15),
    )
    day = dt.date(2021, 3, 10)

    frame = build_feature_frame(day)
    check_frame(frame)
    row = frame.filter(frame["talent_id"] == talent.pk).row(0, named=True)

    born = talent.birth_date
    expected_age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
    assert row["age"] == expected_age
    assert row["programmes"] == ["national_programme"]
    assert row["platform_kinds"] == ["academician_station"]
    assert row["has_overseas_degree"] is True
    assert row["months_employed_locally"] == 13  # 2020-01-15 .. 2021-03-10
    assert row["employer_is_platform"] is True
    assert row["region"] == "330881"
    assert row["employment_type"] == "full_time"
    other = frame.filter(frame["talent_id"] == world.talent_a2.pk).row(0, named=True)
    assert (
        other["programmes"] == [] and other["employment_type"] == "none" and other["employer_industry"] == ""
    )


def test_departed_talents_are_left_out_of_the_matching_frame(world):
    world.talent_a2.status, world.talent_a2.departed_on = "departed", dt.date(2020, 1, 1)
    world.talent_a2.save()
    ids = build_feature_frame(dt.date(2021, 1, 1))["talent_id"].to_list()
    assert world.talent_a2.pk not in ids and world.talent_a.pk in ids
    assert world.talent_a2.pk in build_feature_frame(dt.date(2021, 1, 1), active_only=False)["talent_id"]


def test_feature_hash_changes_when_a_feature_changes(world):
    frame = build_feature_frame(dt.date(2021, 1, 1))
    row = frame.row(0, named=True)
    assert features_hash(row) == features_hash(dict(row))
    assert features_hash(row) != features_hash({**row, "age": row["age"] + 1})
