"""Layouts build components from view models: no module in layouts/ imports the runtime, the frame
store or the app database (read from the source, so a lazy import inside a function counts too)."""
from __future__ import annotations

import ast
from pathlib import Path

LAYOUTS = Path(__file__).resolve().parents[1] / "layouts"
FORBIDDEN = {"dashboard.runtime", "dashboard.store", "dashboard.db"}


def imported_modules(source: str) -> set[str]:
    """Every module a source imports, ``from dashboard import runtime`` as ``dashboard.runtime``."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out


def test_the_check_sees_every_form_of_import():
    source = ("import dashboard.db\nfrom dashboard import runtime as rt\n"
              "def f():\n    from dashboard.store import FrameStore\n")
    assert FORBIDDEN <= imported_modules(source)


def test_no_layout_module_reads_the_store_or_the_database():
    offenders = {path.name: sorted(imported_modules(path.read_text(encoding="utf-8")) & FORBIDDEN)
                 for path in sorted(LAYOUTS.glob("*.py"))}
    assert {name: found for name, found in offenders.items() if found} == {}
