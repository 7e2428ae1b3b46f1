"""Rules as forms: a rule read into rows of conditions and an amount table, and written back as rule text.

Officers build eligibility from condition rows (学历 不低于 硕士; 年龄 不超过 35; 所在县 属于 江山市),
grouped ("all of" / "any of"), and the amount as one sum or a table by tier, degree or any other choice.
The engine stays the one truth: a form is saved as the rule text `to_rule` writes, and `from_rule` reads
a rule back into the form, or says, in Chinese and English, why the form cannot show it (the editor then
keeps the rule as text).

    from_rule(text, expect="bool") -> Eligibility | Unreadable
    from_rule(text, expect="number") -> Amount | Unreadable
    to_rule(Eligibility | Amount) -> str
    make_condition(field, op, raw values) -> Condition        (InputProblem in Chinese and English)
    parse_amount(raw) -> int, describe(...) -> the form in words, values shown by their labels

Values appear by their labels (county names, never region codes). No Django here: `Catalogue(regions=…)`
takes the region registry's names from the caller. Modules: `fields` (the vocabulary and checking what is
typed), `write` (rule text and words), `read` (rule text into the form).
"""

from rencai.policies.rule_builder.fields import (
    CATALOGUE,
    COMBINE_LABELS,
    FORM_FIELDS,
    MAX_AMOUNT,
    OPERATORS,
    SINGLE,
    Amount,
    Catalogue,
    Choice,
    Combine,
    Condition,
    Eligibility,
    Field,
    Group,
    InputProblem,
    Kind,
    Op,
    Unreadable,
    checked_condition,
    encode,
    make_condition,
    parse_amount,
)
from rencai.policies.rule_builder.read import from_rule
from rencai.policies.rule_builder.write import amount_lines, describe_condition, describe_eligibility, to_rule

__all__ = [
    "CATALOGUE",
    "COMBINE_LABELS",
    "FORM_FIELDS",
    "MAX_AMOUNT",
    "OPERATORS",
    "SINGLE",
    "Amount",
    "Catalogue",
    "Choice",
    "Combine",
    "Condition",
    "Eligibility",
    "Field",
    "Group",
    "InputProblem",
    "Kind",
    "Op",
    "Unreadable",
    "amount_lines",
    "checked_condition",
    "describe_condition",
    "describe_eligibility",
    "encode",
    "from_rule",
    "make_condition",
    "parse_amount",
    "to_rule",
]
