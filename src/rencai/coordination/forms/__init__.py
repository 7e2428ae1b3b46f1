"""Coordination forms: each part (targets, work lists, consultation) adds its imports here."""
