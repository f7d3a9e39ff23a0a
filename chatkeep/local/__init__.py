"""Adapters whose state is this process's own: keyed locks, the clock, the id source. The
composition root builds them and hands them to whatever needs them."""
