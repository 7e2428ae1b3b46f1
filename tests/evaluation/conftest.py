"""Evaluation fixtures: the test world with a published city scheme and an open city round."""

import pytest

from tests.evaluation.builders import make_round, make_scheme


@pytest.fixture
def scheme(world):
    return make_scheme(world.regions["330800"])


@pytest.fixture
def open_round(world, scheme):
    return make_round(scheme, world.regions["330800"])
