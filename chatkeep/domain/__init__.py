"""Entities, value objects and domain errors: no I/O, no framework."""
