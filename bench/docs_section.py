"""Rewriting one marked section of docs/benchmarks.md, leaving the others as they are."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def replace_section(name: str, text: str, path: Path = DOCS / "benchmarks.md") -> None:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    current = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{start}\n{text}{end}\n"
    if start in current:
        before, rest = current.split(start, 1)
        current = before + block + rest.split(end, 1)[1].lstrip("\n")
    else:
        current = current.rstrip("\n") + "\n\n" + block
    path.write_text(current)
