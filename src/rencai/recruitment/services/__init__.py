"""Every write of the recruitment app, one module per sub-domain."""
