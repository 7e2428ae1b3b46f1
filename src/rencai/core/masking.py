"""How personal data is shown to someone without the right to see it in full.

Masking is designed against inference, not field by field: what matters is what a viewer can combine.
A resident ID number is region (6 digits) + birth date (8) + sequence (3, odd for men) + check digit (1,
computed from the other 17). A viewer of a talent's record knows the county (often the region digits) and
the gender (the parity of the sequence), so whatever else is shown must leave many numbers possible:

- the ID number keeps only its first two characters (the province), never any of the last four, which
  would give away the sequence and the check digit;
- the birth date is shown as its year only; month and day come, like the full ID number and phone, only
  through the audited reveal (`core.pii.reveal`). An age is never shown next to it: age and year together
  tell whether the birthday has passed, and an age watched over a year tells the day.

Left to guess: 365 birth dates x 500 sequences of the right parity = 182,500 numbers (the check digit
follows from them), for every role that has not used the reveal. `tests/registry/test_inference.py`
rebuilds the number from each role's pages, API answers and exports to prove it.
"""

import datetime as dt

ID_NUMBER_KEPT = 2  # characters of an ID number left visible: the province of a resident ID number


def mask_id_number(number: str) -> str:
    """`3308811990…` → `33****************`. Applied to an earlier, longer mask it gives the same result,
    so stored masks can be re-masked without decrypting the numbers."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:ID_NUMBER_KEPT] + "*" * (len(number) - ID_NUMBER_KEPT)


def mask_phone(phone: str) -> str:
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_birth_date(born: dt.date) -> str:
    """`1990-**-**`: the year, which with the county and gender still leaves 182,500 ID numbers."""
    return f"{born.year:04d}-**-**"
