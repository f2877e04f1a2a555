"""House rules on imports, read from the source with `ast` (docs/DESIGN.md, "Layers").

- Arrows point down: `server → schema → domains → ledger → core`, and between domains only
  the edges DESIGN lists (`DOMAIN_EDGES`); `authority` is used by any domain and uses none.
- Another package is imported only through its `__init__` (`import registry`,
  `from registry import Asset`), never `registry.models`; core is the shared kit and is
  imported by module.
- Domain packages never import strawberry; `schema/` never imports SQLAlchemy (it calls
  domain functions, it writes no SQL).

A violation fails with one line per import, e.g.
`registry/items.py:15: registry must not import broker (broker)`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DOMAINS = ("supervision", "sharing", "broker", "consent", "registry", "authority")
LAYER = {"server": 4, "schema": 3, **dict.fromkeys(DOMAINS, 2), "ledger": 1, "core": 0}
# Between domains: who may import whom (besides authority, which any domain may use).
DOMAIN_EDGES = {
    "supervision": {"sharing", "broker", "consent", "registry"},
    "broker": {"consent", "registry"},
    "sharing": {"consent", "registry"},
    "consent": {"registry"},
    "registry": set(),
    "authority": set(),
}
# Packages other packages reach only through their `__init__`.
THROUGH_INIT = {*DOMAINS, "ledger"}
FORBIDDEN = {
    **{d: ("strawberry",) for d in DOMAINS},
    "schema": ("sqlalchemy", "sqlmodel"),
}


@dataclass(frozen=True)
class Import:
    path: str  # "registry/items.py"
    line: int
    package: str  # the importing top-level package
    module: str  # the module imported, dotted
    names: tuple[str, ...]  # for `from module import names`


def imports_of(path: Path, root: Path = ROOT) -> list[Import]:
    rel = path.relative_to(root)
    package = rel.parts[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found += [Import(rel.as_posix(), node.lineno, package, a.name, ()) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = tuple(a.name for a in node.names)
            found.append(Import(rel.as_posix(), node.lineno, package, node.module, names))
    return found


def _exports(package: str, root: Path) -> set[str]:
    """Names a package's `__init__` offers: its `__all__`."""
    tree = ast.parse((root / package / "__init__.py").read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return set()


def violations(root: Path = ROOT) -> list[str]:
    problems = []
    exports: dict[str, set[str]] = {}
    for package in LAYER:
        if not (root / package).is_dir():
            continue
        for path in sorted((root / package).rglob("*.py")):
            for imp in imports_of(path, root):
                problems += _check(imp, root, exports)
    return problems


def _check(imp: Import, root: Path, exports: dict[str, set[str]]) -> list[str]:
    where = f"{imp.path}:{imp.line}:"
    target = imp.module.split(".")[0]
    own = imp.package
    for banned in FORBIDDEN.get(own, ()):
        if target == banned:
            return [f"{where} {own} must not import {banned} ({imp.module})"]
    if target not in LAYER or target == own:
        return []
    if LAYER[target] > LAYER[own]:
        return [f"{where} {own} must not import {target} ({imp.module}): arrows point down"]
    if (
        LAYER[target] == LAYER[own] == LAYER["registry"]
        and target != "authority"
        and target not in DOMAIN_EDGES.get(own, set())
    ):
        return [f"{where} {own} must not import {target} ({imp.module})"]
    if target in THROUGH_INIT:
        if imp.module != target:
            return [f"{where} {own} imports {imp.module}: go through {target}'s __init__"]
        if target not in exports:
            exports[target] = _exports(target, root)
        hidden = [n for n in imp.names if n not in exports[target]]
        if hidden:
            return [f"{where} {own} imports {', '.join(hidden)} from {target}: not in its __all__"]
    return []


def test_imports_follow_the_house_rules():
    assert violations() == []


def test_a_violation_is_reported_with_its_line(tmp_path):
    """The rules can fail: one upward import, one bypass of `__init__`, one strawberry."""
    for package in ("registry", "broker", "consent", "ledger", "core"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text('__all__ = ["Asset"]\n')
    (tmp_path / "registry" / "items.py").write_text("import ledger\n\n\nimport broker\n")
    (tmp_path / "broker" / "flows.py").write_text("from registry.models import Asset\n")
    (tmp_path / "consent" / "types.py").write_text("import strawberry\n")
    assert violations(tmp_path) == [
        "broker/flows.py:1: broker imports registry.models: go through registry's __init__",
        "consent/types.py:1: consent must not import strawberry (strawberry)",
        "registry/items.py:4: registry must not import broker (broker)",
    ]
