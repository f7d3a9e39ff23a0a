"""chatkeep: workspace and chat storage for AI-sandbox orchestrators."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    # One source: pyproject.toml's version, as installed (`chatkeep --version`, OpenAPI).
    __version__ = version("chatkeep")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
