"""Coordination services: each part (targets, work lists, consultation) adds its imports here."""
