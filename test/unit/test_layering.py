"""The layering of docs/001-layering.md, read from the imports of every module in chatkeep/:
dependencies point inward, no adapter imports another, and only the composition root (and
the command line, through it) puts adapters together."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import chatkeep

ROOT = Path(chatkeep.__file__).parent
# The adapters: each implements ports (or, for http, drives the use cases) and may use the
# domain and the use cases' ports, never another adapter.
ADAPTERS = ("repository", "storage", "http", "local")
# What each part of chatkeep may import from chatkeep, besides itself.
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "usecase": {"domain"},
    **{adapter: {"domain", "usecase"} for adapter in ADAPTERS},
    "bootstrap": {"domain", "usecase", *ADAPTERS},
    "cli": {"bootstrap", "arguments"},
    "arguments": set(),
    "__main__": {"cli"},
    "__init__": set(),
}
# Libraries that stay out of the inner layers (docs/001: use cases never see a path's
# library, Starlette, pydantic or SQLAlchemy).
FRAMEWORKS = ("starlette", "uvicorn", "pydantic", "pydantic_settings", "sqlalchemy", "alembic")
INNER_FORBIDDEN = (*FRAMEWORKS, "pathlib", "os", "httptools", "prometheus_client", "structlog")


def part_of(module: Path) -> str:
    """The layer a file of chatkeep/ belongs to: its top-level package or module."""
    relative = module.relative_to(ROOT)
    return relative.parts[0].removesuffix(".py")


def chatkeep_imports(module: Path) -> list[tuple[str, int]]:
    """Every name of chatkeep (or a library) that `module` imports, with its line,
    type-checking-only imports included."""
    tree = ast.parse(module.read_text(), filename=str(module))
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "chatkeep":  # the package's own names (__version__) or modules
                found += [
                    (
                        f"chatkeep.{'__init__' if alias.name.startswith('__') else alias.name}",
                        node.lineno,
                    )
                    for alias in node.names
                ]
            else:
                found.append((node.module, node.lineno))
    return found


MODULES = sorted(ROOT.rglob("*.py"))


def test_every_module_belongs_to_a_known_part() -> None:
    """A new top-level module or package must be given its place in ALLOWED (and in
    docs/001) before it can be imported from anywhere."""
    assert {part_of(module) for module in MODULES} <= set(ALLOWED)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: str(m.relative_to(ROOT)))
def test_imports_point_inward(module: Path) -> None:
    """Each module imports from chatkeep only its own part, the package's own names
    (`__version__`) and the parts ALLOWED for it: the domain nothing, the use cases the
    domain, an adapter the domain and the use cases (never another adapter), the
    composition root everything, the command line the composition root."""
    own = part_of(module)
    wrong = [
        f"line {line}: {name}"
        for name, line in chatkeep_imports(module)
        if name.split(".")[0] == "chatkeep"
        and len(name.split(".")) > 1
        and name.split(".")[1] not in ALLOWED[own] | {own, "__init__"}
    ]
    assert wrong == [], f"{own} may import only {sorted(ALLOWED[own])}"


@pytest.mark.parametrize(
    "module",
    [m for m in MODULES if part_of(m) in ("domain", "usecase")],
    ids=lambda m: str(m.relative_to(ROOT)),
)
def test_the_inner_layers_import_no_framework_and_no_file_system(module: Path) -> None:
    """The domain and the use cases import no web framework, validation library, database
    toolkit or file system module."""
    wrong = [
        f"line {line}: {name}"
        for name, line in chatkeep_imports(module)
        if name.split(".")[0] in INNER_FORBIDDEN
    ]
    assert wrong == []


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    """The reader finds an adapter's import of another adapter, including one made only for
    type checking, so the layering test above cannot pass vacuously."""
    module = tmp_path / "sample.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "from chatkeep.domain.chat import Chat\n"
        "if TYPE_CHECKING:\n"
        "    from chatkeep.storage.usage import UsageLedger\n"
        "import chatkeep.repository.sql.usage\n"
    )
    names = [name for name, _ in chatkeep_imports(module)]
    assert "chatkeep.storage.usage" in names
    assert "chatkeep.repository.sql.usage" in names
    assert "chatkeep.domain.chat" in names
