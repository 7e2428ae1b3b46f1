"""The `label` filter says what `get_FOO_display` says, in the reader's language, for every choice."""

import pytest
from django.utils import translation

from rencai.core.templatetags.labels import label
from rencai.registry.models import Talent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("field", ["team", "tier", "gender", "status"])
def test_label_matches_the_models_own_display(world, language, field):
    talent = world.talent_a
    with translation.override(language):
        for value, _text in Talent._meta.get_field(field).flatchoices:
            setattr(talent, field, value)
            assert label(talent, field) == getattr(talent, f"get_{field}_display")()


def test_a_value_outside_the_choices_is_shown_as_it_is(world):
    talent = world.talent_a
    talent.tier = "Z"
    assert label(talent, "tier") == "Z"
