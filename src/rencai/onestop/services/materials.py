"""The talent's material library: documents given once and reused by every application."""

import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.db import transaction

from rencai.accounts.models import User
from rencai.core import audit
from rencai.core.access import Action, require, restrict
from rencai.core.errors import NotFound, ValidationFailed, problem
from rencai.onestop import selectors
from rencai.onestop.models import Application, ApplicationMaterial, Material, MaterialType
from rencai.registry.models import Talent


@dataclass(frozen=True)
class NewMaterial:
    """A document given with an application: a file, or a reference (e.g. an electronic licence number)."""

    type_code: str
    reference: str = ""
    file: File | None = None


def _talent_for(actor, talent: Talent | None) -> Talent:
    """The talent an actor applies for: a talent applies for themselves, an enterprise for its employee."""
    found = selectors.applying_talent(actor, talent.pk if talent is not None else None)
    if found is None:
        raise NotFound()
    return found


def _store_material(*, actor, talent: Talent, given: NewMaterial) -> Material:
    material_type = MaterialType.objects.filter(code=given.type_code).first()
    if material_type is None:
        raise ValidationFailed(
            [
                problem(
                    "materials",
                    f"未知的材料类型：{given.type_code}",
                    f"Unknown material type: {given.type_code}",
                )
            ]
        )
    if not given.reference.strip() and given.file is None:
        raise ValidationFailed(
            [
                problem(
                    "materials",
                    f"{material_type.name}：请上传文件或填写证照编号",
                    f"{material_type.code}: upload a file or give a reference",
                )
            ]
        )
    if given.file is not None:
        _check_upload(material_type, given.file)
    # Two uploads of the same type at once: the second waits here and replaces the first, instead of
    # both inserting a current material (the unique constraint would fail one with an error).
    Talent.objects.select_for_update().filter(pk=talent.pk).first()
    Material.objects.filter(talent=talent, material_type=material_type, is_current=True).update(
        is_current=False
    )
    material = Material(
        talent=talent, material_type=material_type, reference=given.reference.strip(), uploaded_by=actor
    )
    if given.file is not None:
        material.original_name = original_name(given.file)
        material.file.save(_stored_name(material.original_name), given.file, save=False)
    material.save()
    return material


# What a material file may be: documents and scans people actually hold (PDF and OFD e-licences, photos,
# Word/Excel/WPS files), at most RENCAI_MATERIAL_MAX_BYTES. Whether it opens in the browser is decided later
# by its first bytes (`_content_type`), never by this name.
MATERIAL_EXTENSIONS = frozenset(
    {"pdf", "ofd", "jpg", "jpeg", "png", "gif", "webp", "doc", "docx", "xls", "xlsx", "wps", "et"}
)


def _check_upload(material_type: MaterialType, upload: File) -> None:
    limit = settings.RENCAI_MATERIAL_MAX_BYTES
    name = original_name(upload)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    problems = []
    if extension not in MATERIAL_EXTENSIONS:
        kinds = "、".join(sorted(MATERIAL_EXTENSIONS))
        problems.append(
            problem(
                "materials",
                f"{material_type.name}：不支持的文件类型“{name}”，请上传 {kinds} 文件",
                f"{material_type.code}: {name!r} is not a supported file type; upload one of {kinds}",
            )
        )
    size = getattr(upload, "size", None) or 0
    if size > limit:
        problems.append(
            problem(
                "materials",
                f"{material_type.name}：文件过大（{size / 1024 / 1024:.1f} MB），单个文件不能超过 "
                f"{limit // 1024 // 1024} MB",
                f"{material_type.code}: the file is too large ({size / 1024 / 1024:.1f} MB); "
                f"the limit is {limit // 1024 // 1024} MB",
            )
        )
    if problems:
        raise ValidationFailed(problems)


def original_name(upload: File) -> str:
    """The file's own name, without any folder a browser or client may have sent with it."""
    name = re.split(r"[\\/]", str(getattr(upload, "name", "") or ""))[-1].strip()
    return "".join(c for c in name if c.isprintable())[-255:] or "material"


def _stored_name(name: str) -> str:
    """A random name on disk, keeping a plain extension: nothing the applicant typed reaches the path."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    suffix = f".{extension}" if re.fullmatch(r"[a-z0-9]{1,8}", extension) else ""
    return uuid.uuid4().hex + suffix


@transaction.atomic
def add_material(*, actor: User, talent: Talent | None = None, given: NewMaterial) -> Material:
    """Put a document into the talent's library (replacing the current one of its type)."""
    talent = _talent_for(actor, talent)
    material = _store_material(actor=actor, talent=talent, given=given)
    audit.record(
        actor=actor,
        action="onestop.material.add",
        obj=material,
        detail={"talent": talent.pk, "type": given.type_code},
    )
    return material


def _attach_library(application: Application) -> list[str]:
    """Link the library's current materials to the application; return the codes still missing."""
    missing = []
    for need in selectors.materials_needed(application.talent, application.item):
        if need.material is None:
            missing.append(need.material_type.code)
            continue
        ApplicationMaterial.objects.update_or_create(
            application=application, material_type=need.material_type, defaults={"material": need.material}
        )
    return missing


# -- opening a stored file ---------------------------------------------------------------------------------

# What a browser may show in the page: the type is taken from the file's first bytes, never from its name
# alone, so a page saved as "certificate.pdf" is offered as a download and never rendered.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
DOWNLOAD_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class OpenedFile:
    """A material's stored file, opened for one reader: how to send it and under which name."""

    material: Material
    handle: File
    name: str
    content_type: str

    @property
    def inline(self) -> bool:
        return self.content_type != DOWNLOAD_TYPE


def _content_type(handle: File) -> str:
    head = handle.read(16)
    handle.seek(0)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for signature, kind in SIGNATURES if head.startswith(signature)), DOWNLOAD_TYPE)


def open_material_file(*, actor: User, material_id: int, ip: str = "") -> OpenedFile:
    """Open the file of a material for someone who may see it, and log that they opened it.

    The applicant, the window officers and the departments of an application that used it may; anyone else
    is told it does not exist (the same answer as for a number that was never issued)."""
    require(actor, Action.VIEW_MATERIAL_FILE)
    material = (
        restrict(actor, Material.objects.select_related("material_type"), Action.VIEW_MATERIAL_FILE)
        .filter(pk=material_id)
        .first()
    )
    if material is None or not material.file:
        raise NotFound()
    try:
        handle = material.file.open("rb")
    except FileNotFoundError:
        raise NotFound(
            "该材料的文件已不在存储中，请联系系统管理员",
            "The file of this material is no longer in storage; contact the administrator",
        ) from None
    audit.record(
        actor=actor,
        action="onestop.material.open",
        obj=material,
        ip=ip,
        detail={
            "talent": material.talent_id,
            "type": material.material_type.code,
            "name": material.display_name,
        },
    )
    return OpenedFile(material, handle, material.display_name, _content_type(handle))
