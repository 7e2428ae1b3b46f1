"""Notifications: the inbox, the file channel, e-mail and SMS through the background task, the inbox page."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from rencai.core import context_processors, crypto
from rencai.core.errors import NotFound
from rencai.core.models import Notification
from rencai.core.notifications import inbox_for, mark_read, notify, unread_count
from rencai.onestop import services
from tests import factories
from tests.onestop.builders import build_services, in_progress_gold_card

pytestmark = pytest.mark.django_db

ALL_CHANNELS = [
    "rencai.core.notifications.FileChannel",
    "rencai.core.notifications.EmailChannel",
    "rencai.core.notifications.SmsChannel",
]


@pytest.fixture
def logs(settings, tmp_path):
    settings.RENCAI_NOTIFICATION_LOG = tmp_path / "notifications.log"
    settings.RENCAI_SMS_LOG = tmp_path / "sms.log"
    return tmp_path


def test_notify_stores_the_message_in_the_recipients_inbox_and_writes_the_file_log(
    world, logs, django_capture_on_commit_callbacks
):
    talent = world.users["talent"]
    with django_capture_on_commit_callbacks(execute=True):
        message = notify(
            recipient=talent,
            subject="您的金卡申请已受理",
            body="请留意审批进度。",
            link="/services/",
            kind="application",
        )
    assert list(inbox_for(talent)) == [message]
    assert unread_count(talent) == 1
    line = (logs / "notifications.log").read_text(encoding="utf-8")
    assert "to=talent" in line and "您的金卡申请已受理" in line and "kind=application" in line


def test_nothing_is_delivered_when_the_callers_transaction_rolls_back(
    world, logs, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(recipient=world.users["talent"], subject="不会发出", body="")
    assert len(callbacks) == 1  # delivery waits for the commit
    assert not (logs / "notifications.log").exists()


def test_email_and_sms_go_through_the_deliver_notification_task(
    world, logs, settings, django_capture_on_commit_callbacks
):
    settings.RENCAI_NOTIFICATION_CHANNELS = ALL_CHANNELS
    talent = world.users["talent"]
    talent.email = "jiangshan@example.cn"
    talent.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipient=talent, subject="金卡已签发", body="请在“我的金卡”查看。", link="/services/cards/")
    task = DBTaskResult.objects.get()
    assert task.task_path == "rencai.core.notifications.deliver_notification"
    assert mail.outbox == []  # not sent inside the request

    stored = task.task_result  # run it as the worker would, from the stored, serialised arguments
    task.task.call(*stored.args, **stored.kwargs)

    assert [m.subject for m in mail.outbox] == ["金卡已签发"]
    assert mail.outbox[0].to == ["jiangshan@example.cn"]
    assert "/services/cards/" in mail.outbox[0].body
    sms = (logs / "sms.log").read_text(encoding="utf-8")
    assert "【衢州人才】金卡已签发" in sms
    phone = crypto.decrypt(world.talent_a.phone_ciphertext)
    assert phone not in sms and world.talent_a.phone_masked in sms


def test_mark_read_marks_only_the_users_own_messages(world):
    talent, officer = world.users["talent"], world.users["county_org_dept"]
    mine = notify(recipient=talent, subject="一", body="")
    notify(recipient=talent, subject="二", body="")
    theirs = notify(recipient=officer, subject="三", body="")
    assert mark_read(user=talent, notification_id=mine.pk) == 1
    assert unread_count(talent) == 1
    with pytest.raises(NotFound):
        mark_read(user=talent, notification_id=theirs.pk)
    assert mark_read(user=talent) == 1
    assert unread_count(talent) == 0 and unread_count(officer) == 1


def test_inbox_page_lists_own_messages_with_unread_count_and_not_others(client, world):
    notify(recipient=world.users["talent"], subject="材料补正通知", body="请补交学位证书。")
    notify(recipient=world.users["county_org_dept"], subject="别人的消息", body="")
    client.force_login(world.users["talent"])
    page = client.get(reverse("inbox")).content.decode()
    assert "材料补正通知" in page and "请补交学位证书。" in page
    assert "别人的消息" not in page
    assert "1 条未读" in page


def test_opening_a_message_from_the_inbox_marks_it_read_and_follows_its_link(client, world):
    message = notify(recipient=world.users["talent"], subject="待办", body="", link="/services/")
    client.force_login(world.users["talent"])
    response = client.post(reverse("inbox_mark_read", args=[message.pk]), {"next": message.link})
    assert response.status_code == 302 and response["Location"] == "/services/"
    message.refresh_from_db()
    assert message.read_at is not None


def test_inbox_never_redirects_to_another_host(client, world):
    message = notify(recipient=world.users["talent"], subject="待办", body="")
    client.force_login(world.users["talent"])
    response = client.post(reverse("inbox_mark_read", args=[message.pk]), {"next": "//evil.example/"})
    assert response["Location"] == reverse("inbox")


def test_marking_someone_elses_message_is_not_found(client, world):
    message = notify(recipient=world.users["county_org_dept"], subject="别人的", body="")
    client.force_login(world.users["talent"])
    response = client.post(reverse("inbox_mark_read", args=[message.pk]))
    assert response.status_code == 404
    assert Notification.objects.get(pk=message.pk).read_at is None


def test_mark_all_read_from_the_inbox(client, world):
    for subject in ("一", "二"):
        notify(recipient=world.users["talent"], subject=subject, body="")
    client.force_login(world.users["talent"])
    client.post(reverse("inbox_mark_all_read"))
    assert unread_count(world.users["talent"]) == 0
    assert (
        "未读" not in client.get(reverse("inbox")).content.decode().split("<main", 1)[1].split("</h1>", 1)[0]
    )


def test_inbox_requires_sign_in(client):
    response = client.get(reverse("inbox"))
    assert response.status_code == 302 and "login" in response["Location"]


# Opening and handling read a message (issue 13: handled messages stayed 未读) -----------------------------


def _badge(html: str) -> str | None:
    found = re.search(r'<span class="badge" data-unread>(\d+)</span>', html)
    return found.group(1) if found else None


def test_opening_the_linked_page_any_way_marks_the_message_read(client, world):
    talent = world.users["talent"]
    opened = notify(recipient=talent, subject="办理进度", body="", link="/services/mine/")
    other = notify(recipient=talent, subject="别的消息", body="", link="/policies/mine/")
    client.force_login(talent)

    html = client.get("/services/mine/").content.decode()  # straight from the menu, not from the inbox

    opened.refresh_from_db()
    other.refresh_from_db()
    assert opened.read_at is not None and other.read_at is None
    assert _badge(html) == "1" and unread_count(talent) == 1


@pytest.fixture
def step_told_to_two_officers(world):
    """A gold-card step waiting at Jiangshan's HRSS, whose two officers were both told about it."""
    department = world.users["department"].department
    colleague = factories.make_user("dept2", "department", region=world.county_a, department=department)
    application = in_progress_gold_card(build_services(world))
    task = application.steps.get(department=department)
    return task, world.users["department"], colleague


def test_a_step_decided_by_a_colleague_reads_as_handled_and_leaves_the_unread_count(
    client, step_told_to_two_officers
):
    task, officer, colleague = step_told_to_two_officers
    message = Notification.objects.get(recipient=colleague, kind="onestop.step")
    assert message.link == f"/services/steps/{task.pk}/"
    client.force_login(colleague)
    assert _badge(client.get("/").content.decode()) == "1"

    services.decide_step(actor=officer, task=task, approve=True)

    assert _badge(client.get("/").content.decode()) is None  # the badge counts what still waits
    inbox = client.get(reverse("inbox")).content.decode()
    article = re.search(rf'<article [^>]*id="message-{message.pk}"[^>]*>.*?</article>', inbox, re.S).group(0)
    assert 'data-state="handled"' in article and "已办理" in article and "未读" not in article
    assert 'data-testid="unread-count"' not in inbox
    message.refresh_from_db()
    assert message.read_at is not None


def test_a_step_still_waiting_stays_unread(client, step_told_to_two_officers):
    _task, _officer, colleague = step_told_to_two_officers
    client.force_login(colleague)

    inbox = client.get(reverse("inbox")).content.decode()

    assert 'data-state="unread"' in inbox and 'data-state="handled"' not in inbox
    assert "1 条未读" in inbox


def test_the_officer_who_decides_the_step_has_read_its_message_by_opening_it(
    client, step_told_to_two_officers
):
    task, officer, _colleague = step_told_to_two_officers
    client.force_login(officer)

    client.get(f"/services/steps/{task.pk}/")

    assert Notification.objects.get(recipient=officer, kind="onestop.step").read_at is not None


def test_other_pages_look_for_handled_messages_at_most_once_a_minute_the_home_page_always(
    client, step_told_to_two_officers
):
    task, officer, colleague = step_told_to_two_officers
    client.force_login(colleague)
    queue = reverse("onestop:department_queue")
    assert _badge(client.get(queue).content.decode()) == "1"  # looked just now: nothing handled yet

    services.decide_step(actor=officer, task=task, approve=True)

    assert _badge(client.get(queue).content.decode()) == "1"  # the next minute's pages do not look again
    session = client.session
    session[context_processors.SETTLED_AT] -= context_processors.SETTLE_EVERY
    session.save()
    assert _badge(client.get(queue).content.decode()) is None  # a minute on, a page looks again
    assert _badge(client.get("/").content.decode()) is None
