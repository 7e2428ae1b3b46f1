"""Money as officers read it: separators, two decimals, 万元 for budgets, English that says what it is."""

from decimal import Decimal

from django.template import Context, Template
from django.utils import translation

from rencai.core.templatetags.money import format_wan, format_yuan


def test_yuan_has_separators_and_two_decimals():
    assert format_yuan(Decimal("1800000")) == "1,800,000.00 元"
    assert format_yuan("1234.5") == "1,234.50 元"
    assert format_yuan(None) == "—"
    assert format_yuan("not a number") == "—"


def test_wan_rounds_to_at_most_two_decimals_without_trailing_zeros():
    assert format_wan(3_000_000) == "300 万元"
    assert format_wan(15_000) == "1.5 万元"
    assert format_wan(12_345) == "1.23 万元"
    assert format_wan(1_234_567_890) == "123,456.79 万元"


def test_filters_in_a_template_and_in_english():
    template = Template("{% load money %}{{ a|yuan }} / {{ a|wan }}")
    assert template.render(Context({"a": Decimal("600000.00")})) == "600,000.00 元 / 60 万元"
    with translation.override("en"):
        assert template.render(Context({"a": 600000})) == "600,000.00 yuan / 60 × 10k yuan"
