"""Fixtures for policy tests: a city officer and helpers to issue policies quickly."""

import datetime as dt

import pytest

from rencai.policies.models import Policy, PolicyVersion


@pytest.fixture
def issue(world):
    """issue(code, rule, amount="0", region=city, **policy fields) -> Policy with one issued version."""

    def make(code, rule, amount="0", region=None, effective_from=dt.date(2017, 1, 1), **fields):
        policy = Policy.objects.create(
            code=code,
            name=f"政策 {code}",
            region=region or world.regions["330800"],
            kind=fields.pop("kind", "subsidy"),
            **fields,
        )
        PolicyVersion.objects.create(
            policy=policy,
            number=1,
            effective_from=effective_from,
            eligibility_rule=rule,
            amount_rule=amount,
            status="issued",
        )
        return policy

    return make
