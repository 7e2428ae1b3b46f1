"""Evaluation schemes: drafting, weights that must sum to 100 (service, form, API), publishing, immutability,
dated versions, the "三唯" warnings, and who may see and publish what."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from rencai.accounts.models import ApiToken
from rencai.core.errors import DomainError, ErrorCode, NotFound, PermissionDenied, ValidationFailed
from rencai.core.models import AuditEntry
from rencai.evaluation.choices import EvaluatorKind, IndicatorBasis, IndicatorSource, Purpose, SchemeStatus
from rencai.evaluation.models import Indicator, Scheme
from rencai.evaluation.services import schemes as services
from rencai.evaluation.services.schemes import IndicatorInput, SchemeInput
from tests.evaluation.builders import make_scheme

pytestmark = pytest.mark.django_db

WEIGHTS = {
    EvaluatorKind.GOVERNMENT: 30,
    EvaluatorKind.MARKET: 30,
    EvaluatorKind.PROFESSIONAL_BODY: 20,
    EvaluatorKind.EMPLOYER: 20,
}


def city(world):
    return world.regions["330800"]


def scheme_input(region, **overrides) -> SchemeInput:
    values = {
        "code": "cto-2027",
        "name": "企业首席技术官评价方案",
        "region": region,
        "purpose": Purpose.CHIEF_TECH_OFFICER,
        "effective_from": dt.date(2027, 1, 1),
        "tier_thresholds": {"C": Decimal(90), "D": Decimal(75)},
    }
    values.update(overrides)
    return SchemeInput(**values)


def results_indicators(*weights: int) -> list[IndicatorInput]:
    rows = [
        IndicatorInput(
            "patents", "知识产权应用", IndicatorSource.COMPUTED, 40, rule="talent.patents_granted * 25"
        ),
        IndicatorInput(
            "transfer", "成果转化", IndicatorSource.COMPUTED, 30, rule="talent.transfer_income_3y / 10000"
        ),
        IndicatorInput("platform", "创新平台贡献", IndicatorSource.SCORED, 30, rubric="按平台贡献评分"),
    ]
    if weights:
        rows = [
            IndicatorInput(**{**row.__dict__, "weight": weight})
            for row, weight in zip(rows, weights, strict=True)
        ]
    return rows


def draft(world, *, indicators=None, weights=None, **overrides) -> Scheme:
    return services.scheme_draft_save(
        actor=world.users["city_org_dept"],
        data=scheme_input(city(world), **overrides),
        indicators=results_indicators() if indicators is None else indicators,
        weights=WEIGHTS if weights is None else weights,
    )


# -- drafting and publishing ------------------------------------------------------------------------------


def test_officer_drafts_and_publishes_a_scheme_whose_weights_sum_to_100(world):
    scheme = draft(world)

    published = services.scheme_publish(actor=world.users["city_org_dept"], scheme=scheme)

    assert published.status == SchemeStatus.PUBLISHED and published.published_at is not None
    assert services.weight_sums(published) == (100, 100)
    assert [i.code for i in published.indicators.all()] == ["patents", "transfer", "platform"]
    assert AuditEntry.objects.filter(action="evaluation.scheme.publish", object_id=str(scheme.pk)).exists()


def test_publishing_refuses_indicator_weights_not_summing_to_100_naming_both_sums(world):
    scheme = draft(world, indicators=results_indicators(40, 30, 40))

    with pytest.raises(DomainError) as refused:
        services.scheme_publish(actor=world.users["city_org_dept"], scheme=scheme)

    assert refused.value.code == ErrorCode.WEIGHTS_NOT_100
    assert (
        "指标权重合计为110" in refused.value.message_zh
        and "评价主体权重合计为100" in refused.value.message_zh
    )
    assert "sum to 110" in refused.value.message_en and "evaluator weights to 100" in refused.value.message_en
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.DRAFT


def test_publishing_refuses_evaluator_weights_not_summing_to_100(world):
    scheme = draft(world, weights={EvaluatorKind.GOVERNMENT: 50, EvaluatorKind.MARKET: 30})

    with pytest.raises(DomainError) as refused:
        services.scheme_publish(actor=world.users["city_org_dept"], scheme=scheme)

    assert refused.value.code == ErrorCode.WEIGHTS_NOT_100
    assert "评价主体权重合计为80" in refused.value.message_zh


def test_publishing_in_the_same_save_stores_nothing_when_refused(world):
    with pytest.raises(DomainError):
        services.scheme_draft_save(
            actor=world.users["city_org_dept"],
            data=scheme_input(city(world)),
            indicators=results_indicators(40, 30, 20),
            weights=WEIGHTS,
            publish=True,
        )

    assert not Scheme.objects.filter(code="cto-2027").exists()


def test_a_computed_indicator_needs_a_valid_number_rule(world):
    bad = [
        IndicatorInput(
            "patents", "知识产权", IndicatorSource.COMPUTED, 50, rule="talent.patents_granted >= 2"
        ),
        IndicatorInput("typo", "转化", IndicatorSource.COMPUTED, 50, rule="talent.no_such_feature * 2"),
    ]

    with pytest.raises(ValidationFailed) as refused:
        draft(world, indicators=bad)

    fields = [detail["field"] for detail in refused.value.details]
    assert fields.count("indicators.1") >= 1 and fields.count("indicators.2") >= 1
    assert all(detail["message_en"] and detail["message_zh"] for detail in refused.value.details)


def test_every_problem_of_a_draft_is_listed_at_once(world):
    rows = [
        IndicatorInput("a", "", IndicatorSource.SCORED, 50, rubric=""),
        IndicatorInput("a", "重复", IndicatorSource.SCORED, 50, rubric="标准"),
    ]
    with pytest.raises(ValidationFailed) as refused:
        draft(world, indicators=rows, name="", pass_score=Decimal(120), weights={"nobody": 10})

    fields = {detail["field"] for detail in refused.value.details}
    assert {"name", "pass_score", "indicators.1", "indicators.2", "weights"} <= fields


def test_tier_score_lines_must_fall_from_higher_to_lower_tiers(world):
    with pytest.raises(ValidationFailed) as refused:
        draft(world, tier_thresholds={"C": Decimal(70), "D": Decimal(80)})

    assert [d["field"] for d in refused.value.details] == ["tier_thresholds"]


def test_a_scheme_code_is_used_once(world):
    draft(world)

    with pytest.raises(ValidationFailed) as refused:
        draft(world)

    assert refused.value.details[0]["field"] == "code"


def test_indicators_can_be_added_changed_and_removed_while_drafting(world):
    officer = world.users["city_org_dept"]
    scheme = draft(world, indicators=[])

    added = services.indicator_add(
        actor=officer,
        scheme=scheme,
        data=IndicatorInput(
            "patents", "专利", IndicatorSource.COMPUTED, 60, rule="talent.patents_granted * 10"
        ),
    )
    services.indicator_add(
        actor=officer,
        scheme=scheme,
        data=IndicatorInput("team", "团队", IndicatorSource.SCORED, 40, rubric="评分"),
    )
    services.indicator_update(
        actor=officer,
        indicator=added,
        data=IndicatorInput(
            "ignored", "专利应用", IndicatorSource.COMPUTED, 50, rule="talent.patents_granted * 20"
        ),
    )
    services.indicator_remove(actor=officer, indicator=Indicator.objects.get(scheme=scheme, code="team"))

    assert list(scheme.indicators.values_list("code", "name", "weight")) == [("patents", "专利应用", 50)]
    services.evaluator_weights_set(actor=officer, scheme=scheme, weights={"government": 100, "market": 0})
    assert services.weight_sums(scheme) == (50, 100)


# -- published schemes never change -------------------------------------------------------------------------


def test_a_published_scheme_refuses_every_change_in_python_first(world, scheme):
    officer = world.users["city_org_dept"]
    indicator = scheme.indicators.first()
    attempts = [
        lambda: services.indicator_add(
            actor=officer,
            scheme=scheme,
            data=IndicatorInput("x", "x", IndicatorSource.SCORED, 10, rubric="r"),
        ),
        lambda: services.indicator_update(
            actor=officer,
            indicator=indicator,
            data=IndicatorInput("x", "x", IndicatorSource.SCORED, 10, rubric="r"),
        ),
        lambda: services.indicator_remove(actor=officer, indicator=indicator),
        lambda: services.evaluator_weights_set(actor=officer, scheme=scheme, weights={"government": 100}),
        lambda: services.scheme_update(
            actor=officer, scheme=scheme, data=scheme_input(city(world), name="改名")
        ),
        lambda: services.scheme_publish(actor=officer, scheme=scheme),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code == ErrorCode.SCHEME_PUBLISHED

    assert services.weight_sums(scheme) == (100, 100)
    assert Scheme.objects.get(pk=scheme.pk).name == scheme.name


# -- versions ----------------------------------------------------------------------------------------------


def test_a_new_version_is_a_draft_copy_and_publishing_it_ends_the_previous_the_day_before(world, scheme):
    officer = world.users["city_org_dept"]

    second = services.scheme_new_version(actor=officer, scheme=scheme, effective_from=dt.date(2027, 3, 1))

    assert (second.code, second.version, second.status) == (scheme.code, 2, SchemeStatus.DRAFT)
    assert list(second.indicators.values_list("code", "weight")) == list(
        scheme.indicators.values_list("code", "weight")
    )
    assert services.weight_sums(second) == (100, 100)
    services.indicator_update(
        actor=officer,
        indicator=second.indicators.get(code="patents"),
        data=IndicatorInput(
            "patents", "知识产权应用", IndicatorSource.COMPUTED, 40, rule="talent.patents_applied * 10"
        ),
    )

    services.scheme_publish(actor=officer, scheme=second)

    scheme.refresh_from_db()
    assert scheme.effective_to == dt.date(2027, 2, 28)
    assert services.in_force(scheme.code, dt.date(2027, 2, 28)).pk == scheme.pk
    assert services.in_force(scheme.code, dt.date(2027, 3, 1)).pk == second.pk
    assert scheme.indicators.get(code="patents").rule == "talent.patents_granted * 25"  # the old one kept


def test_a_new_version_must_start_after_the_version_in_force(world, scheme):
    with pytest.raises(ValidationFailed) as refused:
        services.scheme_new_version(
            actor=world.users["city_org_dept"], scheme=scheme, effective_from=scheme.effective_from
        )

    assert refused.value.details[0]["field"] == "effective_from"


# -- the "三唯" warning -------------------------------------------------------------------------------------


def test_no_warning_for_a_scheme_of_results(world):
    assert services.three_only_warnings(draft(world)) == []


def test_warns_when_degree_seniority_and_papers_carry_half_the_weight(world):
    rows = [
        IndicatorInput("degree", "学历", IndicatorSource.SCORED, 30, basis=IndicatorBasis.DEGREE, rubric="r"),
        IndicatorInput("papers", "论文", IndicatorSource.SCORED, 20, basis=IndicatorBasis.PAPERS, rubric="r"),
        IndicatorInput("results", "实绩", IndicatorSource.SCORED, 50, rubric="r"),
    ]

    warnings = services.three_only_warnings(draft(world, indicators=rows))

    assert [w["field"] for w in warnings] == ["indicators"]
    assert "50" in warnings[0]["message_zh"] and "三唯" not in warnings[0]["message_en"]
    assert "half or more" in warnings[0]["message_en"]


def test_warns_when_a_computed_rule_reads_only_degree_title_or_age(world):
    rows = [
        IndicatorInput(
            "title",
            "职称",
            IndicatorSource.COMPUTED,
            40,
            rule="talent.title_rank * 20 + talent.degree_level * 5",
        ),
        IndicatorInput("patents", "专利", IndicatorSource.COMPUTED, 60, rule="talent.patents_granted * 25"),
    ]

    warnings = services.three_only_warnings(draft(world, indicators=rows))

    assert [w["field"] for w in warnings] == ["indicators.title"]
    assert "职称" in warnings[0]["message_zh"] and "degree or seniority" in warnings[0]["message_en"]


def test_warns_when_a_scheme_is_all_seniority(world):
    rows = [IndicatorInput("age", "年龄", IndicatorSource.COMPUTED, 100, rule="100 - talent.age")]

    fields = [w["field"] for w in services.three_only_warnings(draft(world, indicators=rows))]

    assert fields == ["indicators.age", "indicators"]


def test_three_only_warnings_do_not_stop_publishing(world):
    rows = [IndicatorInput("age", "年龄", IndicatorSource.COMPUTED, 100, rule="100 - talent.age")]
    scheme = draft(world, indicators=rows)

    services.scheme_publish(actor=world.users["city_org_dept"], scheme=scheme)

    entry = AuditEntry.objects.get(action="evaluation.scheme.publish", object_id=str(scheme.pk))
    assert len(entry.detail["three_only_warnings"]) == 2


# -- rights and scope ---------------------------------------------------------------------------------------


def test_a_county_officer_cannot_publish_a_city_scheme(world):
    scheme = draft(world)

    with pytest.raises(PermissionDenied):
        services.scheme_publish(actor=world.users["county_org_dept"], scheme=scheme)

    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.DRAFT


def test_a_county_officer_cannot_draft_for_the_city_but_can_for_the_county(world):
    county = world.users["county_org_dept"]
    with pytest.raises(PermissionDenied):
        services.scheme_create(actor=county, data=scheme_input(city(world)))

    own = services.scheme_create(actor=county, data=scheme_input(world.county_a, code="js-cto"))

    assert own.region == world.county_a and own.status == SchemeStatus.DRAFT


def test_an_enterprise_sees_published_schemes_but_never_drafts(world, scheme):
    the_draft = draft(world)
    enterprise = world.users["enterprise"]

    assert list(services.schemes_for(enterprise)) == [scheme]
    with pytest.raises(NotFound):
        services.get_scheme(enterprise, the_draft.pk)


def test_a_county_officer_sees_the_city_scheme_but_not_another_county_draft(world, scheme):
    other_county = services.scheme_create(
        actor=world.users["superuser"], data=scheme_input(world.county_b, code="ly-cto")
    )
    county = world.users["county_org_dept"]

    assert scheme in services.schemes_for(county)
    assert other_county not in services.schemes_for(county)
    assert other_county in services.schemes_for(world.users["city_org_dept"])


def test_a_reviewer_or_provider_sees_no_scheme(world, scheme):
    assert not services.schemes_for(world.users["reviewer"]).exists()
    assert not services.schemes_for(world.users["provider"]).exists()


# -- pages -------------------------------------------------------------------------------------------------


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_post(**overrides) -> dict:
    data = {
        "region": "",
        "code": "cto-2027",
        "name": "企业首席技术官评价方案",
        "purpose": Purpose.CHIEF_TECH_OFFICER,
        "effective_from": "2027-01-01",
        "pass_score": "60",
        "max_works": "3",
        "notice_days": "5",
        "tier_C": "90",
        "weight_government": "30",
        "weight_market": "30",
        "weight_professional_body": "20",
        "weight_employer": "20",
        "indicators-TOTAL_FORMS": "3",
        "indicators-INITIAL_FORMS": "0",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "20",
    }
    for n, (code, source, weight, rule) in enumerate(
        [("patents", "computed", "60", "talent.patents_granted * 25"), ("team", "scored", "40", "")]
    ):
        data |= {
            f"indicators-{n}-code": code,
            f"indicators-{n}-name": f"指标{code}",
            f"indicators-{n}-source": source,
            f"indicators-{n}-basis": "results",
            f"indicators-{n}-weight": weight,
            f"indicators-{n}-rule": rule,
            f"indicators-{n}-rubric": "" if rule else "按贡献评分",
        }
    data.update(overrides)
    return data


def test_the_form_refuses_to_publish_weights_not_summing_to_100_and_shows_the_sums(world):
    client = logged_in(world.users["city_org_dept"])
    post = form_post(region=str(city(world).pk), publish="1", **{"indicators-1-weight": "30"})

    page = client.post(reverse("evaluation:scheme_new"), post)

    assert page.status_code == 200
    text = page.content.decode()
    assert "指标权重合计为90" in text and "评价主体权重合计为100" in text
    assert 'data-indicator-sum="90"' in text
    assert not Scheme.objects.filter(code="cto-2027").exists()


def test_the_form_speaks_english_when_asked(world):
    client = logged_in(world.users["city_org_dept"])
    post = form_post(region=str(city(world).pk), publish="1", **{"indicators-1-weight": "30"})

    text = client.post(reverse("evaluation:scheme_new"), post, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "indicator weights sum to 90" in text


def test_the_form_saves_a_draft_and_publishes_it_from_the_scheme_page(world):
    client = logged_in(world.users["city_org_dept"])

    saved = client.post(reverse("evaluation:scheme_new"), form_post(region=str(city(world).pk), save="1"))

    scheme = Scheme.objects.get(code="cto-2027")
    assert saved.status_code == 302 and scheme.status == SchemeStatus.DRAFT
    page = client.get(reverse("evaluation:scheme_detail", args=[scheme.pk])).content.decode()
    assert 'data-indicator-sum="100"' in page and 'id="publish"' in page
    client.post(reverse("evaluation:scheme_publish", args=[scheme.pk]))
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.PUBLISHED
    assert client.get(reverse("evaluation:scheme_edit", args=[scheme.pk])).status_code == 302


def test_the_scheme_page_shows_three_only_warnings_and_versions(world):
    scheme = draft(
        world,
        indicators=[IndicatorInput("age", "年龄", IndicatorSource.COMPUTED, 100, rule="100 - talent.age")],
    )
    client = logged_in(world.users["city_org_dept"])

    page = client.get(reverse("evaluation:scheme_detail", args=[scheme.pk])).content.decode()

    assert 'id="three-only"' in page and page.count("<li data-warning>") == 2
    assert 'data-version-row="1"' in page


def test_the_list_shows_an_enterprise_published_schemes_only(world, scheme):
    the_draft = draft(world)
    client = logged_in(world.users["enterprise"])

    page = client.get(reverse("evaluation:scheme_list")).content.decode()

    assert f'data-scheme="{scheme.code}"' in page and f'data-scheme="{the_draft.code}"' not in page
    assert client.get(reverse("evaluation:scheme_detail", args=[the_draft.pk])).status_code == 404


def test_a_county_officer_publishing_a_city_scheme_from_the_page_is_refused(world):
    scheme = draft(world)
    client = logged_in(world.users["county_org_dept"])

    client.post(reverse("evaluation:scheme_publish", args=[scheme.pk]))

    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.DRAFT


def test_a_new_version_from_the_page_opens_its_draft(world, scheme):
    client = logged_in(world.users["city_org_dept"])

    answer = client.post(
        reverse("evaluation:scheme_new_version", args=[scheme.pk]), {"effective_from": "2027-06-01"}
    )

    second = Scheme.objects.get(code=scheme.code, version=2)
    assert answer.status_code == 302 and answer.url == reverse("evaluation:scheme_edit", args=[second.pk])


# -- API ---------------------------------------------------------------------------------------------------


def api_client(user) -> Client:
    _token, key = ApiToken.issue(user)
    return Client(headers={"Authorization": f"Bearer {key}"})


API_BODY = {
    "region": "330800",
    "code": "cto-2027",
    "name": "企业首席技术官评价方案",
    "purpose": "chief_tech_officer",
    "effective_from": "2027-01-01",
    "indicators": [
        {
            "code": "patents",
            "name": "知识产权应用",
            "source": "computed",
            "weight": 60,
            "rule": "talent.patents_granted * 25",
        },
        {"code": "team", "name": "团队建设", "source": "scored", "weight": 30, "rubric": "按贡献评分"},
    ],
    "evaluators": {"government": 50, "market": 50},
}


def test_the_api_drafts_and_refuses_to_publish_weights_not_summing_to_100(world):
    api = api_client(world.users["city_org_dept"])

    created = api.post("/api/evaluation/schemes", API_BODY, content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["indicator_weight_sum"], body["evaluator_weight_sum"]) == (90, 100)

    refused = api.post(f"/api/evaluation/schemes/{body['id']}/publish")

    assert refused.status_code == 400
    assert refused.json()["code"] == "weights_not_100"
    assert "90" in refused.json()["message_en"]


def test_the_api_publishes_once_for_a_retried_request(world):
    api = api_client(world.users["city_org_dept"])
    body = {
        **API_BODY,
        "indicators": [{**API_BODY["indicators"][0], "weight": 70}, API_BODY["indicators"][1]],
    }
    scheme_id = api.post("/api/evaluation/schemes", body, content_type="application/json").json()["id"]
    path = f"/api/evaluation/schemes/{scheme_id}/publish"

    first = api.post(path, headers={"Idempotency-Key": "publish-1"})
    retry = api.post(path, headers={"Idempotency-Key": "publish-1"})
    without_key = api.post(path)

    assert first.status_code == 200 and first.json()["status"] == "published"
    assert retry.status_code == 200 and retry.json() == first.json()
    assert without_key.status_code == 409 and without_key.json()["code"] == "scheme_published"
    assert AuditEntry.objects.filter(action="evaluation.scheme.publish").count() == 1


def test_the_api_detail_carries_the_three_only_warnings_and_hides_drafts_from_enterprises(world):
    body = {
        **API_BODY,
        "indicators": [
            {
                "code": "title",
                "name": "职称",
                "source": "computed",
                "weight": 100,
                "rule": "talent.title_rank * 25",
            }
        ],
    }
    scheme_id = (
        api_client(world.users["city_org_dept"])
        .post("/api/evaluation/schemes", body, content_type="application/json")
        .json()["id"]
    )

    detail = api_client(world.users["city_org_dept"]).get(f"/api/evaluation/schemes/{scheme_id}").json()

    assert {w["field"] for w in detail["three_only_warnings"]} == {"indicators.title", "indicators"}
    assert (
        api_client(world.users["enterprise"]).get(f"/api/evaluation/schemes/{scheme_id}").status_code == 404
    )
    assert api_client(world.users["enterprise"]).get("/api/evaluation/schemes").json() == []


def test_the_api_refuses_a_county_officer_drafting_for_the_city(world):
    answer = api_client(world.users["county_org_dept"]).post(
        "/api/evaluation/schemes", API_BODY, content_type="application/json"
    )

    assert answer.status_code == 404
    assert not Scheme.objects.exists()


def test_make_scheme_builder_is_consistent_with_the_services(world):
    scheme = make_scheme(city(world), code="builder")
    assert services.weight_sums(scheme) == (100, 100) and services.three_only_warnings(scheme) == []
