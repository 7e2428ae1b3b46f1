"""The `arrived_with_project` column of the feature frame: a talent who leads or is on the team of a project
landed on or before the evaluation date; the cache that notices project changes; both evaluators."""

import datetime as dt

import pytest

from rencai.policies.engine import compile_rule, evaluate_rules, reference_evaluate
from rencai.policies.engine.schema import feature_row_to_cel
from rencai.policies.features import build_feature_frame, cached_feature_frame, clear_cache, last_refresh
from rencai.registry.models import Project, ProjectMember
from rencai.registry.projects import ProjectInput, project_update

DAY = dt.date(2024, 6, 30)


def _row(frame, talent):
    return frame.filter(frame["talent_id"] == talent.pk).row(0, named=True)


def _project(world, *, landed_on=DAY, members=()) -> Project:
    project = Project.objects.create(
        name="氟硅新材料项目",
        region=world.county_a,
        lead=world.talent_a,
        industry="chemicals",
        landed_on=landed_on,
    )
    for talent in members:
        ProjectMember.objects.create(project=project, talent=talent, joined_on=landed_on)
    return project


@pytest.mark.django_db
def test_leads_and_members_of_projects_landed_by_the_day_arrived_with_a_project(world):
    _project(world, members=[world.talent_a2])
    frame = build_feature_frame(DAY)
    assert _row(frame, world.talent_a)["arrived_with_project"] is True  # the lead, not listed as a member
    assert _row(frame, world.talent_a2)["arrived_with_project"] is True
    assert _row(frame, world.talent_b)["arrived_with_project"] is False
    earlier = build_feature_frame(DAY - dt.timedelta(days=1))
    assert _row(earlier, world.talent_a)["arrived_with_project"] is False


@pytest.mark.django_db
def test_the_compiled_path_and_the_reference_evaluator_agree_on_the_new_variable(world):
    _project(world, members=[world.talent_a2])
    frame = build_feature_frame(DAY)
    rule = compile_rule('talent.arrived_with_project && talent.region == "330881"', expect="bool")
    batch = evaluate_rules(frame, {"r": rule})
    for index, row in enumerate(frame.iter_rows(named=True)):
        assert batch["r"][index] == reference_evaluate(rule, activation=feature_row_to_cel(row))
    assert sum(batch["r"]) == 2


@pytest.fixture
def snapshots(settings, tmp_path):
    settings.RENCAI_FRAME_DIR = str(tmp_path / "frames")
    clear_cache()
    yield
    clear_cache()


def _cached():
    return cached_feature_frame(DAY), last_refresh()


@pytest.mark.django_db
def test_the_cached_frame_notices_new_moved_and_deleted_projects(world, snapshots):
    _cached()
    assert _cached()[1] == "cached"

    project = _project(world, members=[world.talent_a2])
    frame, how = _cached()
    assert how.startswith("refreshed") and _row(frame, world.talent_a2)["arrived_with_project"] is True
    assert frame.equals(build_feature_frame(DAY))

    project.landed_on = DAY + dt.timedelta(days=10)
    project.save()  # updated_at moves: its lead and members are read again
    frame, how = _cached()
    assert how.startswith("refreshed") and _row(frame, world.talent_a)["arrived_with_project"] is False
    assert frame.equals(build_feature_frame(DAY))

    Project.objects.filter(pk=project.pk).update(landed_on=DAY)
    ProjectMember.objects.filter(project=project).delete()
    frame, how = _cached()
    assert how == "built" and _row(frame, world.talent_a2)["arrived_with_project"] is False

    Project.objects.filter(pk=project.pk).delete()
    frame, how = _cached()
    assert how == "built" and _row(frame, world.talent_a)["arrived_with_project"] is False


@pytest.mark.django_db
def test_a_replaced_lead_is_read_again_through_the_service(world, snapshots):
    officer = world.users["county_org_dept"]
    project = _project(world, landed_on=dt.date(2024, 1, 1))
    _cached()  # (the lead has no member row: replacing it deletes nothing, so the cache refreshes)
    project_update(
        actor=officer,
        project=project,
        data=ProjectInput(
            name=project.name,
            region_code="330881",
            lead=str(world.talent_a2.pk),
            industry="chemicals",
            landed_on=dt.date(2024, 1, 1),
        ),
    )
    frame, how = _cached()
    assert how.startswith("refreshed")
    assert _row(frame, world.talent_a)["arrived_with_project"] is False
    assert _row(frame, world.talent_a2)["arrived_with_project"] is True
    assert frame.equals(build_feature_frame(DAY))
