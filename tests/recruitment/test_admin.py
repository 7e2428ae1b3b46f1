"""The recruitment admin shows the rows the services wrote, masks personal data and changes nothing."""

import pytest

from tests.recruitment.builders import make_agency, make_candidate, make_demand, make_referral

pytestmark = pytest.mark.django_db


def test_the_admin_lists_demands_and_referrals_but_offers_no_change(client, world):
    demand = make_demand(world.enterprise_a, title="锂电材料首席工程师")
    referral = make_referral(make_agency(world.county_a), demand, make_candidate(world.county_a))
    client.force_login(world.users["superuser"])

    demands = client.get("/admin/recruitment/demand/").content.decode()
    assert "锂电材料首席工程师" in demands
    assert 'href="/admin/recruitment/demand/add/"' not in demands
    detail = client.get(f"/admin/recruitment/referral/{referral.pk}/change/").content.decode()
    assert referral.candidate.name in detail and 'name="_save"' not in detail
    candidates = client.get("/admin/recruitment/candidate/").content.decode()
    assert referral.candidate.id_number_masked in candidates
    assert referral.candidate.id_number_index not in candidates
    assert (
        client.post(f"/admin/recruitment/referral/{referral.pk}/delete/", {"post": "yes"}).status_code == 403
    )
