from django.urls import path

from rencai.registry import views

app_name = "registry"
urlpatterns = [
    path("talents/", views.talent_list, name="talent_list"),
    path("talents/export.xlsx", views.talent_export, name="talent_export"),
    path("talents/<int:pk>/", views.talent_detail, name="talent_detail"),
    path("talents/<int:pk>/reveal/<str:field>/", views.talent_reveal, name="talent_reveal"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/export.xlsx", views.enterprise_export, name="enterprise_export"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("platforms/", views.platform_list, name="platform_list"),
    path("platforms/export.xlsx", views.platform_export, name="platform_export"),
    path("platforms/<int:pk>/", views.platform_detail, name="platform_detail"),
    path("academicians/", views.academician_list, name="academician_list"),
    path("academicians/export.xlsx", views.academician_export, name="academician_export"),
    path("academicians/<int:pk>/", views.academician_detail, name="academician_detail"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:pk>/", views.import_report, name="import_report"),
]
