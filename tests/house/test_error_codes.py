"""House rule: every code a mutation can raise is listed in its SDL description.

Codes are `Code` enum members (one enum per domain in `<domain>/errors.py`, core's in
`core/errors.py`, the API's own in `schema/errors.py`). A raise site names a member, never a
string; mutation descriptions are built from members with `schema.errors.with_codes`.

Which codes a mutation can raise is read from the source (`ast`): the functions its resolver
reaches, followed through `schema/`, the domains, `core/` and `ledger/` (the call graph of
`core.articles`), and every `Code.X` those functions (or the module constants they read)
name. That over-approximates a little (a helper raising two codes counts both), which errs on
the side of documenting.
"""

from __future__ import annotations

import ast
import re
from enum import StrEnum
from functools import cache
from pathlib import Path

import graphql
import pytest

from core import articles
from schema import SDL_PATH

ROOT = Path(__file__).resolve().parents[2]
CODE_CALLS = {"UserError", "Problem", "fail"}
CODE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{2,}")


@cache
def scanned() -> tuple[list[articles.Operation], articles._Graph]:
    trees = {}
    for path in articles.source_files(ROOT, articles.packages(ROOT)):
        trees[articles.module_name(ROOT, path)] = (ast.parse(path.read_text("utf-8")), path)
    return articles._operations_and_graph(ROOT, trees)


def _is_code_enum(dotted: str | None) -> bool:
    return dotted is not None and (dotted == "Code" or dotted.endswith(".Code"))


def codes_named(graph: articles._Graph, module: articles._Module, node: ast.AST) -> set[str]:
    """`Code.X` (however `Code` was imported or aliased) named under `node`."""
    found = set()
    for sub in ast.walk(node):
        dotted = articles._dotted(sub)
        if dotted is None or "." not in dotted:
            continue
        head, *middle, member = dotted.split(".")
        target = module.names.get(head, head)
        if _is_code_enum(".".join([target, *middle])) and CODE.fullmatch(member):
            found.add(member)
    return found


@cache
def module_constants() -> dict[str, set[str]]:
    """ "module.NAME" -> the codes named in a module-level assignment (a table of codes)."""
    _, graph = scanned()
    constants: dict[str, set[str]] = {}
    for path in articles.source_files(ROOT, articles.packages(ROOT)):
        name = articles.module_name(ROOT, path)
        tree = ast.parse(path.read_text("utf-8"))
        for stmt in tree.body:
            targets = (
                stmt.targets
                if isinstance(stmt, ast.Assign)
                else [stmt.target]
                if isinstance(stmt, ast.AnnAssign) and stmt.value
                else []
            )
            for target in targets:
                if isinstance(target, ast.Name):
                    codes = codes_named(graph, graph.modules[name], stmt.value)
                    if codes:
                        constants[f"{name}.{target.id}"] = codes
    return constants


def codes_of(key: str) -> set[str]:
    """Codes one function names itself, or through a module constant it reads."""
    _, graph = scanned()
    module = graph.modules[graph.owner[key]]
    node = graph.functions[key]
    found = codes_named(graph, module, node)
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            found |= module_constants().get(module.names.get(sub.id, ""), set())
    return found


def reach(start: str) -> set[str]:
    """Functions `start` reaches, and every method of a domain class it names (`check.fail`
    on a `_Check` it builds); not of `schema/` classes (object types resolve their own fields,
    they are not part of the mutation), nor a refusal's `after_rollback` step (it records the
    attempt once the mutation has failed; the caller sees the refusal's code)."""
    _, graph = scanned()
    methods: dict[str, list[str]] = {}
    for key in graph.functions:
        module, qual = key.split(":", 1)
        if "." in qual and "<locals>" not in qual and not module.startswith("schema"):
            methods.setdefault(f"{module}.{qual.rsplit('.', 1)[0]}", []).append(key)
    seen, todo = {start}, [start]
    while todo:
        key = todo.pop()
        module = graph.modules[graph.owner[key]]
        targets = set(graph.references(key))
        for sub in ast.walk(graph.functions[key]):
            dotted = articles._dotted(sub)
            if dotted and "." not in dotted and dotted in module.names:
                resolved = module.names[dotted]
                for _ in range(5):  # follow re-exports to the class
                    if resolved in methods:
                        break
                    mod, _, name = resolved.rpartition(".")
                    resolved = (
                        graph.modules[mod].names.get(name, resolved)
                        if mod in graph.modules
                        else resolved
                    )
                targets |= set(methods.get(resolved, ()))
        for target in targets - seen:
            if target.endswith(".after_rollback"):
                continue
            seen.add(target)
            todo.append(target)
    return seen


def documented() -> dict[str, set[str]]:
    """Mutation name -> the codes its SDL description lists."""
    sdl = graphql.build_schema(SDL_PATH.read_text("utf-8"))
    out = {}
    for name, field in sdl.mutation_type.fields.items():
        text = field.description or ""
        listed = text.split("userErrors codes:", 1)[1] if "userErrors codes:" in text else ""
        out[name] = set(CODE.findall(listed.split(".")[0]))
    return out


def undocumented() -> list[str]:
    operations, graph = scanned()
    docs = documented()
    problems = []
    for op in operations:
        kind, _, name = op.name.partition(".")
        if kind != "Mutation":
            continue
        raised: dict[str, str] = {}
        for key in sorted(reach(op.resolver)):
            for code in codes_of(key):
                raised.setdefault(code, key)
        for code, where in sorted(raised.items()):
            if code not in docs.get(name, set()):
                problems.append(
                    f"{op.name} can raise {code} ({where}) but its SDL does not list it"
                )
    return problems


def test_every_code_a_mutation_can_raise_is_in_its_sdl_description():
    assert undocumented() == []


def test_the_scan_finds_the_codes_of_a_use_case_deep_in_the_domain():
    """The scan must be able to fail: reviewAssetRegistration reaches the working-day count
    (WORKING_DAYS_INVALID, core) and the field check of a change (registry)."""
    operations, _ = scanned()
    (review,) = [o for o in operations if o.name == "Mutation.reviewAssetRegistration"]
    raised = set().union(*(codes_of(k) for k in reach(review.resolver)))
    assert {"ASSET_NOT_FOUND", "ID_INVALID", "REASON_REQUIRED"} <= raised
    (change,) = [o for o in operations if o.name == "Mutation.changeAssetRegistration"]
    assert "FIELD_NOT_CHANGEABLE" in set().union(*(codes_of(k) for k in reach(change.resolver)))


def test_raise_sites_name_a_code_member_not_a_string():
    loose = []
    for path in articles.source_files(ROOT, articles.packages(ROOT)):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in CODE_CALLS:
                continue
            args = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "code")]
            for arg in args:
                if isinstance(arg, ast.Constant | ast.JoinedStr):
                    rel = path.relative_to(ROOT)
                    loose.append(f"{rel}:{node.lineno}: {name}({ast.unparse(arg)}, …)")
    assert loose == []


@pytest.mark.parametrize(
    "package", ["authority", "broker", "consent", "ledger", "registry", "sharing"]
)
def test_each_domain_exports_its_code_enum(package):
    module = __import__(package)
    assert issubclass(module.Code, StrEnum)
    assert all(member.value == member.name for member in module.Code)
