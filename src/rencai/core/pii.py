"""Personal data: seal a value for storage (ciphertext, blind index, mask); reveal it with an audit entry."""

from dataclasses import dataclass

from rencai.core import audit, crypto
from rencai.core.access import Action, require
from rencai.core.masking import mask_id_number, mask_phone


@dataclass(frozen=True)
class Sealed:
    ciphertext: str
    index: str
    masked: str


def seal_id_number(number: str) -> Sealed:
    return Sealed(
        crypto.encrypt(number), crypto.blind_index(number, purpose="id_number"), mask_id_number(number)
    )


def seal_phone(phone: str) -> Sealed:
    return Sealed(crypto.encrypt(phone), crypto.blind_index(phone, purpose="phone"), mask_phone(phone))


def id_number_index(number: str) -> str:
    return crypto.blind_index(number, purpose="id_number")


# field name on the model -> (ciphertext attribute, audit label)
REVEALABLE = {"id_number": "id_number_ciphertext", "phone": "phone_ciphertext"}


def reveal(*, actor, obj, field: str, ip: str = "") -> str:
    """Decrypt one personal-data field for someone entitled to it, and log that they saw it."""
    if field not in REVEALABLE:
        raise ValueError(f"{field} is not a personal-data field")
    require(actor, Action.REVEAL_PERSONAL_DATA, obj)
    value = crypto.decrypt(getattr(obj, REVEALABLE[field]))
    audit.record(actor=actor, action="pii.reveal", obj=obj, ip=ip, detail={"field": field})
    return value
