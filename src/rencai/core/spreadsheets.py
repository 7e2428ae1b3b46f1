"""Spreadsheet cells written as what they are: text stays text, never a formula, in every file Rencai writes.

openpyxl stores a str that starts with "=" as a formula (and "#N/A" and the like as an error), so a talent
named `=HYPERLINK("http://…"&A1,"Click")` became a live link in an officer's export. Excel, WPS and
LibreOffice also read text that starts with + - @, or a tab or carriage return, as the start of a formula
when it is typed or comes from a CSV. So every .xlsx writer (registry lists, import reports and templates,
policy simulations) appends its rows through `text_row`: such a text becomes a cell of type "s" (an inline
string) with Excel's quote prefix, which keeps it text even when someone edits the cell. A CSV writer, should
one be added, passes each value through `csv_text`, which prefixes a single quote as OWASP advises.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ERROR_TEXTS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})


def needs_guard(text: str) -> bool:
    """Whether a spreadsheet could take this text for a formula (or openpyxl for an error value)."""
    return text.startswith(FORMULA_STARTS) or text in ERROR_TEXTS


def text_cell(sheet: Worksheet | WriteOnlyWorksheet, text: str) -> Cell:
    """A cell of `sheet` holding `text` as a string, whatever it starts with."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet)
    set_text(cell, text)
    return cell


def set_text(cell: Cell, text: str) -> None:
    """Store `text` in `cell` as a string; a formula-like one also gets Excel's quote prefix."""
    cell.value = text  # openpyxl binds "=…" as a formula: the type is set after
    cell.data_type = "s"
    if needs_guard(text):
        cell.quotePrefix = True


def text_row(sheet: Worksheet | WriteOnlyWorksheet, values: Iterable[object]) -> list[object]:
    """A row for `sheet.append`: every text a formula could hide in becomes a text cell; the rest as given.

    Plain text is left to openpyxl, which stores it as a string anyway: wrapping every value would slow a
    million-row export for nothing.
    """
    return [
        text_cell(sheet, value) if isinstance(value, str) and needs_guard(value) else value
        for value in values
    ]


def csv_text(value: object) -> object:
    """A value for a CSV cell: text a spreadsheet would run as a formula gets a leading single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
