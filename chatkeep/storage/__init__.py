"""Filesystem adapter: chat directories, history.md, usage and quotas."""
