"""Pages of the evaluation app, one module per sub-domain; each exports its `urlpatterns`."""
