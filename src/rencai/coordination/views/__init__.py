"""Coordination views: each part (targets, work lists, consultation) adds its imports here."""
