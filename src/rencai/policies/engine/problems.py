"""What can be wrong with a rule: problems with a position and a Chinese and English message."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from rencai.policies.engine.nodes import EMPTY_LIST, element_of, is_list
from rencai.policies.engine.schema import BOOL, DOUBLE, INT, STRING, TIMESTAMP


@dataclass(frozen=True)
class RuleProblem:
    """One problem of a rule. `code` is stable (for API clients); the messages start with the position."""

    code: str
    line: int
    column: int
    message_zh: str
    message_en: str

    def as_dict(self) -> dict:
        return asdict(self)


class RuleError(ValueError):
    """A rule that cannot be compiled; `problems` lists every problem found, in source order."""

    code = "invalid_rule"

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line, p.column))
        super().__init__("; ".join(p.message_en for p in self.problems))

    @property
    def message_zh(self) -> str:
        return "；".join(p.message_zh for p in self.problems)

    @property
    def message_en(self) -> str:
        return "; ".join(p.message_en for p in self.problems)


# Problem codes
SYNTAX = "syntax_error"
EMPTY = "empty_rule"
UNKNOWN_VARIABLE = "unknown_variable"
UNKNOWN_FUNCTION = "unknown_function"
UNKNOWN_VALUE = "unknown_value"
TYPE_MISMATCH = "type_mismatch"
WRONG_RESULT = "wrong_result_type"
UNSUPPORTED = "unsupported"
INVALID_ARGUMENT = "invalid_argument"
OVERFLOW = "overflow"
TOO_COMPLEX = "too_complex"

_TYPE_NAMES = {
    INT: ("整数", "int"),
    DOUBLE: ("小数", "double"),
    BOOL: ("布尔值（真/假）", "bool"),
    STRING: ("字符串", "string"),
    TIMESTAMP: ("日期", "timestamp"),
    EMPTY_LIST: ("空列表", "empty list"),
}


def type_name(type_: str | None, lang: str) -> str:
    """A CEL type as users read it, e.g. 字符串列表 / list<string>."""
    index = 0 if lang == "zh" else 1
    if type_ in _TYPE_NAMES:
        return _TYPE_NAMES[type_][index]
    if is_list(type_):
        element = type_name(element_of(type_), lang)  # type: ignore[arg-type]
        return f"{element}列表" if lang == "zh" else f"list<{element}>"
    return str(type_)


def problem(code: str, line: int, column: int, message_zh: str, message_en: str) -> RuleProblem:
    return RuleProblem(
        code=code,
        line=line,
        column=column,
        message_zh=f"第{line}行第{column}列：{message_zh}",
        message_en=f"line {line}, column {column}: {message_en}",
    )
