"""Uploaded materials in a real browser (issue 13, point 2): the talent uploads a certificate with the one
form, the window officer clicks 查看文件 and sees the picture in a new tab, a file that is not a picture or
a PDF downloads under the name it was given, and a department with a step opens it too."""

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from rencai.core.models import AuditEntry
from rencai.onestop import services
from rencai.onestop.models import Application, Material
from tests.browser.conftest import login, screenshot_path
from tests.onestop.builders import build_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCX_NAME = "学位证书 扫描件.docx"


def png(width: int = 40, height: int = 24) -> bytes:
    """A real PNG (a plain gold rectangle), so the browser has a picture to draw."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xe8\xb7\x3c" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(autouse=True)
def _media_of_this_test(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def test_an_officer_clicks_to_see_the_uploaded_certificate(page, live_server, world, tmp_path):
    build_services(world)
    base = f"{live_server.url}/services"
    certificate = tmp_path / "身份证正反面.png"
    certificate.write_bytes(png())
    degree = tmp_path / DOCX_NAME
    degree.write_bytes(b"PK\x03\x04 not really a document")

    # The talent gives the ID copy as a picture and the talent certificate as a document.
    login(page, live_server, "talent")
    page.goto(f"{base}/apply/gold_card/")
    page.set_input_files("input[name=file_id_copy]", str(certificate))
    page.set_input_files("input[name=file_talent_certificate]", str(degree))
    page.fill("input[name=ref_photo]", "照片 2026-11")
    page.click("#apply-form button[type=submit]")
    expect(page.locator("h1 [data-state]")).to_have_text("已提交")
    application = Application.objects.get(talent=world.talent_a)
    picture = Material.objects.get(talent=world.talent_a, material_type__code="id_copy")
    # the applicant's own page names the files as given, never where they are stored
    expect(page.locator("#materials")).to_contain_text("身份证正反面.png")
    expect(page.locator("#materials")).not_to_contain_text("materials/")

    # The window officer opens the picture from the application, in a new tab.
    page.context.clear_cookies()
    login(page, live_server, "county")
    page.goto(f"{base}/applications/{application.pk}/")
    link = page.locator("#window [data-material=id_copy] a", has_text="查看文件")
    expect(link).to_have_text("查看文件：身份证正反面.png")
    with page.context.expect_page() as opened:
        link.click()
    shown = opened.value
    shown.wait_for_load_state()
    assert shown.evaluate("document.contentType") == "image/png"
    assert shown.evaluate("document.images[0].naturalWidth") == 40
    shown.screenshot(path=screenshot_path("material-file.png"))
    shown.close()

    # The document is not shown in the page: it downloads under the name the talent gave it.
    with page.expect_download() as downloading:
        page.locator("#window [data-material=talent_certificate] a").click()
    assert downloading.value.suggested_filename == DOCX_NAME

    # Accepted, the steps open; the department with a step opens the picture from its step page.
    page.fill("#accept-comment", "已核对原件")
    page.click("button[name=accept]")
    expect(page.locator("h1 [data-state]")).to_have_text("部门办理中")
    page.context.clear_cookies()
    login(page, live_server, "dept")
    page.goto(f"{base}/steps/")
    page.locator("tr[data-task] a.button").first.click()
    with page.context.expect_page() as opened:
        page.locator(f"[data-material-file='{picture.pk}']").click()
    opened.value.wait_for_load_state()
    assert opened.value.evaluate("document.contentType") == "image/png"

    openings = AuditEntry.objects.filter(action="onestop.material.open").order_by("seq")
    assert [(entry.actor_label, entry.detail["name"]) for entry in openings] == [
        ("county", "身份证正反面.png"),
        ("county", DOCX_NAME),
        ("dept", "身份证正反面.png"),
    ]


def test_a_department_without_a_step_is_told_the_file_does_not_exist(page, live_server, world, tmp_path):
    onestop = build_services(world)
    application = services.apply(
        actor=onestop.talent_user,
        item=onestop.items["gold_card"],
        materials=[services.NewMaterial("id_copy", "", SimpleUploadedFile("身份证.png", png()))],
    )
    material = application.materials.get(material_type__code="id_copy").material

    login(page, live_server, "dept")  # hrss: no step until the window accepts
    response = page.goto(f"{live_server.url}/services/materials/{material.pk}/file/")

    assert response is not None and response.status == 404
    expect(page.locator("main")).to_contain_text("对象不存在或无权查看")
    assert not AuditEntry.objects.filter(action="onestop.material.open").exists()
