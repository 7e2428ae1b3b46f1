"""Shared fixtures: the region tree, one user per role, and a logged-in client per role."""

import pytest

from rencai.core.regions import ensure_quzhou_regions
from tests import factories


@pytest.fixture
def regions(db):
    return ensure_quzhou_regions()


@pytest.fixture
def world(regions):
    """Two counties with an enterprise, talents and one user per role: the matrix every scope test uses."""
    return factories.build_world(regions)
