"""The compiled rules of a policy version (the engine caches compilation by rule text)."""

from rencai.policies.engine import CompiledRule, compile_rule
from rencai.policies.models import PolicyVersion


def compiled_pair(version: PolicyVersion) -> tuple[CompiledRule, CompiledRule]:
    """(eligibility, amount) of a version; issued versions are valid by construction."""
    return compile_rule(version.eligibility_rule, expect="bool"), compile_rule(
        version.amount_rule or "0", expect="number"
    )
