"""Pages of the recruitment app, one module per sub-domain; each exports its `urlpatterns`."""
