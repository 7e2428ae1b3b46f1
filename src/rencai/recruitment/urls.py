"""URLs of the recruitment app (/recruitment/…); published demands are searchable without login."""

from rencai.recruitment.views import channels, demands, funnel, referrals, rewards

app_name = "recruitment"

urlpatterns = [
    *demands.urlpatterns,
    *channels.urlpatterns,
    *referrals.urlpatterns,
    *rewards.urlpatterns,
    *funnel.urlpatterns,
]
