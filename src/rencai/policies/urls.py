"""Policy pages, mounted at /policies/."""

from django.urls import path

from rencai.policies import views

app_name = "policies"
urlpatterns = [
    path("", views.policy_list, name="policy_list"),
    path("match/", views.match_start, name="match_start"),
    path("mine/", views.my_benefits, name="my_benefits"),
    path("mine/<int:pk>/<str:answer>/", views.offer_answer, name="offer_answer"),
    path("rules/validate/", views.rule_validate, name="rule_validate"),
    path("rules/builder/", views.rule_builder, name="rule_builder"),
    path("<int:pk>/", views.policy_detail, name="policy_detail"),
    path("<int:pk>/explain/", views.policy_explain, name="policy_explain"),
    path("talents/<int:pk>/", views.talent_benefits, name="talent_benefits"),
    path("<int:pk>/versions/new/", views.version_create, name="version_create"),
    path("versions/<int:pk>/", views.version_edit, name="version_edit"),
    path("versions/<int:pk>/issue/", views.version_issue, name="version_issue"),
    path("versions/<int:pk>/withdraw/", views.version_withdraw, name="version_withdraw"),
    path("versions/<int:pk>/simulate/", views.version_simulate, name="version_simulate"),
    path(
        "versions/<int:pk>/simulate/export.xlsx",
        views.version_simulate_export,
        name="version_simulate_export",
    ),
]
