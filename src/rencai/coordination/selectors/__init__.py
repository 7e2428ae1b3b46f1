"""Coordination reads, always scoped to the acting user: each part (targets, work lists, consultation)
keeps its selectors in its own module here."""
