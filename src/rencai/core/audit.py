"""Append to and verify the hash-chained audit log; `snapshot`/`record_change` log a whole object's change."""

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from rencai.core.files import append_private, var_path
from rencai.core.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64
ANCHOR_EVERY = 100  # every hundredth entry's hash is also written outside the database


def _canonical(entry: AuditEntry) -> bytes:
    payload = {
        "seq": entry.seq,
        "at": entry.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "region_code": entry.region_code,
        "ip": entry.ip,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()


def _hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def record(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    region_code: str = "",
    ip: str = "",
    detail: dict | None = None,
) -> AuditEntry:
    """Append one entry. Joins the caller's transaction so a rolled-back write leaves no entry."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        region_code = region_code or region_code_of(obj)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        if not head.chain_id:
            head.chain_id = uuid.uuid4().hex
            AuditChainHead.objects.filter(id=1).update(chain_id=head.chain_id)
        entry = AuditEntry(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_label=getattr(actor, "username", "") or "system",
            action=action,
            object_type=object_type,
            object_id=str(object_id),  # a number would hash differently once read back as text
            region_code=region_code,
            ip=ip,
            detail=json.loads(json.dumps(detail or {}, default=str)),
            prev_hash=head.last_hash,
        )
        entry.hash = _hash(entry)
        entry.save(force_insert=True)
        AuditChainHead.objects.filter(id=1).update(last_seq=entry.seq, last_hash=entry.hash)
        if entry.seq % ANCHOR_EVERY == 0:
            chain_id, seq, digest = head.chain_id, entry.seq, entry.hash
            transaction.on_commit(lambda: _write_anchor(chain_id, seq, digest))
    return entry


# -- anchors: the chain's head written outside the database ------------------------------------------
# Someone who can write the database can delete the chain's tail and rewind the head with it; the
# anchor file (append-only, 0600, best on another volume or an append-only mount) still remembers how
# far the chain reached and with which hash, so `verify_chain` finds the deletion on both databases.


def anchor_path() -> Path:
    return var_path("RENCAI_AUDIT_ANCHOR", "audit-anchor.log")


def _write_anchor(chain_id: str, seq: int, digest: str) -> None:
    append_private(
        anchor_path(), f"{chain_id} {seq} {digest} {timezone.now().isoformat(timespec='seconds')}\n"
    )


def anchor_now() -> None:
    """Write the chain's current head to the anchor file (after a successful verification)."""
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and head.chain_id and head.last_seq:
        _write_anchor(head.chain_id, head.last_seq, head.last_hash)


def _anchors() -> list[tuple[str, int, str]]:
    path = anchor_path()
    if not path.exists():
        return []
    found = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[1].isdigit():
            found.append((parts[0], int(parts[1]), parts[2]))
    return found


# Columns a snapshot never copies: ciphertexts and blind indexes of personal data (the masked copy is
# kept), and hashes of secret keys (API tokens)
SEALED_SUFFIXES = ("_ciphertext", "_index", "key_hash")


def snapshot(obj) -> dict:
    """Every concrete column of `obj` as JSON-ready values (foreign keys as ids), sealed columns left out."""
    values = {}
    for field in obj._meta.concrete_fields:
        if field.attname.endswith(SEALED_SUFFIXES):
            continue
        values[field.attname] = getattr(obj, field.attname)
    return json.loads(json.dumps(values, default=str))


def record_change(
    *, actor, action: str, obj, before: dict, ip: str = "", detail: dict | None = None
) -> AuditEntry:
    """Audit a change of `obj`: the snapshot taken before it, the one after, and which columns changed
    (besides `detail`, what the snapshot cannot show: a reason, related rows)."""
    after = snapshot(obj)
    changed = sorted(key for key in after if before.get(key) != after[key])
    return record(
        actor=actor,
        action=action,
        obj=obj,
        ip=ip,
        detail={**(detail or {}), "before": before, "after": after, "changed": changed},
    )


def record_creation(*, actor, action: str, obj, ip: str = "", detail: dict | None = None) -> AuditEntry:
    """Audit a new object with its whole first snapshot."""
    return record(
        actor=actor, action=action, obj=obj, ip=ip, detail={**(detail or {}), "after": snapshot(obj)}
    )


def region_code_of(obj) -> str:
    """The code of the region `obj` belongs to, along the region path its model's `Tenancy` declares
    (a policy version through its policy, an entitlement through its talent); "" when it has none."""
    tenancy = getattr(type(obj), "tenancy", None)
    path = tenancy.region if tenancy is not None else "region"
    target = obj
    if path and path != "pk":
        for step in path.split("__"):
            target = getattr(target, step, None)
            if target is None:
                return ""
    return getattr(target, "code", "") or ""


@dataclass(frozen=True)
class ChainReport:
    entries: int
    ok: bool
    first_bad_seq: int | None = None
    reason: str = ""


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Recompute every hash in order; the first entry that does not match, or a gap, breaks the chain."""
    expected_prev, expected_seq, count = GENESIS, 1, 0
    queryset = AuditEntry.objects.order_by("seq")
    for entry in queryset.iterator(chunk_size=batch_size):
        if entry.seq != expected_seq:
            return ChainReport(count, False, expected_seq, "missing entry / 记录缺失")
        if entry.prev_hash != expected_prev:
            return ChainReport(count, False, entry.seq, "broken link / 链接断裂")
        if _hash(entry) != entry.hash:
            return ChainReport(count, False, entry.seq, "content changed / 内容被篡改")
        expected_prev, expected_seq, count = entry.hash, entry.seq + 1, count + 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and head.last_seq != count:
        return ChainReport(count, False, count + 1, "entries removed from the end / 末尾记录被删除")
    return _check_anchors(head, count)


def _check_anchors(head: AuditChainHead | None, count: int) -> ChainReport:
    """Every anchored (sequence, hash) of this chain must still be in it; a chain other than the one
    last anchored means the log was replaced."""
    anchors = _anchors()
    if not anchors:
        return ChainReport(count, True)
    if head is None or head.chain_id != anchors[-1][0]:
        return ChainReport(count, False, 1, "chain replaced since its last anchor / 审计链已被整体替换")
    for chain_id, seq, digest in anchors:
        if chain_id != head.chain_id:
            continue
        if seq > count:
            return ChainReport(
                count, False, count + 1, "entries removed from the end / 末尾记录被删除（锚点）"
            )
        if AuditEntry.objects.filter(seq=seq).values_list("hash", flat=True).first() != digest:
            return ChainReport(count, False, seq, "anchored entry rewritten / 锚定记录被改写")
    return ChainReport(count, True)
