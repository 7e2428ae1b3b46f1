"""Money as officers read it: `{{ amount|yuan }}` → "1,800,000.00 元", `{{ amount|wan }}` → "180 万元".

`yuan` is exact (two decimals, thousands separators) for a person's own benefit or a payment line;
`wan` rounds to at most two decimals of 万元 (ten thousand yuan) for budgets, totals and dashboards.
Both accept Decimal, int, float or a numeric string and show "—" for None or an empty value; in English
they say "yuan" and "× 10k yuan" so that nobody reads 万元 as plain yuan.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.translation import gettext as _

register = template.Library()

EMPTY = "—"


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def format_yuan(value) -> str:
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    return _("{amount} 元").format(amount=f"{amount.quantize(Decimal('0.01'), ROUND_HALF_UP):,}")


def format_wan(value) -> str:
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    wan = (amount / Decimal(10_000)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    text = f"{wan:,}".rstrip("0").rstrip(".") if "." in f"{wan}" else f"{wan:,}"
    return _("{amount} 万元").format(amount=text)


@register.filter
def yuan(value) -> str:
    return format_yuan(value)


@register.filter
def wan(value) -> str:
    return format_wan(value)
