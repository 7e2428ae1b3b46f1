"""The empty import file offered for download: the column set as a header, an example row and notes."""

import io

from django.utils import translation

from rencai.core.spreadsheets import text_row
from rencai.registry.importers.columns import CHOICES, COLUMNS, Column


def template_workbook(kind: str) -> bytes:
    """An empty import file for `kind`: the header row, one example row, and a sheet explaining columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    columns = COLUMNS[kind]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one active worksheet
    sheet.title = "导入数据"
    sheet.append(text_row(sheet, [column.label for column in columns]))
    sheet.append(text_row(sheet, [column.example for column in columns]))
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="B71C1C" if column.required else "000000")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(column.label) * 2 + 4)
        for row in range(2, 2002):  # text format so Excel keeps 18-digit ID numbers and leading zeros
            if column.parse in ("text", "upper", "region", "bool") or column.parse.startswith("choice"):
                sheet.cell(row=row, column=index).number_format = "@"
            elif column.parse == "date":
                sheet.cell(row=row, column=index).number_format = "yyyy-mm-dd"
    notes = workbook.create_sheet("填写说明")
    notes.append(["列名", "是否必填", "可填写的值", "英文列名"])
    for column in columns:
        required = "必填" if column.required else "可空"
        notes.append(text_row(notes, [column.label, required, _allowed_values(column), column.key]))
    notes.append([])
    notes.append(["第一行为列名，第二行为示例，导入前请删除示例行。出错的行会逐行列出原因。"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _allowed_values(column: Column) -> str:
    if column.parse.startswith("choice:"):
        enum, _aliases = CHOICES[column.parse[7:]]
        with translation.override(None):
            labels = [str(label) for value, label in enum.choices if value not in ("", 0)]
        return "、".join(labels) + ("；" + column.note if column.note else "")
    if column.parse == "date":
        return column.note or "日期，如 2019-03-01"
    if column.parse == "bool":
        return "是 / 否"
    return column.note
