"""The real-server fixtures of the end-to-end tests, for the abuse tests here."""

from __future__ import annotations

from test.e2e.conftest import chat, client, live

__all__ = ["chat", "client", "live"]
