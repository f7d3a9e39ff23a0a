from __future__ import annotations

from pathlib import Path

from bench.docs_section import replace_section


def test_a_section_is_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    """Rewriting one marked section keeps the text around it and the other sections."""
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nintro\n")
    replace_section("a", "first A\n", doc)
    replace_section("b", "only B\n", doc)
    replace_section("a", "second A\n", doc)
    text = doc.read_text()
    assert "first A" not in text
    assert text.index("intro") < text.index("second A") < text.index("only B")
    assert text.count("<!-- a:start -->") == 1
