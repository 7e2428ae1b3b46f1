"""Personal data: seal a value for storage (ciphertext, blind index, mask); reveal it with an audit entry."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rencai.core import audit, crypto
from rencai.core.access import Action, require
from rencai.core.masking import mask_id_number, mask_phone


@dataclass(frozen=True)
class Sealed:
    ciphertext: str
    index: str
    masked: str
    tail_index: str = ""  # ID numbers only: the blind index of the last ID_TAIL_LENGTH characters


# Officers look a talent up by the last digits of the ID number, as on a paper form. Four characters: a
# blind index of fewer would group too many people (one in about 1,100), and a longer tail is checked
# against the decrypted candidates of these four (`registry.selectors`).
ID_TAIL_LENGTH = 4


def seal_id_number(number: str) -> Sealed:
    return Sealed(
        crypto.encrypt(number),
        crypto.blind_index(number, purpose="id_number"),
        mask_id_number(number),
        id_number_tail_index(number),
    )


def seal_phone(phone: str) -> Sealed:
    return Sealed(crypto.encrypt(phone), crypto.blind_index(phone, purpose="phone"), mask_phone(phone))


def id_number_index(number: str) -> str:
    return crypto.blind_index(number, purpose="id_number")


def id_number_tail_index(number: str) -> str:
    """The blind index of an ID number's last ID_TAIL_LENGTH characters ("" for a shorter number)."""
    tail = number.strip().upper()[-ID_TAIL_LENGTH:]
    return crypto.blind_index(tail, purpose="id_number_tail") if len(tail) == ID_TAIL_LENGTH else ""


# field name -> how its full value is read from the object. The birth date is stored in clear (the policy
# engine computes ages from it) but shown in full only here: with the county and the gender it would leave
# a few hundred candidates for the ID number (see `core.masking`).
REVEALABLE: dict[str, Callable[[Any], str]] = {
    "id_number": lambda obj: crypto.decrypt(obj.id_number_ciphertext),
    "phone": lambda obj: crypto.decrypt(obj.phone_ciphertext),
    "birth_date": lambda obj: obj.birth_date.isoformat(),
}


def reveal(*, actor, obj, field: str, ip: str = "") -> str:
    """Read one personal-data field in full for someone entitled to it, and log that they saw it."""
    if field not in REVEALABLE:
        raise ValueError(f"{field} is not a personal-data field")
    require(actor, Action.REVEAL_PERSONAL_DATA, obj)
    value = REVEALABLE[field](obj)
    audit.record(actor=actor, action="pii.reveal", obj=obj, ip=ip, detail={"field": field})
    return value
