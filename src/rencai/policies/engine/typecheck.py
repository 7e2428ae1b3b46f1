"""Static checks of a parsed rule: names, functions, types, enumerated values and integer overflow.

Every node gets its CEL type (`node.type`); numeric nodes also get bounds (`node.range`) derived from
the features' documented ranges, so a rule whose arithmetic could leave 64 bits is rejected up front
and a rule that passes never fails at run time. All problems are collected, not just the first; a node
that already failed has type `error`, which silences follow-on problems.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re

from rencai.policies.engine import problems as p
from rencai.policies.engine.nodes import (
    EMPTY_LIST,
    ERROR,
    NUMERIC_TYPES,
    SCALAR_TYPES,
    Binary,
    Call,
    Comprehension,
    Conditional,
    FeatureRef,
    Invalid,
    ListLiteral,
    Literal,
    Name,
    Node,
    Unary,
    element_of,
    is_list,
    list_of,
    walk,
)
from rencai.policies.engine.problems import RuleProblem, type_name
from rencai.policies.engine.schema import BOOL, DOUBLE, FEATURES, INT, STRING, TALENT, TIMESTAMP, Feature

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
DOUBLE_LIMIT = 1e300
SIZE_LIMIT = 10**6  # assumed upper bound of size() of any list or string feature
_DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
_UNSUPPORTED_FUNCTIONS = {
    "timestamp": (
        'timestamp()，日期请用 date("YYYY-MM-DD")',
        'timestamp(); write dates as date("YYYY-MM-DD")',
    ),
    "duration": ("duration()", "duration()"),
    "string": ("string()", "string()"),
    "bytes": ("bytes()", "bytes()"),
    "uint": ("uint()", "uint()"),
    "type": ("type()", "type()"),
    "dyn": ("dyn()", "dyn()"),
    "matches": ("matches()（正则表达式）", "matches() (regular expressions)"),
}
_STRING_METHODS = ("contains", "startsWith", "endsWith")
_CEL_METHODS = (
    "matches", "getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear",
    "getHours", "getMinutes", "getSeconds", "getMilliseconds",
)  # fmt: skip


def check_rule(root: Node, expect: str) -> list[RuleProblem]:
    """Annotate `root` with types and return every problem (empty when the rule is valid)."""
    checker = _Checker()
    result = checker.check(root)
    if result != ERROR:
        if expect == "bool" and result != BOOL:
            checker.report(
                p.WRONG_RESULT,
                root,
                f"资格规则的结果必须是布尔值（真/假），这里是{type_name(result, 'zh')}",
                f"an eligibility rule must be a bool, this one is {type_name(result, 'en')}",
            )
        if expect == "number" and result not in NUMERIC_TYPES:
            checker.report(
                p.WRONG_RESULT,
                root,
                f"金额规则的结果必须是数字，这里是{type_name(result, 'zh')}",
                f"an amount rule must be a number, this one is {type_name(result, 'en')}",
            )
    return checker.problems


def describe(node: Node, lang: str) -> str:
    """How a message names an operand: talent.age（年龄）, "doctor", x — or a generic word."""
    if isinstance(node, FeatureRef) and node.name in FEATURES:
        feature = FEATURES[node.name]
        return (
            f"talent.{node.name}（{feature.label_zh}）"
            if lang == "zh"
            else f"talent.{node.name} ({feature.label_en})"
        )
    if isinstance(node, Literal):
        return cel_literal(node.value)
    if isinstance(node, Name):
        return node.name
    return "表达式" if lang == "zh" else "the expression"


def cel_literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _range_union(*ranges):
    if any(r is None for r in ranges):
        return None
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


def _truncated_division(a: int, b: int) -> int:
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b >= 0) else -quotient


def constant_number(node: Node) -> int | float | None:
    """The value of a numeric literal, optionally negated (`5`, `-5`, `-(2.5)`), else None."""
    if isinstance(node, Literal) and node.kind in NUMERIC_TYPES:
        return node.value
    if isinstance(node, Unary) and node.op == "-":
        inner = constant_number(node.operand)  # type: ignore[arg-type]
        return None if inner is None else -inner
    return None


class _Checker:
    def __init__(self) -> None:
        self.problems: list[RuleProblem] = []
        # macro variable -> (type, the list feature it ranges over or None, numeric range)
        self.scope: dict[str, tuple[str, Feature | None, tuple | None]] = {}

    def report(self, code: str, node: Node, zh: str, en: str, *, at: tuple[int, int] | None = None) -> str:
        line, column = at or (node.line, node.column)
        self.problems.append(p.problem(code, line, column, zh, en))
        return ERROR

    def check(self, node: Node) -> str:
        node.type = getattr(self, f"_check_{type(node).__name__}")(node)
        return node.type

    # -- leaves --------------------------------------------------------------------------------

    def _check_Invalid(self, node: Invalid) -> str:
        return ERROR

    def _check_Literal(self, node: Literal) -> str:
        if node.kind in NUMERIC_TYPES:
            node.range = (node.value, node.value)
        return node.kind

    def _check_ListLiteral(self, node: ListLiteral) -> str:
        types = [self.check(item) for item in node.items]
        if ERROR in types:
            return ERROR
        if not types:
            return EMPTY_LIST
        for item, item_type in zip(node.items, types, strict=True):
            if item_type not in SCALAR_TYPES:
                return self.report(
                    p.UNSUPPORTED,
                    item,
                    f"不支持：列表元素为{type_name(item_type, 'zh')}",
                    f"unsupported: list elements of type {type_name(item_type, 'en')}",
                )
            if item_type != types[0]:
                return self.report(
                    p.TYPE_MISMATCH,
                    item,
                    f"列表元素类型不一致：{type_name(types[0], 'zh')}与{type_name(item_type, 'zh')}",
                    f"list elements differ in type: {type_name(types[0], 'en')} "
                    f"and {type_name(item_type, 'en')}",
                )
        return list_of(types[0])

    def _check_FeatureRef(self, node: FeatureRef) -> str:
        feature = FEATURES.get(node.name)
        if feature is None:
            close = difflib.get_close_matches(node.name, list(FEATURES), n=1)
            hint_zh = f"，是否要写 talent.{close[0]}？" if close else ""
            hint_en = f"; did you mean talent.{close[0]}?" if close else ""
            return self.report(
                p.UNKNOWN_VARIABLE,
                node,
                f"未知变量 talent.{node.name}{hint_zh}",
                f"unknown variable talent.{node.name}{hint_en}",
            )
        node.range = feature.value_range
        return feature.cel_type

    def _check_Name(self, node: Name) -> str:
        if node.name in self.scope:
            type_, _feature, range_ = self.scope[node.name]
            node.range = range_
            return type_
        if node.name == TALENT:
            return self.report(
                p.UNKNOWN_VARIABLE,
                node,
                "talent 不能单独使用，请写 talent.<特征名>，如 talent.age",
                "talent cannot stand alone; write talent.<feature>, e.g. talent.age",
            )
        return self.report(
            p.UNKNOWN_VARIABLE,
            node,
            f"未知变量 {node.name}（特征请写 talent.<特征名>）",
            f"unknown variable {node.name} (write features as talent.<feature>)",
        )

    # -- operators -----------------------------------------------------------------------------

    def _check_Unary(self, node: Unary) -> str:
        operand = node.operand
        type_ = self.check(operand)  # type: ignore[arg-type]
        if type_ == ERROR:
            return ERROR
        if node.op == "!":
            if type_ != BOOL:
                return self.report(
                    p.TYPE_MISMATCH,
                    node,
                    f"“!”只能用于布尔值，这里是{type_name(type_, 'zh')}",
                    f"'!' needs a bool, got {type_name(type_, 'en')}",
                )
            return BOOL
        if type_ not in NUMERIC_TYPES:
            return self.report(
                p.TYPE_MISMATCH,
                node,
                f"负号只能用于数字，这里是{type_name(type_, 'zh')}",
                f"unary '-' needs a number, got {type_name(type_, 'en')}",
            )
        low, high = operand.range  # type: ignore[union-attr, misc]
        return self._numeric_result(node, type_, (-high, -low))

    def _check_Binary(self, node: Binary) -> str:
        left_type, right_type = self.check(node.left), self.check(node.right)  # type: ignore[arg-type]
        if ERROR in (left_type, right_type):
            return ERROR
        if node.op in ("&&", "||"):
            return self._logical(node, left_type, right_type)
        if node.op in ("==", "!="):
            return self._equality(node, left_type, right_type)
        if node.op in ("<", "<=", ">", ">="):
            return self._ordering(node, left_type, right_type)
        if node.op == "in":
            return self._membership(node, left_type, right_type)
        return self._arithmetic(node, left_type, right_type)

    def _at_operator(self, node: Binary) -> tuple[int, int]:
        return node.op_line or node.line, node.op_column or node.column

    def _logical(self, node: Binary, left_type: str, right_type: str) -> str:
        for side_zh, side_en, type_ in (("左边", "left", left_type), ("右边", "right", right_type)):
            if type_ != BOOL:
                return self.report(
                    p.TYPE_MISMATCH,
                    node,
                    f"“{node.op}”两边必须是布尔值（真/假），{side_zh}是{type_name(type_, 'zh')}",
                    f"both sides of '{node.op}' must be bool, the {side_en} side is {type_name(type_, 'en')}",
                    at=self._at_operator(node),
                )
        return BOOL

    def _mismatch(self, node: Binary, left_type: str, right_type: str) -> str:
        left, right = node.left, node.right
        return self.report(
            p.TYPE_MISMATCH,
            node,
            f"类型不匹配：{describe(left, 'zh')}是{type_name(left_type, 'zh')}，"  # type: ignore[arg-type]
            f"{describe(right, 'zh')}是{type_name(right_type, 'zh')}，不能用“{node.op}”",  # type: ignore[arg-type]
            f"type mismatch: {describe(left, 'en')} is {type_name(left_type, 'en')} but "  # type: ignore[arg-type]
            f"{describe(right, 'en')} is {type_name(right_type, 'en')}; '{node.op}' needs both the same",  # type: ignore[arg-type]
            at=self._at_operator(node),
        )

    def _equality(self, node: Binary, left_type: str, right_type: str) -> str:
        if is_list(left_type) or is_list(right_type):
            return self.report(
                p.UNSUPPORTED,
                node,
                "不支持：列表不能用“==”或“!=”比较；判断包含请用 in，判断为空请用 size(...) == 0",
                "unsupported: lists cannot be compared with '==' or '!='; use in, or size(...) == 0",
                at=self._at_operator(node),
            )
        if left_type != right_type:
            return self._mismatch(node, left_type, right_type)
        self._check_enum_pair(node.left, node.right)  # type: ignore[arg-type]
        return BOOL

    def _ordering(self, node: Binary, left_type: str, right_type: str) -> str:
        if left_type != right_type:
            return self._mismatch(node, left_type, right_type)
        if left_type not in (INT, DOUBLE, STRING, TIMESTAMP):
            return self.report(
                p.TYPE_MISMATCH,
                node,
                f"{type_name(left_type, 'zh')}不能比较大小（“{node.op}”）",
                f"values of type {type_name(left_type, 'en')} cannot be ordered with '{node.op}'",
                at=self._at_operator(node),
            )
        return BOOL

    def _membership(self, node: Binary, left_type: str, right_type: str) -> str:
        right = node.right
        if not is_list(right_type):
            return self.report(
                p.TYPE_MISMATCH,
                node,
                f"“in”右边必须是列表，这里是{type_name(right_type, 'zh')}",
                f"the right side of 'in' must be a list, got {type_name(right_type, 'en')}",
                at=self._at_operator(node),
            )
        if not isinstance(right, ListLiteral | FeatureRef):
            return self.report(
                p.UNSUPPORTED,
                right,  # type: ignore[arg-type]
                "不支持：“in”右边只能是列表常量或列表特征",
                "unsupported: the right side of 'in' must be a list literal or a list feature",
            )
        if left_type not in SCALAR_TYPES:
            return self.report(
                p.UNSUPPORTED,
                node,
                f"不支持：{type_name(left_type, 'zh')}不能用于“in”左边",
                f"unsupported: {type_name(left_type, 'en')} on the left of 'in'",
                at=self._at_operator(node),
            )
        element = element_of(right_type)
        if element is not None and element != left_type:
            return self.report(
                p.TYPE_MISMATCH,
                node,
                f"类型不匹配：{describe(node.left, 'zh')}是{type_name(left_type, 'zh')}，"  # type: ignore[arg-type]
                f"不能在{type_name(right_type, 'zh')}中查找",
                f"type mismatch: {describe(node.left, 'en')} is {type_name(left_type, 'en')}, "  # type: ignore[arg-type]
                f"it cannot be looked up in a {type_name(right_type, 'en')}",
                at=self._at_operator(node),
            )
        if isinstance(right, ListLiteral):
            for item in right.items:
                self._check_enum_pair(node.left, item)  # type: ignore[arg-type]
        else:
            self._check_enum_pair(right, node.left)  # type: ignore[arg-type]
        return BOOL

    def _arithmetic(self, node: Binary, left_type: str, right_type: str) -> str:
        op = node.op
        if left_type == STRING and right_type == STRING and op == "+":
            return self.report(
                p.UNSUPPORTED,
                node,
                "不支持：字符串拼接",
                "unsupported: string concatenation",
                at=self._at_operator(node),
            )
        for type_ in (left_type, right_type):
            if type_ not in NUMERIC_TYPES:
                return self.report(
                    p.TYPE_MISMATCH,
                    node,
                    f"“{op}”只能用于数字，这里有{type_name(type_, 'zh')}",
                    f"'{op}' needs numbers, got {type_name(type_, 'en')}",
                    at=self._at_operator(node),
                )
        if left_type != right_type:
            return self.report(
                p.TYPE_MISMATCH,
                node,
                "整数与小数不能直接运算，请用 double(...) 或 int(...) 转换",
                "int and double cannot be mixed; convert with double(...) or int(...)",
                at=self._at_operator(node),
            )
        if op == "%" and left_type != INT:
            return self.report(
                p.TYPE_MISMATCH, node, "“%”只能用于整数", "'%' needs integers", at=self._at_operator(node)
            )
        if op in ("/", "%"):
            divisor = constant_number(node.right)  # type: ignore[arg-type]
            if divisor is None:
                return self.report(
                    p.UNSUPPORTED,
                    node.right,  # type: ignore[arg-type]
                    "不支持：除数必须是非零常数",
                    "unsupported: the divisor must be a non-zero constant",
                )
            if divisor == 0:
                return self.report(
                    p.INVALID_ARGUMENT,
                    node.right,  # type: ignore[arg-type]
                    "除数不能为零",
                    "division by zero",
                )
        return self._numeric_result(node, left_type, self._arithmetic_range(node, left_type))

    def _arithmetic_range(self, node: Binary, type_: str) -> tuple:
        (a, b), (c, d) = node.left.range, node.right.range  # type: ignore[union-attr, misc]
        if node.op == "+":
            return a + c, b + d
        if node.op == "-":
            return a - d, b - c
        if node.op == "*":
            products = (a * c, a * d, b * c, b * d)
            return min(products), max(products)
        divisor = c
        if node.op == "/":
            if type_ == INT:
                ends = (_truncated_division(a, divisor), _truncated_division(b, divisor))
            else:
                ends = (a / divisor, b / divisor)
            return min(ends), max(ends)
        largest = abs(divisor) - 1
        return (0 if a >= 0 else -largest), (0 if b <= 0 else largest)

    def _numeric_result(self, node: Node, type_: str, range_: tuple) -> str:
        low, high = range_
        if type_ == INT and (low < INT64_MIN or high > INT64_MAX):
            at = self._at_operator(node) if isinstance(node, Binary) else None
            return self.report(
                p.OVERFLOW,
                node,
                "整数运算可能超出 64 位范围",
                "integer arithmetic may overflow 64 bits",
                at=at,
            )
        if type_ == DOUBLE and not (
            math.isfinite(low) and math.isfinite(high) and max(-low, high) <= DOUBLE_LIMIT
        ):
            at = self._at_operator(node) if isinstance(node, Binary) else None
            return self.report(p.OVERFLOW, node, "数值可能过大", "the value may be too large", at=at)
        node.range = range_
        return type_

    def _check_Conditional(self, node: Conditional) -> str:
        types = [self.check(child) for child in node.children()]
        if ERROR in types:
            return ERROR
        test_type, then_type, else_type = types
        if test_type != BOOL:
            return self.report(
                p.TYPE_MISMATCH,
                node,
                f"“?:”的条件必须是布尔值，这里是{type_name(test_type, 'zh')}",
                f"the condition of '?:' must be bool, got {type_name(test_type, 'en')}",
            )
        if then_type != else_type:
            return self.report(
                p.TYPE_MISMATCH,
                node.otherwise,  # type: ignore[arg-type]
                f"“?:”两个分支的类型必须相同：{type_name(then_type, 'zh')}与{type_name(else_type, 'zh')}",
                f"both branches of '?:' must have the same type: {type_name(then_type, 'en')} and "
                f"{type_name(else_type, 'en')}",
            )
        if then_type not in SCALAR_TYPES:
            return self.report(
                p.UNSUPPORTED,
                node,
                f"不支持：“?:”的结果为{type_name(then_type, 'zh')}",
                f"unsupported: '?:' giving a {type_name(then_type, 'en')}",
            )
        if then_type in NUMERIC_TYPES:
            node.range = _range_union(node.then.range, node.otherwise.range)  # type: ignore[union-attr]
        return then_type

    # -- functions and macros ------------------------------------------------------------------

    def _arity(self, node: Call, count: int) -> bool:
        if len(node.args) == count:
            return True
        shown = f".{node.name}()" if node.target is not None else f"{node.name}()"
        self.report(
            p.INVALID_ARGUMENT,
            node,
            f"{shown} 需要 {count} 个参数，这里有 {len(node.args)} 个",
            f"{shown} takes {count} argument(s), got {len(node.args)}",
        )
        return False

    def _check_Call(self, node: Call) -> str:
        if node.target is None and node.name == "date":
            return self._date(node)
        types = [self.check(child) for child in node.children()]
        if ERROR in types:
            return ERROR
        if node.target is not None:
            return self._method(node, types[0], types[1:])
        if node.name in _UNSUPPORTED_FUNCTIONS:
            zh, en = _UNSUPPORTED_FUNCTIONS[node.name]
            return self.report(p.UNSUPPORTED, node, f"不支持函数 {zh}", f"unsupported function {en}")
        if node.name == "size":
            return self._size(node, types[0]) if self._arity(node, 1) else ERROR
        if node.name in ("int", "double"):
            return self._conversion(node, types[0]) if self._arity(node, 1) else ERROR
        return self.report(
            p.UNKNOWN_FUNCTION, node, f"未知函数 {node.name}()", f"unknown function {node.name}()"
        )

    def _method(self, node: Call, target_type: str, arg_types: list[str]) -> str:
        name = node.name
        if name == "size":
            return self._size(node, target_type) if self._arity(node, 0) else ERROR
        if name in _STRING_METHODS:
            if not self._arity(node, 1):
                return ERROR
            if is_list(target_type) and name == "contains":
                return self.report(
                    p.UNSUPPORTED,
                    node,
                    '不支持：列表的 .contains()，请写 "值" in talent.<列表特征>',
                    'unsupported: .contains() on a list; write "value" in talent.<list feature>',
                )
            if target_type != STRING or arg_types[0] != STRING:
                return self.report(
                    p.TYPE_MISMATCH,
                    node,
                    f".{name}() 只能用于字符串，参数也须是字符串",
                    f".{name}() works on a string with a string argument",
                )
            return BOOL
        if name in _CEL_METHODS:
            return self.report(p.UNSUPPORTED, node, f"不支持方法 .{name}()", f"unsupported method .{name}()")
        return self.report(p.UNKNOWN_FUNCTION, node, f"未知方法 .{name}()", f"unknown method .{name}()")

    def _size(self, node: Call, type_: str) -> str:
        if not (is_list(type_) or type_ == STRING):
            return self.report(
                p.TYPE_MISMATCH,
                node,
                f"size() 只能用于列表或字符串，这里是{type_name(type_, 'zh')}",
                f"size() needs a list or a string, got {type_name(type_, 'en')}",
            )
        node.range = (0, SIZE_LIMIT)
        return INT

    def _conversion(self, node: Call, type_: str) -> str:
        if type_ not in NUMERIC_TYPES:
            return self.report(
                p.UNSUPPORTED,
                node,
                f"不支持：{node.name}() 只能转换数字，这里是{type_name(type_, 'zh')}",
                f"unsupported: {node.name}() converts numbers only, got {type_name(type_, 'en')}",
            )
        low, high = node.args[0].range  # type: ignore[misc]
        if node.name == "double":
            return self._numeric_result(node, DOUBLE, (float(low), float(high)))
        if type_ == DOUBLE and not (INT64_MIN < low and high < INT64_MAX):
            return self.report(
                p.OVERFLOW,
                node,
                "小数转整数可能超出 64 位范围",
                "converting this double to int may overflow 64 bits",
            )
        return self._numeric_result(node, INT, (int(low), int(high)))

    def _date(self, node: Call) -> str:
        argument = node.args[0] if len(node.args) == 1 else None
        text = argument.value if isinstance(argument, Literal) and argument.kind == STRING else None
        day = _parse_date(text) if text is not None else None
        if day is None:
            return self.report(
                p.INVALID_ARGUMENT,
                node,
                'date() 需要一个“YYYY-MM-DD”格式的有效日期，如 date("2017-03-01")',
                'date() takes one valid "YYYY-MM-DD" string, e.g. date("2017-03-01")',
            )
        argument.type = STRING  # type: ignore[union-attr]
        return TIMESTAMP

    def _check_Comprehension(self, node: Comprehension) -> str:
        target_type = self.check(node.target)  # type: ignore[arg-type]
        if target_type == ERROR:
            return ERROR
        if not is_list(target_type) or not isinstance(node.target, ListLiteral | FeatureRef):
            return self.report(
                p.TYPE_MISMATCH,
                node,
                f".{node.name}() 只能用于列表常量或列表特征",
                f".{node.name}() needs a list literal or a list feature",
            )
        if target_type == EMPTY_LIST:
            return self.report(
                p.UNSUPPORTED,
                node,
                f"不支持：对空列表使用 .{node.name}()",
                f"unsupported: .{node.name}() over an empty list",
            )
        if self.scope:
            return self.report(
                p.UNSUPPORTED, node, "不支持：嵌套的 exists/all", "unsupported: nested exists/all"
            )
        feature = FEATURES.get(node.target.name) if isinstance(node.target, FeatureRef) else None
        items_range = (
            _range_union(*(item.range for item in node.target.items))
            if isinstance(node.target, ListLiteral)
            else None
        )
        self.scope[node.var] = (element_of(target_type), feature, items_range)  # type: ignore[assignment]
        try:
            body_type = self.check(node.body)  # type: ignore[arg-type]
        finally:
            del self.scope[node.var]
        if body_type == ERROR:
            return ERROR
        if body_type != BOOL:
            return self.report(
                p.TYPE_MISMATCH,
                node.body,  # type: ignore[arg-type]
                f".{node.name}() 的条件必须是布尔值，这里是{type_name(body_type, 'zh')}",
                f"the condition of .{node.name}() must be bool, got {type_name(body_type, 'en')}",
            )
        outside = next((n for n in walk(node.body) if isinstance(n, FeatureRef)), None)  # type: ignore[arg-type]
        if outside is not None:
            return self.report(
                p.UNSUPPORTED,
                outside,
                f"不支持：.{node.name}() 的条件里只能用循环变量 {node.var} 和常量，"
                f"不能用 talent.{outside.name}",
                f"unsupported: the condition of .{node.name}() may use only {node.var} and constants, "
                f"not talent.{outside.name}",
            )
        return BOOL

    # -- enumerated values ---------------------------------------------------------------------

    def _enum_feature(self, node: Node) -> Feature | None:
        if isinstance(node, FeatureRef):
            feature = FEATURES.get(node.name)
        elif isinstance(node, Name) and node.name in self.scope:
            feature = self.scope[node.name][1]
        else:
            return None
        return feature if feature is not None and feature.closed else None

    def _check_enum_pair(self, one: Node, other: Node) -> None:
        """Report a string literal that is not a value of the closed enumeration on the other side."""
        for feature_side, literal in ((one, other), (other, one)):
            feature = self._enum_feature(feature_side)
            if feature is None or not isinstance(literal, Literal) or literal.kind != STRING:
                continue
            if literal.value not in feature.values:
                allowed_zh = "、".join(f"{cel_literal(v)}（{zh}）" for v, (zh, _) in feature.values.items())
                allowed_en = ", ".join(cel_literal(v) for v in feature.values)
                self.report(
                    p.UNKNOWN_VALUE,
                    literal,
                    f"{feature.label_zh}（talent.{feature.name}）没有取值 {cel_literal(literal.value)}，"
                    f"可选：{allowed_zh}",
                    f"talent.{feature.name} ({feature.label_en}) has no value {cel_literal(literal.value)}; "
                    f"allowed: {allowed_en}",
                )


def _parse_date(text: str) -> dt.date | None:
    if not _DATE_PATTERN.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def date_value(node: Call) -> dt.date:
    """The date of a checked `date("YYYY-MM-DD")` call."""
    return dt.date.fromisoformat(node.args[0].value)  # type: ignore[attr-defined]
