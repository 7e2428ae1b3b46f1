from django.urls import path

from rencai.registry import achievement_views, export_views, import_views, project_views, views

app_name = "registry"
urlpatterns = [
    path("talents/", views.talent_list, name="talent_list"),
    path("talents/new/", views.talent_create, name="talent_create"),
    path("talents/export.xlsx", export_views.talent_export, name="talent_export"),
    path("talents/<int:pk>/", views.talent_detail, name="talent_detail"),
    path("talents/<int:pk>/edit/", views.talent_edit, name="talent_edit"),
    path("talents/<int:pk>/reveal/<str:field>/", views.talent_reveal, name="talent_reveal"),
    path("talents/<int:pk>/transfer/", views.talent_transfer, name="talent_transfer"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/export.xlsx", export_views.enterprise_export, name="enterprise_export"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("platforms/", views.platform_list, name="platform_list"),
    path("platforms/export.xlsx", export_views.platform_export, name="platform_export"),
    path("platforms/<int:pk>/", views.platform_detail, name="platform_detail"),
    path("academicians/", views.academician_list, name="academician_list"),
    path("academicians/export.xlsx", export_views.academician_export, name="academician_export"),
    path("academicians/<int:pk>/", views.academician_detail, name="academician_detail"),
    path("achievements/", achievement_views.achievement_list, name="achievement_list"),
    path("achievements/new/", achievement_views.achievement_create, name="achievement_create"),
    path("achievements/<int:pk>/edit/", achievement_views.achievement_edit, name="achievement_edit"),
    path("achievements/<int:pk>/delete/", achievement_views.achievement_delete, name="achievement_delete"),
    path("projects/", project_views.project_list, name="project_list"),
    path("projects/new/", project_views.project_form, name="project_create"),
    path("projects/<int:pk>/edit/", project_views.project_form, name="project_edit"),
    path("import/", import_views.import_upload, name="import"),
    path("import/<int:pk>/", import_views.import_report, name="import_report"),
]
