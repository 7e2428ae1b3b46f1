"""Parse rule text with celpy's CEL parser and turn its lark tree into the engine's nodes.

The rule language is a subset of CEL (https://github.com/google/cel-spec). Supported:

- literals: int (`45`, `0x1F`), double (`1.5`, `2e3`), string (`"doctor"`, `'A'`, raw and escaped forms),
  bool (`true`, `false`), and list literals of one scalar type (`["A", "B"]`, `[1, 2]`);
- `talent.<feature>` for every feature of `schema.FEATURES`;
- `!x`, `-x`, `a && b`, `a || b`, `cond ? a : b`;
- `==  !=  <  <=  >  >=` between two values of the same type (int, double, string, timestamp; bool for
  `==`/`!=` only); int and double never mix, as in CEL: convert with `int()` / `double()`;
- `+ - * / %` on numbers of the same type (`%` on int only); the divisor of `/` and `%` must be a non-zero
  constant; int division truncates toward zero, as in CEL;
- `x in [..]` (a list literal) and `"value" in talent.<list feature>`;
- `size(x)` / `x.size()` for lists and strings; `s.contains(t)`, `s.startsWith(t)`, `s.endsWith(t)`;
- `list.exists(v, cond)` and `list.all(v, cond)` where `cond` uses only `v` and constants;
- `date("YYYY-MM-DD")` (a timestamp at midnight UTC, registered with celpy too), `int(x)`, `double(x)`.

Anything else (maps, indexing, `null`, unsigned ints, bytes, `has()`, `matches()`, `timestamp()`,
`duration()`, string concatenation, …) is reported as an `unsupported` problem.
"""

from __future__ import annotations

import bisect
import re
from typing import cast

import celpy
import lark
from celpy import celtypes
from celpy.evaluation import celstr

from rencai.policies.engine import problems as p
from rencai.policies.engine.nodes import (
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
)
from rencai.policies.engine.problems import RuleError, RuleProblem
from rencai.policies.engine.schema import BOOL, DOUBLE, INT, STRING, TALENT

_ENVIRONMENT = celpy.Environment()

_OPERATORS = {
    "relation_lt": "<",
    "relation_le": "<=",
    "relation_gt": ">",
    "relation_ge": ">=",
    "relation_eq": "==",
    "relation_ne": "!=",
    "relation_in": "in",
    "addition_add": "+",
    "addition_sub": "-",
    "multiplication_mul": "*",
    "multiplication_div": "/",
    "multiplication_mod": "%",
}
_EXPECTED_SYMBOLS = {"RPAR": ")", "RSQB": "]", "COLON": ":", "COMMA": ",", "RBRACE": "}"}
_BOOL_OR_COMMENT = re.compile(r"//[^\n]*|\b(true|false)\b")
COMPREHENSIONS = ("exists", "all")
_OTHER_MACROS = ("exists_one", "map", "filter")


def parse_rule(source: str) -> Node:
    """The rule's syntax tree; RuleError with every syntax or unsupported-construct problem found."""
    if not source.strip():
        raise RuleError([p.problem(p.EMPTY, 1, 1, "规则为空", "the rule is empty")])
    _check_size(source)
    try:
        tree = _ENVIRONMENT.compile(source)
        builder = _Builder(source)
        root = builder.build(tree)
    except celpy.CELParseError as error:
        raise RuleError([_syntax_problem(source, error)]) from None
    except RecursionError:
        raise RuleError([_too_deep(1, 1)]) from None
    if builder.problems:
        raise RuleError(builder.problems)
    if _depth(root) > MAX_TREE_DEPTH:
        # long chains (a + a + …, c ? x : c ? x : …) nest without brackets; the checker, the polars
        # compiler and the explainer all recurse over the tree, so its depth is bounded here
        raise RuleError([_too_deep(root.line, root.column)])
    return root


def _depth(root: Node) -> int:
    """The syntax tree's depth, measured without recursion."""
    deepest, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children())
    return deepest


MAX_TREE_DEPTH = 200
MAX_RULE_LENGTH = 20_000
MAX_NESTING = 100
_OPENING, _CLOSING = "([{", ")]}"


def _too_deep(line: int, column: int) -> RuleProblem:
    return p.problem(
        p.TOO_COMPLEX,
        line,
        column,
        f"规则嵌套过深（最多{MAX_NESTING}层括号或连续运算符）",
        f"the rule is nested too deeply (at most {MAX_NESTING} levels of brackets or repeated operators)",
    )


def _check_size(source: str) -> None:
    """Refuse, before parsing, a rule too long or too deeply nested for the parser's recursion."""
    if len(source) > MAX_RULE_LENGTH:
        raise RuleError(
            [
                p.problem(
                    p.TOO_COMPLEX,
                    1,
                    1,
                    f"规则过长（{len(source)}个字符，最多{MAX_RULE_LENGTH}个）",
                    f"the rule is too long ({len(source)} characters, at most {MAX_RULE_LENGTH})",
                )
            ]
        )
    depth, run, line, column, quote, escaped = 0, 0, 1, 0, "", False
    for char in source:
        column += 1
        if char == "\n":
            line, column = line + 1, 0
        if quote:  # inside a string literal: brackets do not nest
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
            continue
        if char in "\"'":
            quote = char
        elif char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth = max(depth - 1, 0)
        if char in "!-":  # a run of prefix operators nests just as deeply
            run += 1
        elif not char.isspace():
            run = 0
        if depth > MAX_NESTING or run > MAX_NESTING:
            raise RuleError([_too_deep(line, column)])


def _end_position(source: str) -> tuple[int, int]:
    text = source.rstrip()
    line = text.count("\n") + 1
    return line, len(text) - (text.rfind("\n") + 1) + 1


def _syntax_problem(source: str, error: celpy.CELParseError) -> RuleProblem:
    cause = error.__context__
    line, column = error.line or 1, error.column or 1
    if isinstance(cause, lark.exceptions.UnexpectedCharacters):
        char = source[cause.pos_in_stream] if cause.pos_in_stream is not None else "?"
        return p.problem(
            p.SYNTAX,
            line,
            column,
            f"语法错误：无法识别的字符“{char}”",
            f"syntax error: unexpected character '{char}'",
        )
    if isinstance(cause, lark.exceptions.UnexpectedToken):
        expected = sorted(_EXPECTED_SYMBOLS[name] for name in cause.expected if name in _EXPECTED_SYMBOLS)
        complete = bool(expected) and len(expected) == len(cause.expected)
        hint_zh = "，缺少“" + "”或“".join(expected) + "”" if complete else ""
        hint_en = ", expected '" + "' or '".join(expected) + "'" if complete else ""
        if cause.token.type == "$END":
            line, column = _end_position(source)
            return p.problem(
                p.SYNTAX,
                line,
                column,
                f"语法错误：规则不完整{hint_zh}",
                f"syntax error: unexpected end of rule{hint_en}",
            )
        token = cause.token.value
        return p.problem(
            p.SYNTAX,
            line,
            column,
            f"语法错误：此处不应出现“{token}”{hint_zh}",
            f"syntax error: unexpected '{token}'{hint_en}",
        )
    return p.problem(
        p.SYNTAX, line, column, "语法错误", f"syntax error: {error.args[0] if error.args else ''}"
    )


class _Builder:
    """Walks celpy's lark tree (grammar `celpy/cel.lark`) and builds engine nodes."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[RuleProblem] = []
        self._line_starts = [0] + [i + 1 for i, c in enumerate(source) if c == "\n"]

    def build(self, tree: lark.Tree) -> Node:
        self._place_bool_literals(tree)
        return self._visit(tree)

    def _place_bool_literals(self, tree: lark.Tree) -> None:
        """celpy's lexer turns `true`/`false` into new tokens without positions (and so the trees that
        start or end with them have none either): find each one in the text after the previous token."""
        cursor = 0
        for token in _tokens(tree):
            if token.start_pos is None and token.type == "BOOL_LIT":
                match = next((m for m in _BOOL_OR_COMMENT.finditer(self.source, cursor) if m.group(1)), None)
                if match is not None:
                    token.start_pos, token.end_pos = match.start(1), match.end(1)
                    token.line, token.column = self._position(match.start(1))
            if token.end_pos is not None:
                cursor = token.end_pos

    def _start(self, tree: lark.Tree | lark.Token) -> tuple[int, int]:
        offset = _start_offset(tree)
        return self._position(offset) if offset is not None else (1, 1)

    # -- helpers ---------------------------------------------------------------------------------

    def _position(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self._line_starts, offset) - 1
        return index + 1, offset - self._line_starts[index] + 1

    def _unsupported(self, tree: lark.Tree | lark.Token, zh: str, en: str) -> Node:
        line, column = self._start(tree)
        self.problems.append(p.problem(p.UNSUPPORTED, line, column, f"不支持：{zh}", f"unsupported: {en}"))
        return Invalid(line, column)

    def _visit(self, tree: lark.Tree) -> Node:
        handler = getattr(self, f"_{tree.data}", None)
        if handler is None:
            return self._unsupported(tree, f"语法结构 {tree.data}", f"construct {tree.data}")
        return handler(tree)

    def _pass_through(self, tree: lark.Tree) -> Node:
        return self._visit(tree.children[0])

    def _binary(self, op: str, tree: lark.Tree, left_tree: lark.Tree, right_tree: lark.Tree) -> Node:
        left, right = self._visit(left_tree), self._visit(right_tree)
        left_end, right_start = _end_offset(left_tree) or 0, _start_offset(right_tree) or len(self.source)
        offset = self.source.find(op, left_end, right_start)
        op_line, op_column = self._position(offset if offset >= 0 else left_end)
        line, column = self._start(tree)
        return Binary(line, column, op=op, left=left, right=right, op_line=op_line, op_column=op_column)

    # -- grammar rules -----------------------------------------------------------------------------

    def _expr(self, tree: lark.Tree) -> Node:
        if len(tree.children) == 1:
            return self._visit(tree.children[0])
        test, then, otherwise = (self._visit(child) for child in tree.children)
        line, column = self._start(tree)
        return Conditional(line, column, test=test, then=then, otherwise=otherwise)

    def _conditionalor(self, tree: lark.Tree) -> Node:
        if len(tree.children) == 1:
            return self._visit(tree.children[0])
        return self._binary("||", tree, *tree.children)

    def _conditionaland(self, tree: lark.Tree) -> Node:
        if len(tree.children) == 1:
            return self._visit(tree.children[0])
        return self._binary("&&", tree, *tree.children)

    def _operation(self, tree: lark.Tree) -> Node:
        """relation, addition and multiplication share one shape: [op_tree(left), right]."""
        if len(tree.children) == 1:
            return self._visit(tree.children[0])
        op_tree, right_tree = tree.children
        return self._binary(_OPERATORS[op_tree.data], tree, op_tree.children[0], right_tree)

    _relation = _addition = _multiplication = _operation

    def _unary(self, tree: lark.Tree) -> Node:
        if len(tree.children) == 1:
            return self._visit(tree.children[0])
        op_tree, operand_tree = tree.children
        line, column = self._start(tree)
        op = "!" if op_tree.data == "unary_not" else "-"
        return Unary(line, column, op=op, operand=self._visit(operand_tree))

    _member = _primary = _pass_through

    def _paren_expr(self, tree: lark.Tree) -> Node:
        return self._visit(tree.children[0])

    def _member_dot(self, tree: lark.Tree) -> Node:
        target_tree, name = tree.children
        target = self._visit(target_tree)
        line, column = self._start(tree)
        if isinstance(target, Name) and target.name == TALENT:
            return FeatureRef(line, column, name=str(name))
        if isinstance(target, Invalid):
            return target
        return self._unsupported(
            tree,
            f"字段访问“.{name}”（只能使用 talent.<特征名>）",
            f"field selection '.{name}' (only talent.<feature> is allowed)",
        )

    def _member_dot_arg(self, tree: lark.Tree) -> Node:
        target_tree, name = tree.children[0], str(tree.children[1])
        arg_trees = list(tree.children[2].children) if len(tree.children) > 2 else []
        line, column = self._start(tree)
        if name in COMPREHENSIONS:
            return self._comprehension(tree, name, target_tree, arg_trees)
        if name in _OTHER_MACROS:
            return self._unsupported(
                tree, f"宏 .{name}()（可用 exists 或 all）", f"macro .{name}() (use exists or all)"
            )
        target = self._visit(target_tree)
        args = [self._visit(arg) for arg in arg_trees]
        return Call(line, column, name=name, args=args, target=target)

    def _comprehension(self, tree: lark.Tree, name: str, target_tree: lark.Tree, arg_trees: list) -> Node:
        line, column = self._start(tree)
        target = self._visit(target_tree)
        variable = _bare_identifier(arg_trees[0]) if len(arg_trees) == 2 else None
        if variable is None:
            return self._unsupported(
                tree,
                f".{name}() 的写法，应为 .{name}(x, 条件)",
                f"this form of .{name}(); write .{name}(x, condition)",
            )
        if variable == TALENT:
            return self._unsupported(arg_trees[0], "用 talent 作循环变量名", "talent as the loop variable")
        body = self._visit(arg_trees[1])
        return Comprehension(line, column, name=name, target=target, var=variable, body=body)

    def _ident_arg(self, tree: lark.Tree) -> Node:
        name = str(tree.children[0])
        arg_trees = list(tree.children[1].children) if len(tree.children) > 1 else []
        line, column = self._start(tree)
        if name == "has":
            return self._unsupported(tree, "has()：所有特征都有值", "has(): every feature always has a value")
        return Call(line, column, name=name, args=[self._visit(arg) for arg in arg_trees])

    def _ident(self, tree: lark.Tree) -> Node:
        line, column = self._start(tree)
        return Name(line, column, name=str(tree.children[0]))

    def _list_lit(self, tree: lark.Tree) -> Node:
        line, column = self._start(tree)
        items = [self._visit(item) for item in tree.children[0].children] if tree.children else []
        return ListLiteral(line, column, items=items)

    def _literal(self, tree: lark.Tree) -> Node:
        token = cast(lark.Token, tree.children[0])  # a literal's tree holds exactly its token
        line, column = self._start(tree)
        kind = token.type
        if kind == "INT_LIT":
            try:
                return Literal(line, column, value=int(celtypes.IntType(token.value)), kind=INT)
            except ValueError:
                self.problems.append(
                    p.problem(
                        p.OVERFLOW,
                        line,
                        column,
                        f"整数 {token.value} 超出 64 位范围",
                        f"integer {token.value} is outside the 64-bit range",
                    )
                )
                return Invalid(line, column)
        if kind == "FLOAT_LIT":
            return Literal(line, column, value=float(celtypes.DoubleType(token.value)), kind=DOUBLE)
        if kind in ("STRING_LIT", "MLSTRING_LIT"):
            return Literal(line, column, value=str(celstr(token)), kind=STRING)
        if kind == "BOOL_LIT":
            return Literal(line, column, value=token.value == "true", kind=BOOL)
        if kind == "UINT_LIT":
            return self._unsupported(
                tree, f"无符号整数 {token.value}（去掉 u）", f"unsigned integer {token.value} (drop the u)"
            )
        if kind == "NULL_LIT":
            return self._unsupported(tree, "null（特征总有值）", "null (features always have a value)")
        return self._unsupported(tree, "字节串", "bytes literals")

    def _map_lit(self, tree: lark.Tree) -> Node:
        return self._unsupported(tree, "映射 {…}", "map literals {…}")

    def _member_index(self, tree: lark.Tree) -> Node:
        return self._unsupported(tree, "下标 [ ]（判断包含请用 in）", "indexing [ ] (use in for membership)")

    def _member_object(self, tree: lark.Tree) -> Node:
        return self._unsupported(tree, "消息构造 {…}", "message construction {…}")

    def _dot_ident(self, tree: lark.Tree) -> Node:
        return self._unsupported(tree, "以“.”开头的名称", "names starting with '.'")

    _dot_ident_arg = _dot_ident


def _tokens(tree: lark.Tree):
    """The tokens of a tree, left to right."""
    for child in tree.children:
        if isinstance(child, lark.Token):
            yield child
        else:
            yield from _tokens(child)


def _start_offset(tree: lark.Tree | lark.Token) -> int | None:
    if isinstance(tree, lark.Token):
        return tree.start_pos
    if getattr(tree.meta, "start_pos", None) is not None:
        return tree.meta.start_pos
    return next((o for o in map(_start_offset, tree.children) if o is not None), None)


def _end_offset(tree: lark.Tree | lark.Token) -> int | None:
    if isinstance(tree, lark.Token):
        return tree.end_pos
    if getattr(tree.meta, "end_pos", None) is not None:
        return tree.meta.end_pos
    return next((o for o in map(_end_offset, reversed(tree.children)) if o is not None), None)


def _bare_identifier(tree: lark.Tree) -> str | None:
    """The identifier when `tree` (an expr) is nothing but one identifier, else None."""
    while isinstance(tree, lark.Tree) and len(tree.children) == 1 and tree.data != "ident":
        tree = tree.children[0]
    if isinstance(tree, lark.Tree) and tree.data == "ident":
        return str(tree.children[0])
    return None
