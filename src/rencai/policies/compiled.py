"""Compiled rules of policy versions, cached by rule text so a rule is parsed once per process."""

from functools import lru_cache

from rencai.policies.engine import CompiledRule, compile_rule
from rencai.policies.models import PolicyVersion


@lru_cache(maxsize=2048)
def compile_cached(source: str, expect: str) -> CompiledRule:
    return compile_rule(source, expect=expect)


def compiled_pair(version: PolicyVersion) -> tuple[CompiledRule, CompiledRule]:
    """(eligibility, amount) of a version; issued versions are valid by construction."""
    return compile_cached(version.eligibility_rule, "bool"), compile_cached(version.amount_rule or "0", "number")
