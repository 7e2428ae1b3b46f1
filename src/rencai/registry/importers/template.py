"""The empty import file offered for download: the column set as a header, and a sheet of notes and examples.

The data sheet holds the header only, in the export's order, so that nothing in it can be imported by
mistake; the example of each column stands on the notes sheet, which the importer never reads (it reads
the first sheet).
"""

import io

from rencai.core.spreadsheets import text_row
from rencai.registry.importers.columns import Column, choice_labels, import_columns

DATA_SHEET = "导入数据"
NOTES_SHEET = "填写说明"
NOTES_HEADER = ["列名", "是否必填", "可填写的值", "示例", "英文列名"]
TEXT_PARSES = ("text", "upper", "phone", "region", "bool", "nationality", "number", "holders")


def template_workbook(kind: str) -> bytes:
    """An empty import file for `kind`: the header row, and a sheet explaining each column by example."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    columns = import_columns(kind)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has one active worksheet
    sheet.title = DATA_SHEET
    sheet.append(text_row(sheet, [column.zh() for column in columns]))
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="B71C1C" if column.required else "000000")
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(column.zh()) * 2 + 4)
        for row in range(2, 2002):  # text format so Excel keeps 18-digit ID numbers and leading zeros
            if column.parse in TEXT_PARSES or column.parse.startswith("choice"):
                sheet.cell(row=row, column=index).number_format = "@"
            elif column.parse == "date":
                sheet.cell(row=row, column=index).number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    _notes(workbook.create_sheet(NOTES_SHEET), columns)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _notes(notes, columns: tuple[Column, ...]) -> None:
    from openpyxl.styles import Font

    notes.append(NOTES_HEADER)
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in columns:
        required = "必填" if column.required else "可空"
        example = column.example.isoformat() if hasattr(column.example, "isoformat") else column.example
        notes.append(text_row(notes, [column.zh(), required, _allowed_values(column), example, column.en()]))
    notes.append([])
    for line in (
        "在“导入数据”表第一行列名之下逐行填写，每行一人（一家企业）；本表的示例不会被导入。",
        "红色列名为必填列。出错的行会逐行列出原因，可下载错误行修改后重新上传。",
        "从名单页导出的Excel文件可直接修改后重新导入：保留“人才编号”列，遮蔽的证件号码、手机号码和"
        "出生日期表示不修改。",
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["C"].width = 60
    notes.column_dimensions["D"].width = 22
    notes.column_dimensions["E"].width = 24


def _allowed_values(column: Column) -> str:
    if column.parse.startswith("choice:"):
        labels = choice_labels(column.parse[7:], None)
        return "、".join(labels) + ("；" + column.note if column.note else "")
    if column.parse == "date":
        return column.note or "日期，如 2019-03-01"
    if column.parse == "bool":
        return "是 / 否"
    return column.note
