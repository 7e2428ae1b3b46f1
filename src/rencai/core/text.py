"""Chinese quotation that nests: a name already quoted inside (住房公积金“特优贷”) is quoted with its inner
marks turned into single ones (“住房公积金‘特优贷’”), never doubled (“住房公积金“特优贷””)."""

_INNER = str.maketrans({"“": "‘", "”": "’"})


def quoted(name: object) -> str:
    """`name` in Chinese double quotes, its own double quotes turned into single ones."""
    return f"“{str(name).translate(_INNER)}”"
