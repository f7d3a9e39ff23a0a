"""Metadata adapters: in-memory now, durable ones later behind the same ports.

The entities are frozen dataclasses, so storing and returning them shares no
mutable state; every list returned is a new list.
"""
