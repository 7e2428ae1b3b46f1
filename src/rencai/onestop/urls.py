"""One-stop service pages, mounted under /services/ (notification links point at these paths)."""

from django.urls import path

from rencai.onestop import views

app_name = "onestop"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("items/", views.item_manage, name="item_manage"),
    path("items/new/", views.item_new, name="item_new"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("apply/<slug:code>/", views.apply, name="apply"),
    path("mine/", views.my_applications, name="my_applications"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/resubmit/", views.resubmit, name="resubmit"),
    path("applications/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("applications/<int:pk>/confirm/", views.confirm_offer, name="confirm_offer"),
    path("applications/<int:pk>/decline/", views.decline_offer, name="decline_offer"),
    path("applications/<int:pk>/accept/", views.accept, name="accept"),
    path("applications/<int:pk>/return/", views.return_application, name="return_application"),
    path("materials/<int:pk>/file/", views.material_file, name="material_file"),
    path("employees/", views.employee_search, name="employee_search"),
    path("window/", views.window_queue, name="window_queue"),
    path("steps/", views.department_queue, name="department_queue"),
    path("steps/<int:pk>/", views.step_detail, name="step_detail"),
    path("loans/<int:pk>/", views.loan_detail, name="loan_detail"),
    path("loans/<int:pk>/decision/", views.loan_decision, name="loan_decision"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("cards/", views.card_list, name="card_list"),
    path("cards/mine/", views.my_card, name="my_card"),
    path("cards/<int:pk>/", views.card_detail, name="card_detail"),
    path("cards/<int:pk>/revoke/", views.revoke_card, name="revoke_card"),
    path("provider/", views.provider_home, name="provider_home"),
    path("provider/verify/", views.provider_verify, name="provider_verify"),
    path("provider/redeem/", views.provider_redeem, name="provider_redeem"),
]
