import datetime as dt

import pytest

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


# The per-process cache: unchanged, a few talents changed (only their rows read again), or built anew


def _cached(day):
    from rencai.policies.features import cached_feature_frame, last_refresh

    return cached_feature_frame(day), last_refresh()


def test_the_cached_frame_follows_changes_by_reading_only_the_changed_talents(world, snapshots):
    from django.utils import timezone

    from rencai.registry.models import Talent
    from tests import factories

    day = dt.date(2021, 3, 10)
    old = [factories.make_talent(world.county_a, name=f"江山老人{n}") for n in range(5)]
    # the registry as it stood hours ago; its latest change an hour ago. Rows changed within the refresh
    # margin before that latest change are read again; older untouched rows are not.
    Talent.objects.update(updated_at=timezone.now() - dt.timedelta(hours=3))
    Talent.objects.filter(pk=old[0].pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    _cached(dt.date(2021, 3, 9))  # another day: whatever was cached before is not reused
    frame, how = _cached(day)
    assert how == "built"
    assert _cached(day)[1] == "cached"

    talent = Talent.objects.get(pk=world.talent_a.pk)
    talent.tier = "A"
    talent.save()  # a registry edit: updated_at moves
    Honour.objects.create(talent=world.talent_b, programme="national_programme", level="national", year=2019)
    newcomer = factories.make_talent(world.county_b, name="龙游新人", tier="B")
    leaver = Talent.objects.get(pk=world.talent_a2.pk)
    leaver.status, leaver.departed_on = "departed", dt.date(2021, 1, 1)
    leaver.save()

    refreshed, how = _cached(day)
    # talent_a, talent_b (a new honour), the newcomer, the leaver, and old[0] (within the margin); not the
    # four other old talents
    assert how == "refreshed 5"
    assert refreshed.equals(build_feature_frame(day))  # exactly what a full build gives
    assert refreshed.filter(refreshed["talent_id"] == world.talent_a.pk)["tier"].to_list() == ["A"]
    assert world.talent_a2.pk not in refreshed["talent_id"].to_list()
    assert newcomer.pk in refreshed["talent_id"].to_list()
    row = refreshed.filter(refreshed["talent_id"] == world.talent_b.pk).row(0, named=True)
    assert row["programmes"] == ["national_programme"]
    assert frame.height == refreshed.height  # one left, one arrived


def test_deletions_and_platform_changes_rebuild_the_frame(world, snapshots):
    day = dt.date(2021, 3, 10)
    Honour.objects.create(talent=world.talent_a, programme="national_programme", level="national", year=2016)
    _cached(day)
    assert _cached(day)[1] == "cached"

    Honour.objects.filter(talent=world.talent_a).delete()  # which talent lost it, the table no longer says
    frame, how = _cached(day)
    assert how == "built" and frame.equals(build_feature_frame(day))

    # an enterprise deleted: its employees lose their employer, and no talent's row says so
    from rencai.registry.models import Enterprise
    from tests import factories

    doomed = factories.make_enterprise(world.county_b, name="龙游将注销公司")
    factories.make_talent(world.county_b, name="龙游丁", current_employer=doomed)
    _cached(day)
    Enterprise.objects.filter(pk=doomed.pk).delete()
    frame, how = _cached(day)
    assert how == "built" and frame.equals(build_feature_frame(day))

    # a platform changed: every member's platform kinds change, and no member's row says so

    PlatformMembership.objects.create(talent=world.talent_a, platform=world.platform_a, joined_on=day)
    _cached(day)
    world.platform_a.kind = "doctoral_station"
    world.platform_a.save()
    frame, how = _cached(day)
    assert how == "built" and frame.equals(build_feature_frame(day))
    assert frame.filter(frame["talent_id"] == world.talent_a.pk)["platform_kinds"].to_list() == [
        ["doctoral_station"]
    ]


def test_an_enterprise_change_reads_its_employees_again(world, snapshots):
    from django.utils import timezone

    from rencai.registry.models import Enterprise, Talent

    day = dt.date(2021, 3, 10)
    # Rows changed within the margin before the latest change are read again; older ones are not. The
    # latest changes: talent_a2 and an enterprise with no employees, an hour ago; the rest three hours ago.
    from tests import factories

    quiet = factories.make_enterprise(world.county_a, name="江山无员工公司")
    Talent.objects.update(updated_at=timezone.now() - dt.timedelta(hours=3))
    Enterprise.objects.update(updated_at=timezone.now() - dt.timedelta(hours=3))
    Talent.objects.filter(pk=world.talent_a2.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    Enterprise.objects.filter(pk=quiet.pk).update(updated_at=timezone.now() - dt.timedelta(hours=1))
    frame, _ = _cached(day)
    assert frame.filter(frame["talent_id"] == world.talent_b.pk)["employer_is_high_tech"].to_list() == [False]

    world.enterprise_b.is_high_tech = True
    world.enterprise_b.save()  # its employees' employer features change; their own rows do not
    refreshed, how = _cached(day)
    employees = Talent.objects.filter(current_employer=world.enterprise_b, status="active").count()
    assert how == f"refreshed {employees + 1}" and employees >= 1  # and talent_a2, within the margin
    assert refreshed.equals(build_feature_frame(day))
    row = refreshed.filter(refreshed["talent_id"] == world.talent_b.pk)
    assert row["employer_is_high_tech"].to_list() == [True]


# The snapshot on disk: a process that has just started loads the day's frame instead of building it


@pytest.fixture
def snapshots(settings, tmp_path):
    settings.RENCAI_FRAME_DIR = str(tmp_path / "frames")
    return tmp_path / "frames"


def _in_a_new_process(day):
    from rencai.policies.features import clear_cache

    clear_cache()
    return _cached(day)


def test_a_new_process_starts_from_the_snapshot_and_reads_only_what_changed_since(world, snapshots):
    from rencai.policies.features import snapshot_path
    from rencai.registry.models import Talent

    day = dt.date(2021, 3, 10)
    frame, how = _in_a_new_process(day)
    assert how == "built"
    path = snapshot_path()
    assert path.parent == snapshots and path.exists()
    assert path.stat().st_mode & 0o777 == 0o600  # features of people: readable by the service only

    loaded, how = _in_a_new_process(day)
    assert how == "loaded" and loaded.equals(frame)
    assert _cached(day)[1] == "cached"  # and kept in the process from then on

    talent = Talent.objects.get(pk=world.talent_a.pk)
    talent.tier = "A"
    talent.save()
    refreshed, how = _in_a_new_process(day)
    assert how.startswith("loaded, refreshed ")
    assert refreshed.equals(build_feature_frame(day))
    assert refreshed.filter(refreshed["talent_id"] == talent.pk)["tier"].to_list() == ["A"]

    # another day: ages and months differ, the snapshot is not used; it is replaced by that day's
    assert _in_a_new_process(day + dt.timedelta(days=1))[1] == "built"
    assert _in_a_new_process(day + dt.timedelta(days=1))[1] == "loaded"
    assert _in_a_new_process(day)[1] == "built"
    assert [p.name for p in snapshots.iterdir()] == [path.name]  # one file per database, nothing left over


@pytest.mark.parametrize("damage", ["truncated", "not a snapshot", "written by other code"])
def test_an_unusable_snapshot_is_rebuilt_and_replaced(world, snapshots, damage, caplog):
    from rencai.policies.features import snapshot_path

    day = dt.date(2021, 3, 10)
    frame, _ = _in_a_new_process(day)
    path = snapshot_path()
    content = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(content[: len(content) // 2])
    elif damage == "not a snapshot":
        path.write_bytes(b"PK\x03\x04 a spreadsheet, say\n")
    else:
        header, _, data = content.partition(b"\n")
        path.write_bytes(header.replace(b'"code": "', b'"code": "0') + b"\n" + data)

    rebuilt, how = _in_a_new_process(day)
    assert how == "built" and rebuilt.equals(frame)
    if damage != "written by other code":
        assert "unreadable" in caplog.text
    assert _in_a_new_process(day)[1] == "loaded"  # the rebuild wrote a good one


def test_snapshots_can_be_turned_off(world, settings, tmp_path):
    from rencai.policies.features import snapshot_path

    settings.RENCAI_FRAME_DIR = ""
    day = dt.date(2021, 3, 10)
    assert _in_a_new_process(day)[1] == "built"
    assert snapshot_path() is None
    assert _in_a_new_process(day)[1] == "built"
