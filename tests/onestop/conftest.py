"""One-stop fixtures: the demo catalogue on the test world with an officer for every department."""

import pytest

from tests.onestop.builders import Services, build_services


@pytest.fixture
def onestop(world) -> Services:
    return build_services(world)
