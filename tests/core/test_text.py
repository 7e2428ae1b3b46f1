from django.template import Context, Template

from rencai.core.text import quoted


def test_a_quoted_name_nests_instead_of_doubling():
    assert quoted("住房公积金“特优贷”") == "“住房公积金‘特优贷’”"
    assert quoted("人才金卡") == "“人才金卡”"


def test_the_template_filter_quotes_once():
    rendered = Template("{% load labels %}{{ name|quoted }}").render(Context({"name": "住房公积金“特优贷”"}))
    assert rendered == "“住房公积金‘特优贷’”"
