"""The talent's material library: documents given once and reused by every application."""

from dataclasses import dataclass

from django.core.files import File
from django.db import transaction

from rencai.accounts.models import User
from rencai.core import audit
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
        material.file.save(getattr(given.file, "name", "material") or "material", given.file, save=False)
    material.save()
    return material


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
