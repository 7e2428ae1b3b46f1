"""Import batches read back: the batches a user may see, and the labels of a report's row statuses."""

from django.utils.translation import gettext_lazy as _

from rencai.accounts.models import User
from rencai.core.access import Action, restrict
from rencai.core.errors import NotFound
from rencai.registry.models import ImportBatch


def get_import_batch(user: User, batch_id: int) -> ImportBatch:
    """A batch the user may see (their scope) and import rights; NotFound otherwise."""
    queryset = ImportBatch.objects.select_related("region", "uploaded_by")
    batch = restrict(user, queryset, Action.IMPORT_REGISTRY).filter(pk=batch_id)
    found = batch.first()
    if found is None:
        raise NotFound()
    return found


def import_batches_for(user: User):
    queryset = ImportBatch.objects.select_related("uploaded_by").defer("rows", "errors")
    return restrict(user, queryset, Action.IMPORT_REGISTRY)


def earlier_batch_of_same_file(user: User, batch: ImportBatch) -> ImportBatch | None:
    return (
        import_batches_for(user)
        .filter(kind=batch.kind, file_sha256=batch.file_sha256, created_at__lt=batch.created_at)
        .order_by("-created_at")
        .first()
    )


STATUS_LABELS = {
    "created": _("新增"),
    "updated": _("更新"),
    "unchanged": _("无变化"),
    "valid": _("校验通过（未写入）"),
    "rejected": _("错误"),
    "skipped": _("示例行，已跳过"),
}
