"""PlainSelect renders what Django's Select renders, built in Python."""

import re

import pytest
from django import forms
from django.utils import translation

from rencai.core.widgets import PlainSelect


def _normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


CHOICES = [
    ("", "全部"),
    ("330881", "江山市"),
    (7, 'A & B <"引号">'),  # values are strings on the page; labels are escaped
    ("组", [("x", "甲"), ("y", "乙")]),  # an option group
]


@pytest.mark.parametrize("value", [None, "", "330881", 7, "7", "y", ["x"]])
def test_plain_select_renders_the_markup_of_django_select(value):
    attrs = {"id": "id_region", "class": "filter", "disabled": False, "required": True, "data-x": 'a"b'}
    django_select = forms.Select(attrs=attrs, choices=CHOICES).render("region", value)
    plain = PlainSelect(attrs=attrs, choices=CHOICES).render("region", value)
    assert _normalised(plain) == _normalised(django_select)
    assert "&lt;&quot;引号&quot;&gt;" in plain and " disabled" not in plain and " required" in plain


def test_filter_forms_use_it_and_keep_the_selected_value_and_the_language(world):
    from rencai.registry.forms import TalentFilterForm

    form = TalentFilterForm(
        {"region": "330881", "team": "professional"},
        regions=[world.county_a, world.county_b],
        enterprises=[(world.enterprise_a.pk, world.enterprise_a.name)],
    )
    assert isinstance(form.fields["region"].widget, PlainSelect)
    html = str(form["region"])
    assert '<option value="330881" selected>江山市</option>' in html
    with translation.override("en"):
        assert '<option value="professional" selected>Professional' in str(form["team"])


def test_a_date_picker_shows_a_stored_date_in_chinese_and_in_english():
    """A date input reads only YYYY-MM-DD: Chinese formats dates 2026/12/07 first, which left the talent
    form's arrival date empty on edit (and refused on save)."""
    import datetime as dt

    from django import forms
    from django.utils import translation

    from rencai.core.widgets import DateInput

    class Form(forms.Form):
        day = forms.DateField(widget=DateInput())

    for language in ("zh-hans", "en"):
        with translation.override(language):
            html = str(Form(initial={"day": dt.date(2026, 12, 7)})["day"])
        assert 'type="date"' in html and 'value="2026-12-07"' in html
