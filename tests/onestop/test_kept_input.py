"""The one-stop forms are usable by the people they serve (issue 13, points 6 and 13): what blocks an
application is said before the form; a refused form comes back with everything typed and names the files
to choose again; an enterprise finds its employee by searching; the window keeps its comment when it cannot
accept; every return select is labelled by its material; irreversible actions say what they do."""

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from rencai.onestop import services
from rencai.onestop.models import Application, CorrectionNotice, GoldCard
from tests import factories
from tests.onestop.builders import give_all_materials, in_progress_gold_card, submitted_gold_card

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_of_this_test(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return html.unescape(response.content.decode())


def issued_card(onestop) -> GoldCard:
    application = in_progress_gold_card(onestop)
    for task in application.steps.filter(state="pending"):
        services.decide_step(actor=onestop.officers[task.department.kind], task=task, approve=True)
    return GoldCard.objects.get(application=application)


# -- point 6: said before the form ----


def test_a_card_holder_is_told_before_any_form_and_led_to_the_card(onestop):
    card = issued_card(onestop)

    page = text(client_for(onestop.talent_user).get(reverse("onestop:apply", args=["gold_card"])))

    assert 'data-blocked="card_held"' in page and "已持有有效的人才金卡" in page and card.card_number in page
    assert f'href="{reverse("onestop:card_detail", args=[card.pk])}"' in page
    assert 'id="apply-form"' not in page and 'type="file"' not in page
    assert "符合申请条件" not in page


def test_an_employer_is_told_its_employee_holds_a_card_without_a_link_it_could_not_open(onestop):
    card = issued_card(onestop)
    url = reverse("onestop:apply", args=["gold_card"])

    page = text(client_for(onestop.world.users["enterprise"]).get(url, {"talent": onestop.world.talent_a.pk}))

    assert card.card_number in page and 'id="apply-form"' not in page
    assert reverse("onestop:card_detail", args=[card.pk]) not in page


def test_an_open_application_of_the_item_is_said_before_the_form(onestop):
    application = submitted_gold_card(onestop)

    page = text(client_for(onestop.talent_user).get(reverse("onestop:apply", args=["gold_card"])))

    assert 'data-blocked="already_open"' in page and "该事项已有正在办理的申请" in page
    assert f'href="{reverse("onestop:application_detail", args=[application.pk])}"' in page
    assert 'id="apply-form"' not in page


def test_a_card_holder_posting_the_form_anyway_is_refused_with_the_notice_and_nothing_is_stored(onestop):
    issued_card(onestop)
    before = Application.objects.count()

    response = client_for(onestop.talent_user).post(
        reverse("onestop:apply", args=["gold_card"]), {"idempotency_key": "h" * 32, "ref_photo": "照片"}
    )

    assert response.status_code == 409 and "已持有有效的人才金卡" in text(response)
    assert Application.objects.count() == before


def test_a_refused_form_keeps_every_typed_value_and_names_the_files_to_choose_again(onestop):
    onestop.world.talent_a.tier = "C"
    onestop.world.talent_a.save()
    upload = SimpleUploadedFile("人才认定书 2019.pdf", b"%PDF-1.4\n%%EOF\n")

    response = client_for(onestop.talent_user).post(
        reverse("onestop:apply", args=["education_voucher"]),
        {
            "idempotency_key": "v" * 32,
            "ref_id_copy": "电子证照 330881-ID",
            "file_talent_certificate": upload,
            "ref_child_household": "户口簿第 3 页",
            "child_name": "",  # forgotten
        },
    )

    page = text(response)
    assert response.status_code == 422 and not Application.objects.exists()
    assert 'value="电子证照 330881-ID"' in page and 'value="户口簿第 3 页"' in page
    assert 'value="' + "v" * 32 + '"' in page  # the same submission, not a new one
    choose_again = re.search(r"<div[^>]*data-choose-again.*?</div>", page, re.S)
    assert choose_again is not None
    assert "人才类别认定证明：人才认定书 2019.pdf" in choose_again.group(0)
    assert "身份证复印件" not in choose_again.group(0)  # typed, not chosen: it came back by itself


# -- point 6: the employee picker ----


@pytest.fixture
def many_employees(world):
    """enterprise_a with 30 more employees besides talent_a."""
    return [
        factories.make_talent(world.county_a, name=f"员工{n:02d}号", current_employer=world.enterprise_a)
        for n in range(30)
    ]


def employees_listed(page: str) -> set[str]:
    return set(re.findall(r'<li data-employee="\d+"><a [^>]*>([^<]+)</a>', page))


def test_the_picker_lists_the_first_employees_and_says_how_to_find_the_rest(world, many_employees):
    page = text(client_for(world.users["enterprise"]).get(reverse("onestop:catalogue")))

    assert 'data-employee-total="31"' in page and "本单位共 31 名员工" in page
    assert len(employees_listed(page)) == 20 and "只列出前 20 名" in page
    assert 'name="q"' in page and 'role="search"' in page


def test_searching_by_part_of_a_name_finds_only_own_employees_without_javascript(world, many_employees):
    client = client_for(world.users["enterprise"])

    page = text(client.get(reverse("onestop:catalogue"), {"q": "07"}))
    other_county = text(client.get(reverse("onestop:catalogue"), {"q": world.talent_b.name}))

    assert employees_listed(page) == {"员工07号"}
    assert 'data-employee-total="1"' in page and 'value="07"' in page
    assert (
        employees_listed(other_county) == set() and world.talent_b.name not in other_county.split("找到")[1]
    )


def test_searching_by_the_full_id_number_finds_the_employee(world, many_employees):
    number = factories.make_id_number(world.county_a.code)
    employee = factories.make_talent(
        world.county_a, name="证号查找", id_number=number, current_employer=world.enterprise_a
    )

    page = text(client_for(world.users["enterprise"]).get(reverse("onestop:catalogue"), {"q": number}))

    assert employees_listed(page) == {employee.name}


def test_the_search_box_refreshes_only_the_results_as_one_types(world, many_employees):
    response = client_for(world.users["enterprise"]).get(reverse("onestop:employee_search"), {"q": "员工1"})

    fragment = text(response)
    assert response.status_code == 200 and "<html" not in fragment
    assert fragment.lstrip().startswith('<div id="employee-results"')
    assert employees_listed(fragment) == {f"员工1{n}号" for n in range(10)}


def test_the_search_is_for_enterprises_only(world):
    response = client_for(world.users["talent"]).get(reverse("onestop:employee_search"), {"q": "江"})

    assert response.status_code == 403 and world.talent_a2.name not in text(response)


def test_choosing_an_employee_from_the_results_opens_their_services(onestop, many_employees):
    chosen = many_employees[7]

    page = text(
        client_for(onestop.world.users["enterprise"]).get(reverse("onestop:catalogue"), {"talent": chosen.pk})
    )

    assert f"申请人：{chosen.name}" in page and f"?talent={chosen.pk}" in page
    assert 'data-item="gold_card"' in page


# -- point 13: the window and irreversible actions ----------------------------------------------------------


def test_accepting_with_materials_missing_keeps_the_typed_comment(onestop):
    application = services.apply(
        actor=onestop.talent_user,
        item=onestop.items["gold_card"],
        materials=[services.NewMaterial("id_copy", "电子证照 ID")],
    )

    response = client_for(onestop.window).post(
        reverse("onestop:accept", args=[application.pk]), {"comment": "已核对身份证原件"}
    )

    page = text(response)
    assert "材料不齐" in page
    assert re.search(r'<input id="accept-comment" name="comment" value="已核对身份证原件"', page)
    assert '<label for="accept-comment">' in page
    assert 'id="return-form"' in page  # and the officer can return it from the same page
    application.refresh_from_db()
    assert application.state == "submitted"


def test_every_return_select_is_labelled_by_its_material(onestop):
    application = services.apply(actor=onestop.talent_user, item=onestop.items["gold_card"])

    page = text(client_for(onestop.window).get(reverse("onestop:application_detail", args=[application.pk])))

    materials = onestop.items["gold_card"].materials.all()
    for material in materials:
        assert f'<label for="id_problem_{material.code}">{material.name}</label>' in page
        assert re.search(rf'<select name="problem_{material.code}" id="id_problem_{material.code}"', page)
        assert f'aria-label="{material.name}：说明"' in page
    assert len(re.findall(r"<select name=\"problem_", page)) == len(materials)


def test_a_return_with_nothing_ticked_keeps_the_notes_typed(onestop):
    application = services.apply(actor=onestop.talent_user, item=onestop.items["gold_card"])

    response = client_for(onestop.window).post(
        reverse("onestop:return_application", args=[application.pk]),
        {
            "problem_photo": "",
            "problem_id_copy": "",
            "problem_talent_certificate": "",
            "note_photo": "需白底",
            "note": "请携带原件",
        },
    )

    page = text(response)
    assert response.status_code == 422 and "请在清单中勾选全部需补正的材料" in page
    assert 'value="需白底"' in page and "请携带原件</textarea>" in page
    assert not CorrectionNotice.objects.exists()


def test_an_incomplete_correction_comes_back_with_what_the_talent_typed(onestop):
    application = services.apply(actor=onestop.talent_user, item=onestop.items["gold_card"])
    services.return_with_notice(
        actor=onestop.window,
        application=application,
        items=[services.NoticeItem(t.code, "missing") for t in onestop.items["gold_card"].materials.all()],
    )

    response = client_for(onestop.talent_user).post(
        reverse("onestop:resubmit", args=[application.pk]),
        {"ref_id_copy": "电子证照 ID-2", "comment": "照片明天补"},
    )

    page = text(response)
    assert "补正材料尚不完整" in page
    assert 'value="电子证照 ID-2"' in page and "照片明天补</textarea>" in page


def confirm_of(page: str, selector_attr: str) -> str:
    button = re.search(rf"<button[^>]*{selector_attr}[^>]*>", page)
    assert button is not None, selector_attr
    found = re.search(r'data-confirm="([^"]+)"', button.group(0))
    assert found is not None, button.group(0)
    return found.group(1)


def test_irreversible_actions_ask_once_and_say_what_happens(onestop):
    card = issued_card(onestop)
    give_all_materials(onestop, "housing_loan")
    loan = services.apply(actor=onestop.talent_user, item=onestop.items["housing_loan"])
    services.accept(actor=onestop.window, application=loan)
    task = loan.steps.get()

    revoke = text(client_for(onestop.window).get(reverse("onestop:card_detail", args=[card.pk])))
    step = text(
        client_for(onestop.officers[task.department.kind]).get(reverse("onestop:step_detail", args=[task.pk]))
    )

    assert "核验将失败" in confirm_of(revoke, 'name="revoke"') and "不能恢复" in confirm_of(
        revoke, 'name="revoke"'
    )
    reject = re.search(r"<button[^>]*data-confirm-when=\"([^\"]+)\"[^>]*>", step)
    assert reject is not None and reject.group(1) == "input[name=decision][value=reject]:checked"
    assert "终止该申请" in confirm_of(step, "data-confirm-when") and "不能撤销" in confirm_of(
        step, "data-confirm-when"
    )
    assert len(re.findall(r"data-confirm=", revoke)) == 1 and len(re.findall(r"data-confirm=", step)) == 1


def test_withdrawing_asks_once_and_says_the_application_ends(onestop):
    application = submitted_gold_card(onestop)

    page = text(
        client_for(onestop.talent_user).get(reverse("onestop:application_detail", args=[application.pk]))
    )

    question = confirm_of(page, 'class="secondary"')
    assert "终止办理" in question and "不能恢复" in question and "重新申请" in question
    assert len(re.findall(r"data-confirm=", page)) == 1
