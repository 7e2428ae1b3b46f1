"""Uploaded materials open for exactly the parties of the application that used them (issue 13, point 2):
the applicant, the window officers of its county (and the city) and the departments with a step of it.
Anyone else is told the material does not exist; every opening is audited; pages show the name the
applicant gave the file and never the storage path."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from rencai.core.errors import ValidationFailed
from rencai.core.models import AuditEntry
from rencai.onestop import services
from rencai.onestop.models import Application, Material
from rencai.onestop.selectors import item_in_region
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PDF_NAME = "身份证 复印件（正反面）.pdf"


@pytest.fixture(autouse=True)
def _media_of_this_test(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def file_url(material: Material) -> str:
    return reverse("onestop:material_file", args=[material.pk])


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def page_without_tokens(response) -> str:
    """The page as anyone reads it: without the CSRF token and the address (the language switch)."""
    page = response.content.decode().replace(response.wsgi_request.path, "")
    return re.sub(r'"X-CSRFToken": "[^"]*"|name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def apply_with_file(onestop, *, actor=None, name: str = PDF_NAME, content: bytes = PDF) -> Application:
    """talent_a's gold card in Jiangshan with the ID copy uploaded as a file, the rest as references."""
    return services.apply(
        actor=actor or onestop.talent_user,
        talent=onestop.world.talent_a,
        item=item_in_region("gold_card", onestop.world.county_a),
        materials=[
            services.NewMaterial("id_copy", "", SimpleUploadedFile(name, content)),
            services.NewMaterial("photo", "照片 2026"),
            services.NewMaterial("talent_certificate", "衢人才认〔2019〕D-0142"),
        ],
    )


def id_copy_of(application: Application) -> Material:
    return application.materials.get(material_type__code="id_copy").material


@pytest.fixture
def accepted(onestop) -> Application:
    application = apply_with_file(onestop)
    services.accept(actor=onestop.window, application=application)
    application.refresh_from_db()
    return application


def parties_and_strangers(onestop) -> tuple[dict, dict]:
    world = onestop.world
    longyou_talent = factories.make_user("longyou_talent", "talent")
    world.talent_b.account = longyou_talent
    world.talent_b.save()
    parties = {
        "the applicant talent": world.users["talent"],
        "the county window": world.users["county_org_dept"],
        "the city window": world.users["city_org_dept"],
        "the hrss department (a step)": onestop.officers["hrss"],
        "the org department (a step)": onestop.officers["org"],
    }
    strangers = {
        "another county's window": factories.make_user(
            "longyou_window", "county_org_dept", region=world.county_b
        ),
        "a department without a step": onestop.officers["finance"],
        "another talent": longyou_talent,
        "the employer, which did not apply": world.users["enterprise"],
        "another enterprise": factories.make_user(
            "longyou_enterprise", "enterprise", enterprise=world.enterprise_b
        ),
    }
    return parties, strangers


def test_each_party_opens_the_file_and_each_opening_is_audited(onestop, accepted):
    material = id_copy_of(accepted)
    parties, _ = parties_and_strangers(onestop)

    for who, user in parties.items():
        response = client_for(user).get(file_url(material))

        assert response.status_code == 200, who
        assert body(response) == PDF, who
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("inline;")
        assert "filename*=utf-8''" in response["Content-Disposition"].lower()
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]

    openings = AuditEntry.objects.filter(action="onestop.material.open").order_by("seq")
    assert [entry.actor_id for entry in openings] == [user.pk for user in parties.values()]
    assert {entry.object_id for entry in openings} == {str(material.pk)}
    assert openings.first().detail["name"] == PDF_NAME


def test_anyone_else_is_told_the_material_does_not_exist_and_nothing_is_audited(onestop, accepted):
    material = id_copy_of(accepted)
    _, strangers = parties_and_strangers(onestop)
    never_issued = Material.objects.order_by("-pk").first().pk + 100

    for who, user in strangers.items():
        client = client_for(user)
        refused, missing = (
            client.get(file_url(material)),
            client.get(reverse("onestop:material_file", args=[never_issued])),
        )

        assert refused.status_code == 404, who
        assert "对象不存在或无权查看" in refused.content.decode(), who
        assert PDF_NAME not in refused.content.decode(), who
        assert missing.status_code == 404, who
        assert page_without_tokens(missing) == page_without_tokens(refused), who  # the same answer
    assert not AuditEntry.objects.filter(action="onestop.material.open").exists()


def test_a_role_that_never_sees_materials_is_refused_alike_for_every_number(onestop, accepted):
    client = client_for(onestop.world.users["provider"])

    real = client.get(file_url(id_copy_of(accepted)))
    invented = client.get(reverse("onestop:material_file", args=[999_999]))

    assert real.status_code == invented.status_code == 403
    assert page_without_tokens(real) == page_without_tokens(invented)
    assert not AuditEntry.objects.filter(action="onestop.material.open").exists()


def test_the_enterprise_that_applied_for_its_employee_opens_what_it_uploaded(onestop):
    application = apply_with_file(onestop, actor=onestop.world.users["enterprise"])

    response = client_for(onestop.world.users["enterprise"]).get(file_url(id_copy_of(application)))

    assert response.status_code == 200 and body(response) == PDF


def test_the_window_opens_a_file_given_after_submission_before_accepting(onestop):
    application = apply_with_file(onestop)
    newer = services.add_material(
        actor=onestop.talent_user,
        given=services.NewMaterial(
            "id_copy", "", SimpleUploadedFile("新身份证.png", b"\x89PNG\r\n\x1a\n0000")
        ),
    )
    window = client_for(onestop.window)

    page = window.get(reverse("onestop:application_detail", args=[application.pk])).content.decode()
    response = window.get(file_url(newer))

    assert f'href="{file_url(newer)}"' in page and "新身份证.png" in page
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    # a department has no step yet: it does not see the file
    assert client_for(onestop.officers["hrss"]).get(file_url(newer)).status_code == 404


def test_a_file_that_is_not_a_pdf_or_picture_is_downloaded_never_shown(onestop):
    application = apply_with_file(onestop, name="证书.pdf", content=b"<html><script>alert(1)</script></html>")

    response = client_for(onestop.talent_user).get(file_url(id_copy_of(application)))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_material_given_as_a_reference_has_no_file_to_open(onestop, accepted):
    photo = accepted.materials.get(material_type__code="photo").material

    response = client_for(onestop.talent_user).get(file_url(photo))

    assert response.status_code == 404


def test_a_file_lost_from_storage_is_said_plainly(onestop, accepted):
    material = id_copy_of(accepted)
    material.file.storage.delete(material.file.name)

    response = client_for(onestop.window).get(file_url(material))

    assert response.status_code == 404 and "该材料的文件已不在存储中" in response.content.decode()


def test_pages_show_the_name_the_file_was_given_and_never_the_storage_path(onestop, accepted):
    material = id_copy_of(accepted)
    assert material.file.name.startswith("materials/") and PDF_NAME not in material.file.name
    pages = {
        "window": client_for(onestop.window).get(reverse("onestop:application_detail", args=[accepted.pk])),
        "department": client_for(onestop.officers["hrss"]).get(
            reverse("onestop:step_detail", args=[accepted.steps.get(department__kind="hrss").pk])
        ),
        "applicant": client_for(onestop.talent_user).get(
            reverse("onestop:application_detail", args=[accepted.pk])
        ),
        # applying for another item, the library's copy is reused and can be opened from the form
        "apply form": client_for(onestop.talent_user).get(reverse("onestop:apply", args=["housing_loan"])),
    }
    for who, response in pages.items():
        page = response.content.decode()
        link = re.search(rf'<a href="{file_url(material)}"[^>]*>([^<]*)</a>', page)
        assert link is not None, who
        assert link.group(1) == f"查看文件：{PDF_NAME}", who
        assert material.file.name not in page and "/materials/" not in page.replace(
            "/services/materials/", ""
        ), who


def test_another_department_sees_the_name_without_a_link(onestop, accepted):
    material = id_copy_of(accepted)
    # a department of the county sees the application (its region) but has no step of it
    page = client_for(onestop.officers["finance"]).get(
        reverse("onestop:application_detail", args=[accepted.pk])
    )

    text = page.content.decode()
    assert PDF_NAME in text and file_url(material) not in text


def test_a_material_file_of_the_wrong_kind_or_too_large_is_refused_in_both_languages_and_nothing_is_kept(
    onestop, settings
):
    settings.RENCAI_MATERIAL_MAX_BYTES = 1024 * 1024
    with pytest.raises(ValidationFailed) as wrong_kind:
        apply_with_file(onestop, name="说明.html", content=b"<html></html>")
    assert "不支持的文件类型“说明.html”" in wrong_kind.value.details[0]["message_zh"]
    assert "is not a supported file type" in wrong_kind.value.details[0]["message_en"]
    with pytest.raises(ValidationFailed) as too_large:
        apply_with_file(onestop, content=PDF + b"0" * 1024 * 1024)
    assert "文件过大（1.0 MB），单个文件不能超过 1 MB" in too_large.value.details[0]["message_zh"]
    assert "too large" in too_large.value.details[0]["message_en"]
    assert not Application.objects.exists() and not Material.objects.exists()
