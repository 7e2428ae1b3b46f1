"""Notifications: an in-app inbox for every party, delivered further through pluggable channels.

`notify(...)` stores the message (the inbox is the record) and hands it to each channel named in
`settings.RENCAI_NOTIFICATION_CHANNELS` (dotted class paths; default: the file channel only). A channel
is a class with `name`, `deferred` and `deliver(notification)`. Local channels (the file log) deliver
at once, after the transaction commits; channels that talk to the outside (SMS, e-mail) are `deferred`
and run in the background task `deliver_notification`, so a slow gateway never holds up a request and
a failed send can be retried by the task worker.
"""

import datetime as dt
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from rencai.core.errors import NotFound
from rencai.core.files import append_private, var_path
from rencai.core.models import Notification

logger = logging.getLogger(__name__)

DEFAULT_CHANNELS = ["rencai.core.notifications.FileChannel"]
_file_lock = threading.Lock()


class Channel:
    """A way to deliver a stored notification outside the inbox."""

    name = "channel"
    deferred = False  # True: deliver from the background task, not in the request

    def deliver(self, notification: Notification) -> None:
        raise NotImplementedError


class FileChannel(Channel):
    """The console backend: appends each message to var/notifications.log (or RENCAI_NOTIFICATION_LOG)."""

    name = "file"

    def deliver(self, notification: Notification) -> None:
        path = var_path("RENCAI_NOTIFICATION_LOG", "notifications.log")
        line = (
            f"{notification.created_at.isoformat()}\tto={notification.recipient.username}"
            f"\tkind={notification.kind}\t{notification.subject}\t{_one_line(notification.body)}"
            f"\t{notification.link}\n"
        )
        with _file_lock:
            append_private(path, line)


class EmailChannel(Channel):
    """E-mail through Django's mail framework; without a configured SMTP server, Django's console backend."""

    name = "email"
    deferred = True

    def deliver(self, notification: Notification) -> None:
        address = notification.recipient.email
        if not address:
            return
        send_mail(
            subject=notification.subject,
            message=_with_link(notification),
            from_email=getattr(settings, "RENCAI_NOTIFICATION_FROM", "noreply@rencai.quzhou.gov.cn"),
            recipient_list=[address],
            connection=get_connection(_email_backend()),
        )


class SmsChannel(Channel):
    """Text messages to the talent's registered phone through a gateway (settings.RENCAI_SMS_GATEWAY).

    The gateway is a callable `send(phone: str, text: str)`; the default writes to var/sms.log with the
    number masked, so no plaintext phone number ever reaches a log.
    """

    name = "sms"
    deferred = True

    def deliver(self, notification: Notification) -> None:
        talent = getattr(notification.recipient, "talent", None)
        if talent is None or not talent.phone_ciphertext:
            return
        from rencai.core import crypto

        gateway = import_string(
            getattr(settings, "RENCAI_SMS_GATEWAY", "rencai.core.notifications.file_sms_gateway")
        )
        gateway(crypto.decrypt(talent.phone_ciphertext), f"【衢州人才】{notification.subject}")


def file_sms_gateway(phone: str, text: str) -> None:
    """The default SMS gateway: records what would be sent, with the number masked."""
    from rencai.core.masking import mask_phone

    path = var_path("RENCAI_SMS_LOG", "sms.log")
    with _file_lock:
        append_private(path, f"{timezone.now().isoformat()}\t{mask_phone(phone)}\t{_one_line(text)}\n")


def channels() -> list[Channel]:
    return [
        import_string(path)() for path in getattr(settings, "RENCAI_NOTIFICATION_CHANNELS", DEFAULT_CHANNELS)
    ]


def notify(*, recipient, subject: str, body: str, link: str = "", kind: str = "") -> Notification:
    """Store a message in `recipient`'s inbox and deliver it through every configured channel after commit."""
    notification = Notification.objects.create(
        recipient=recipient, subject=subject, body=body, link=link, kind=kind
    )

    def deliver() -> None:
        deferred = []
        for channel in channels():
            if channel.deferred:
                deferred.append(channel.name)
            else:
                _deliver_safely(channel, notification)
        if deferred:
            deliver_notification.enqueue(notification.pk, deferred)

    transaction.on_commit(deliver)
    return notification


@task()
def deliver_notification(notification_id: int, channel_names: list[str]) -> None:
    """Background delivery of one notification through the named (external) channels."""
    notification = Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    if notification is None:
        return
    for channel in channels():
        if channel.name in channel_names:
            channel.deliver(notification)


def _deliver_safely(channel: Channel, notification: Notification) -> None:
    # The message is already in the inbox: a broken local channel must not undo the caller's work.
    try:
        channel.deliver(notification)
    except Exception:
        logger.exception("notification %s: channel %s failed", notification.pk, channel.name)


def _email_backend() -> str:
    configured = getattr(settings, "RENCAI_EMAIL_BACKEND", "") or settings.EMAIL_BACKEND
    smtp_unconfigured = (
        configured == "django.core.mail.backends.smtp.EmailBackend" and settings.EMAIL_HOST == "localhost"
    )
    return "django.core.mail.backends.console.EmailBackend" if smtp_unconfigured else configured


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _with_link(notification: Notification) -> str:
    if not notification.link:
        return notification.body
    base = getattr(settings, "RENCAI_SITE_URL", "")
    return f"{notification.body}\n\n{base}{notification.link}"


# Reads and the one write a reader makes (marking read), always scoped to the acting user.


def inbox_for(user):
    """The user's own messages, newest first.

    A message is seen by its recipient only, whatever the role: an officer's region scope or a superuser's
    "all" must not open other people's inboxes, and `visible_to`'s person scope covers talents only. So the
    inbox is scoped by recipient here, the one place that reads it.
    """
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user)


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return inbox_for(user).filter(read_at__isnull=True).count()


def unread_after_visit(user, path: str, *, settle: bool = True) -> int:
    """The unread count the navigation shows on the page at `path`, after the visit has read what it read.

    A message is read when its page is opened, whichever way the user came (the inbox, the queue, an
    e-mail), and, with `settle`, when the task it asks for has been handled, by the user or by a colleague
    who was told the same. Costs one COUNT while nothing is unread; the marking runs only while something
    is (the caller decides how often to settle: it costs a query per kind of message).
    """
    unread = unread_count(user)
    if unread:
        opened = mark_read(user=user, link=path)
        settled = settle_handled(user) if settle else 0
        unread -= opened + settled
    return max(unread, 0)


# Messages that ask for something (decide a step, accept an application) are "handled" once it is done.
# Core knows no app: each app registers, per kind of message it sends, a check that takes messages of that
# kind and returns the ids of those whose task is done (see `onestop/inbox.py`).

HandledCheck = Callable[[list[Notification]], set[int]]
_HANDLED_CHECKS: dict[str, HandledCheck] = {}
SETTLE_AT_MOST = 200  # the newest unread messages a visit looks at; older ones settle on later visits


def register_handled_check(kind: str, check: HandledCheck) -> None:
    """Say when the task of a message of `kind` is done; called from the sending app's `ready()`."""
    _HANDLED_CHECKS[kind] = check


def handled_ids(messages: Iterable[Notification]) -> set[int]:
    """The ids of `messages` whose task has been handled (one query per kind of message that has a check)."""
    by_kind: dict[str, list[Notification]] = defaultdict(list)
    for message in messages:
        if message.kind in _HANDLED_CHECKS:
            by_kind[message.kind].append(message)
    return {pk for kind, group in by_kind.items() for pk in _HANDLED_CHECKS[kind](group)}


def settle_handled(user, *, at: dt.datetime | None = None) -> int:
    """Mark read the user's unread messages whose task has been handled; returns how many."""
    unread = inbox_for(user).filter(read_at__isnull=True, kind__in=list(_HANDLED_CHECKS))
    done = handled_ids(unread.only("id", "kind", "link")[:SETTLE_AT_MOST])
    if not done:
        return 0
    return unread.filter(pk__in=done).update(read_at=at or timezone.now())


def mark_read(
    *, user, notification_id: int | None = None, link: str | None = None, at: dt.datetime | None = None
) -> int:
    """Mark one message, the messages linking to `link` (a page just opened), or without either every
    unread message of `user` as read; returns how many.

    Not audited: the read mark is the recipient's own bookkeeping, not a change to anyone's data.
    """
    unread = inbox_for(user).filter(read_at__isnull=True)
    if notification_id is not None:
        if not inbox_for(user).filter(pk=notification_id).exists():
            raise NotFound("消息不存在", "No such message")
        unread = unread.filter(pk=notification_id)
    if link is not None:
        unread = unread.filter(link=link)
        if not unread.exists():  # the usual case: a read, where an UPDATE would take the write lock
            return 0
    return unread.update(read_at=at or timezone.now())
