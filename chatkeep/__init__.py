"""chatkeep: workspace and chat storage for AI-sandbox orchestrators."""

from __future__ import annotations

__version__ = "0.1.0"
