"""How a page reports a service call (core.feedback): done or refused, whatever the service returns."""

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory
from django.utils import translation

from rencai.core.errors import DomainError, ErrorCode, NotFound, ValidationFailed, problem
from rencai.core.feedback import attempt


def _request():
    request = RequestFactory().post("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def _messages(request) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(request)]


def test_a_service_that_returns_nothing_is_still_done():
    request = _request()
    outcome = attempt(request, lambda: None, "已删除。")
    assert outcome and outcome.done and outcome.result is None
    assert _messages(request) == [("success", "已删除。")]


def test_a_refusal_is_not_done_and_shows_the_refusal_and_each_problem_in_the_readers_language():
    def refused():
        raise ValidationFailed([problem("title", "请填写名称", "Give the name")])

    request = _request()
    with translation.override("en"):
        outcome = attempt(request, refused, "已保存。")
        shown = _messages(request)
    assert not outcome and outcome.result is None
    assert ("error", "Give the name") in shown and all(level == "error" for level, _ in shown)


def test_the_result_is_handed_back_and_not_found_stays_a_404():
    request = _request()
    made = object()
    assert attempt(request, lambda: made, "好").result is made

    def missing():
        raise NotFound()

    with pytest.raises(NotFound):
        attempt(_request(), missing, "好")


def test_a_domain_refusal_is_shown_in_chinese_by_default():
    def refused():
        raise DomainError(ErrorCode.ILLEGAL_TRANSITION, "不允许的操作", "Not allowed")

    request = _request()
    with translation.override("zh-hans"):
        outcome = attempt(request, refused, "好")
        shown = _messages(request)
    assert not outcome
    assert shown == [("error", "不允许的操作")]
