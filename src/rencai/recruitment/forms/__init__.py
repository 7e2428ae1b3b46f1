"""Forms of the recruitment app, one module per sub-domain."""
