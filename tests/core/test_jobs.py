"""Long jobs (core.jobs): one queued or running per kind and scope, progress a poller sees, an end the person
reads (summary, link, file), a dead worker, and who may see a job. Tasks run for real, by the database
worker's own code in this process."""

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from rencai.core import jobs
from rencai.core.access import Action
from rencai.core.locks import exclusive
from rencai.core.models import AuditEntry, Job, JobKind, JobState
from rencai.core.stale_tasks import requeue_stale_tasks
from rencai.policies.models import MatchRun, Policy, PolicyVersion
from rencai.policies.services import start_match_run
from rencai.policies.tasks import match_task
from rencai.registry.models import Talent
from tests import factories
from tests.concurrency import at_once, on_postgresql


def run_worker() -> None:
    """What `rencai db_worker` does, until the queue is empty."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def signed_in(client, user):
    client.force_login(user)
    return client


def job_block(client, job: Job) -> str:
    """The block htmx polls on the page that follows the job."""
    response = client.get(reverse("job_status", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def issue_tier_d_policy(world) -> Policy:
    policy = Policy.objects.create(
        code="tier-d", name="政策 tier-d", region=world.regions["330800"], kind="subsidy"
    )
    PolicyVersion.objects.create(
        policy=policy,
        number=1,
        effective_from=timezone.localdate().replace(year=2017, month=1, day=1),
        eligibility_rule='talent.tier == "D"',
        amount_rule="1000",
        status="issued",
    )
    return policy


@pytest.fixture
def job_dir(settings, tmp_path):
    settings.RENCAI_JOB_DIR = str(tmp_path / "jobs")
    return tmp_path / "jobs"


# -- one job per kind and scope ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_queued_or_running_job_of_a_kind_and_scope_is_refused_by_the_database(world):
    city = world.regions["330800"]
    first = Job.objects.create(kind=JobKind.MATCH, scope="", region=city, right=Action.START_MATCHING)

    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(kind=JobKind.MATCH, scope="", region=city, right=Action.START_MATCHING)

    Job.objects.filter(pk=first.pk).update(state=JobState.RUNNING)
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(kind=JobKind.MATCH, scope="", region=city, right=Action.START_MATCHING)

    Job.objects.filter(pk=first.pk).update(state=JobState.DONE)  # ended: the next one may start
    Job.objects.create(kind=JobKind.MATCH, scope="", region=city, right=Action.START_MATCHING)
    Job.objects.create(kind=JobKind.MATCH, scope="other", region=city, right=Action.START_MATCHING)


@pytest.mark.django_db
def test_clicking_run_matching_twice_gives_the_running_job_and_queues_one_run(client, world):
    city = world.users["city_org_dept"]

    first, created = start_match_run(actor=city)
    again, created_again = start_match_run(actor=city)

    assert created and not created_again and again.pk == first.pk
    assert DBTaskResult.objects.filter(task_path__endswith="match_task").count() == 1
    assert first.task_id == str(DBTaskResult.objects.get().pk)


@pytest.mark.django_db(transaction=True)
def test_two_officers_starting_matching_at_the_same_moment_get_one_job(world):
    officers = [
        world.users["city_org_dept"],
        factories.make_user("city2", "city_org_dept", region=world.regions["330800"]),
    ]

    results = at_once(*(lambda o=o: start_match_run(actor=o) for o in officers), parallel=on_postgresql())

    assert all(isinstance(result, tuple) for result in results), results
    assert sorted(created for _job, created in results) == [False, True]
    assert len({job.pk for job, _created in results}) == 1
    assert Job.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path__endswith="match_task").count() == 1


# -- progress, end, failure ----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_progress_is_written_at_most_twice_a_second_and_the_page_shows_it(client, world):
    city = world.users["city_org_dept"]
    job, _ = start_match_run(actor=city)
    signed_in(client, city)

    with jobs.running(job.pk) as progress, CaptureQueriesContext(connection) as queries:
        progress.stage("逐行校验", done=0, total=1000)
        for _row in range(400):
            progress.advance()
        progress.stage("写入数据库")  # a new stage is written at once
        writes = [q for q in queries.captured_queries if q["sql"].startswith('UPDATE "core_job"')]
        block = job_block(client, job)
        progress.finish(message=("匹配完成：测试", "Matching done: test"), link="/policies/")

    assert len(writes) <= 3  # 401 reports in well under half a second: the first, and the stage change
    assert 'data-job-state="running"' in block and "进行中 40%" in block and "写入数据库" in block
    assert 'hx-trigger="every 1s"' in block  # still polling
    done = job_block(client, job)
    assert "完成：匹配完成：测试" in done and 'href="/policies/"' in done
    assert "hx-trigger" not in done  # polling stops once the job has ended


@pytest.mark.django_db(transaction=True)
def test_progress_inside_a_transaction_is_seen_by_another_session_on_postgresql(world):
    if not on_postgresql():
        pytest.skip("SQLite keeps reports made inside a write transaction until it ends (see core.jobs)")
    job, _ = start_match_run(actor=world.users["city_org_dept"])
    with jobs.running(job.pk) as progress, transaction.atomic():
        progress.stage("写入匹配结果", done=2, total=3)
        other = connection.copy()
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT done, total, stage FROM core_job WHERE id = %s", [job.pk])
                seen = cursor.fetchone()
        finally:
            other.close()
    assert seen == (2, 3, "写入匹配结果")


@pytest.mark.django_db(transaction=True)
def test_matching_started_from_the_list_shows_progress_then_its_summary_and_cannot_start_twice(client, world):
    issue_tier_d_policy(world)
    city = world.users["city_org_dept"]
    signed_in(client, city)

    client.post(reverse("policies:match_start"))
    page = client.get(reverse("policies:policy_list")).content.decode()
    job = Job.objects.get()
    assert "匹配进行中" in page and 'id="run-match" disabled' in page and f'data-job="{job.pk}"' in page
    assert "排队中" in page and reverse("policies:match_start") not in page  # no button to start another

    again = client.post(reverse("policies:match_start"), follow=True).content.decode()
    assert "匹配正在进行中，未重复启动" in again
    assert Job.objects.count() == 1 and DBTaskResult.objects.count() == 1

    run_worker()

    block = job_block(client, job)
    assert "完成：新发要约 1，直接兑现 0，预算排队 0，待复核 0" in block
    assert MatchRun.objects.count() == 1
    assert "运行匹配" in client.get(reverse("policies:policy_list")).content.decode()  # ready for the next


@pytest.mark.django_db(transaction=True)
def test_a_refused_run_ends_the_job_failed_with_the_reason_in_chinese(client, world):
    city = world.users["city_org_dept"]
    job, _ = start_match_run(actor=city)

    with exclusive("match"):  # another run (the nightly one, a command) holds the matching
        run_worker()

    block = job_block(signed_in(client, city), job)
    assert 'data-job-state="failed"' in block and "失败：另一个政策匹配正在运行，请稍后再试" in block
    assert DBTaskResult.objects.get().status == TaskResultStatus.FAILED


@pytest.mark.django_db
def test_a_job_whose_worker_died_is_queued_again_then_fails_when_given_up(client, world):
    city = world.users["city_org_dept"]
    job, _ = start_match_run(actor=city)
    signed_in(client, city)

    def worker_dies_running_it(*worker_ids):
        DBTaskResult.objects.filter(pk=job.task_id).update(
            status=TaskResultStatus.RUNNING, worker_ids=list(worker_ids), started_at=timezone.now()
        )
        Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, done=1, total=3)

    worker_dies_running_it("host:1:1")
    requeue_stale_tasks(dead_worker_ids={"host:1:1"})
    block = job_block(client, job)
    assert 'data-job-state="queued"' in block and "后台进程中断，已重新排队" in block

    worker_dies_running_it("host:1:1", "host:1:2", "host:1:3")
    requeue_stale_tasks(dead_worker_ids={"host:1:3"})
    block = job_block(client, job)
    assert 'data-job-state="failed"' in block and "失败：后台进程多次在运行此任务时中断" in block
    assert "运行匹配" in client.get(reverse("policies:policy_list")).content.decode()  # may start again


@pytest.mark.django_db
def test_a_job_whose_task_failed_before_it_ran_shows_failed(client, world):
    city = world.users["city_org_dept"]
    job, _ = start_match_run(actor=city)
    DBTaskResult.objects.filter(pk=job.task_id).update(status=TaskResultStatus.FAILED)

    block = job_block(signed_in(client, city), job)

    assert 'data-job-state="failed"' in block and "失败：后台任务失败" in block


@pytest.mark.django_db
def test_the_nightly_run_without_a_job_still_runs(world):
    issue_tier_d_policy(world)
    match_task.call()
    assert MatchRun.objects.count() == 1 and not Job.objects.exists()


# -- who sees a job ----------------------------------------------------------------------------------------


def _import_job(world, settings) -> Job:
    settings.RENCAI_IMPORT_INLINE_BYTES = 0
    from rencai.registry.import_views import _job_scope
    from rencai.registry.tasks import import_task

    county = world.users["county_org_dept"]
    job, _ = jobs.start_job(
        owner=county,
        kind=JobKind.IMPORT,
        scope=_job_scope(county),
        region=county.region,
        right=Action.IMPORT_REGISTRY,
        task=import_task,
        task_kwargs={
            "path": "/nonexistent",
            "kind": "talents",
            "filename": "a.csv",
            "accept_partial": False,
            "actor_id": county.pk,
        },
    )
    return job


@pytest.mark.django_db
def test_another_countys_officer_cannot_see_a_job_and_the_city_can(client, world, settings):
    job = _import_job(world, settings)
    other_county = factories.make_user("longyou", "county_org_dept", region=world.county_b)
    url = reverse("job_status", args=[job.pk])

    assert signed_in(client, other_county).get(url).status_code == 404
    assert signed_in(client, world.users["department"]).get(url).status_code == 404  # no import right
    assert signed_in(client, world.users["talent"]).get(url).status_code == 404
    assert signed_in(client, world.users["city_org_dept"]).get(url).status_code == 200
    assert signed_in(client, world.users["county_org_dept"]).get(url).status_code == 200


# -- imports and exports as jobs -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_large_import_runs_as_a_job_then_links_to_its_report(client, world, settings, job_dir):
    settings.RENCAI_IMPORT_INLINE_BYTES = 10  # every file counts as large here
    county = world.users["county_org_dept"]
    signed_in(client, county)
    upload = _talent_file(["导入甲", factories.make_id_number("330881", dt.date(1990, 3, 7))])

    response = client.post(reverse("registry:import"), {"kind": "talents", "file": upload})

    job = Job.objects.get(kind=JobKind.IMPORT)
    assert response.status_code == 302 and response["Location"] == reverse("job_status", args=[job.pk])
    assert Talent.objects.filter(name="导入甲").count() == 0  # not yet: the worker imports it
    page = client.get(reverse("registry:import")).content.decode()
    assert "导入进行中" in page and f'data-job="{job.pk}"' in page
    assert len(list(job_dir.iterdir())) == 1  # the upload, kept for the worker

    run_worker()

    block = job_block(client, job)
    assert "完成：共 1 行：新增 1，更新 0，无变化 0，错误 0" in block and "查看导入报告" in block
    batch_url = reverse("registry:import_report", args=[Job.objects.get().result["batch"]])
    assert batch_url in block
    assert Talent.objects.filter(name="导入甲").count() == 1
    assert list(job_dir.iterdir()) == []  # the upload is gone once imported


def _talent_file(*people: list[str]):
    """A .csv of talents (name, ID number) of 江山市, as the import page receives it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "身份证号", "所在地区", "人才队伍", "人才类别", "学历", "到衢日期"])
    writer.writerows(
        [name, number, "江山市", "专业技术人才", "D", "硕士", "2020-05-01"] for name, number in people
    )
    return SimpleUploadedFile("talents.csv", out.getvalue().encode("utf-8"), content_type="text/csv")


@pytest.mark.django_db(transaction=True)
def test_a_large_export_runs_as_a_job_and_only_its_owner_downloads_the_file(client, world, settings, job_dir):
    settings.RENCAI_EXPORT_INLINE_ROWS = 1  # the county's two talents make a large list here
    county = world.users["county_org_dept"]
    signed_in(client, county)

    response = client.get(reverse("registry:talent_export"))
    job = Job.objects.get(kind=JobKind.EXPORT)
    assert response.status_code == 302 and response["Location"] == reverse("job_status", args=[job.pk])
    assert client.get(reverse("registry:talent_export")).status_code == 302  # the same job, not another
    assert Job.objects.count() == 1

    run_worker()

    block = job_block(client, job)
    assert "完成：已导出 2 行" in block and "下载文件" in block
    download = client.get(reverse("job_download", args=[job.pk]))
    assert download.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet.max_row == 3  # header and the two talents of the county
    assert AuditEntry.objects.filter(action="core.job.download", object_id=str(job.pk)).count() == 1
    assert AuditEntry.objects.filter(action="registry.export").count() == 1

    colleague = factories.make_user("jiangshan2", "county_org_dept", region=world.county_a)
    for other in (colleague, world.users["city_org_dept"]):
        signed_in(client, other)
        assert client.get(reverse("job_status", args=[job.pk])).status_code == 404  # private to its owner
        assert client.get(reverse("job_download", args=[job.pk])).status_code == 404


@pytest.mark.django_db
def test_an_english_user_reads_the_job_in_english(client, world, settings):
    city = world.users["city_org_dept"]
    job, _ = start_match_run(actor=city)
    signed_in(client, city).cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    assert "Queued" in job_block(client, job) and "Waiting for the background worker" in job_block(
        client, job
    )
    with jobs.running(job.pk) as progress:
        progress.finish(message=jobs.in_both_languages("匹配完成：%(summary)s", {"summary": "1"}))

    block = job_block(client, job)
    assert "Done: Matching finished: 1" in block and "完成" not in block


@pytest.mark.django_db(transaction=True)
def test_job_files_are_swept_a_week_on_and_the_page_then_says_to_export_again(
    client, world, settings, job_dir
):
    settings.RENCAI_EXPORT_INLINE_ROWS = 1
    county = world.users["county_org_dept"]
    signed_in(client, county)
    client.get(reverse("registry:talent_export"))
    run_worker()
    job = Job.objects.get(kind=JobKind.EXPORT)
    abandoned = job_dir / "upload-abandoned"
    abandoned.write_bytes(b"an upload whose task was given up")
    export_file = Path(job.file_path)

    assert jobs.sweep_files() == 0  # a fresh export and a fresh upload stay
    assert export_file.is_file() and abandoned.is_file()

    week_on = timezone.now() + jobs.FILES_KEPT + dt.timedelta(hours=1)
    assert jobs.sweep_files(now=week_on) == 2
    assert not export_file.exists() and not abandoned.exists()
    download = client.get(reverse("job_download", args=[job.pk]))
    assert (
        download.status_code == 404
        and "文件已不存在（导出的文件保留 7 天），请重新导出" in download.content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_a_simulation_meeting_a_cold_frame_prepares_it_as_a_job_then_shows_the_result(client, world):
    """No frame built today and no snapshot: the page does not build the whole registry's frame in the
    request; it starts one job (a second click joins it), followed without a reload, and its end links back
    to the simulation, which then answers from the prepared frame."""
    from rencai.policies import features

    policy = issue_tier_d_policy(world)
    draft = PolicyVersion.objects.create(
        policy=policy,
        number=2,
        effective_from=dt.date(2030, 1, 1),
        eligibility_rule='talent.tier in ["D", "E"]',
        amount_rule="1000",
        status="draft",
    )
    features.clear_cache()
    snapshot = features.snapshot_path()
    if snapshot is not None:
        snapshot.unlink(missing_ok=True)
    signed_in(client, world.users["city_org_dept"])
    url = reverse("policies:version_simulate", args=[draft.pk])

    first = client.get(url)
    assert first.status_code == 202
    page = first.content.decode()
    job = Job.objects.get(kind=JobKind.SIMULATE)
    assert f'data-job="{job.pk}"' in page and "正在后台准备" in page
    assert 'data-figure="draft_count"' not in page
    assert client.get(url).status_code == 202 and Job.objects.filter(kind=JobKind.SIMULATE).count() == 1

    run_worker()

    block = job_block(client, job)
    assert "完成：人才特征数据已准备好" in block and f'href="{url}"' in block
    features.clear_cache()  # another server process: it loads the snapshot the worker wrote
    result = client.get(url)
    assert result.status_code == 200 and 'data-figure="draft_count"' in result.content.decode()
    assert Job.objects.filter(kind=JobKind.SIMULATE).count() == 1
