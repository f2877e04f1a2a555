"""Traceability: every article of the Measures, the code that carries it, the tests that pin it.

Pure and importable without a database, the schema or the test modules: everything is read
from files with `tomllib`, `tokenize` and `ast`.

- `docs/articles.toml` declares each article's obligation (English, Chinese), its status and,
  unless it is done, why; the Chinese text of the Measures is `docs/regulation/`.
- A citation is a comment of one grammar, on the line above or at the end of the line that
  carries the rule: `# Art. 15: <what>` (the Measures), `# PIPL Art. 28: …`, `# DSL Art. 21: …`.
  It belongs to the innermost function or class around that line (a comment just above a `def`
  or its decorators belongs to that function), else to the module.
- A test pins an article with `@pytest.mark.article(15)` / `@pytest.mark.article(28,
  law="PIPL")`, on the function, its class, or `pytestmark = …` at module level.
- GraphQL operations carry what their resolvers reach: the root fields of `schema/` classes
  named `…Query`, `…Mutation`, `…Subscription`, followed through the functions they name in
  `schema/` and in the domain packages; `core/`, `ledger/` and `server/` functions count only
  when a resolver in `schema/` names them itself (every use case appends to the ledger, and
  that does not make every mutation carry the ledger's articles), and `schema/` helpers that
  several functions share (runners) are not followed.

`build(root)` scans; `markdown(...)` and `snapshot(...)` render; `coverage()` is the snapshot
the running server reads (`core/articles.json`, generated, committed, checked by the suite).
"""

from __future__ import annotations

import ast
import io
import json
import re
import tokenize
import tomllib
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

MEASURES = "Measures"
# How many articles each law a citation may name has.
LAWS = {MEASURES: 36, "PIPL": 74, "DSL": 55}
LAW_NAMES = {
    MEASURES: "Jiangmen Measures for the Sharing and Open Utilisation of Public Data (2023)",
    "PIPL": "Personal Information Protection Law of the PRC (2021)",
    "DSL": "Data Security Law of the PRC (2021)",
}
STATUSES = ("done", "partial", "missing", "declarative")
DATA_FILE = "docs/articles.toml"
TEXT_FILE = "docs/regulation/measures-2023.zh.txt"
MARKDOWN_FILE = "docs/ARTICLES.md"
SNAPSHOT_FILE = "core/articles.json"
INFRASTRUCTURE = ("core", "ledger", "server", "migrations")

CITATION = re.compile(r"#\s*(?:(PIPL|DSL)\s+)?Art\.\s+(\d+):\s+\S.*")
# A comment that starts like a citation but does not follow the grammar (ranges, "art.", …).
ALMOST = re.compile(r"#\s*(?:PIPL\b|DSL\b|Data Security Law\b|Art\b|Art\.|art\.|Article\b)")
ROOT = Path(__file__).resolve().parent.parent


# --- the regulation --------------------------------------------------------------------------


_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}


def chinese_number(text: str) -> int:
    """一 … 九十九 (enough for chapters and articles)."""
    if "十" not in text:
        return _DIGITS[text]
    tens, _, ones = text.partition("十")
    return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)


_CHAPTER = re.compile(r"^第([一二三四五六七八九十]+)章\s+(\S+)")
_ARTICLE = re.compile(r"^第([一二三四五六七八九十]+)条\s+")


@dataclass(frozen=True)
class Text:
    chapter: int
    chapter_zh: str
    text: str  # the whole article, paragraphs joined by newlines


def parse_text(text: str) -> dict[int, Text]:
    """The articles of the Chinese text, by number, each with its chapter."""
    articles: dict[int, list[str]] = {}
    chapters: dict[int, tuple[int, str]] = {}
    chapter: tuple[int, str] = (0, "")
    current: int | None = None
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if m := _CHAPTER.match(line):
            chapter = (chinese_number(m[1]), m[2])
            current = None
        elif m := _ARTICLE.match(line):
            current = chinese_number(m[1])
            articles[current] = [line[m.end() :].strip()]
            chapters[current] = chapter
        elif current is not None:
            articles[current].append(line)
    return {n: Text(*chapters[n], "\n".join(lines)) for n, lines in articles.items()}


@dataclass(frozen=True)
class Article:
    number: int
    chapter: int
    chapter_en: str
    chapter_zh: str
    status: str
    en: str
    zh: str
    reason: str


class DataError(ValueError):
    """docs/articles.toml or the text disagree with themselves or each other."""


def load_articles(root: Path = ROOT) -> list[Article]:
    """docs/articles.toml, checked against the Chinese text: every article once, a known
    status, a reason unless done, and the Chinese obligation quoted from its article."""
    data = tomllib.loads((root / DATA_FILE).read_text(encoding="utf-8"))
    texts = parse_text((root / TEXT_FILE).read_text(encoding="utf-8"))
    chapters_en = {int(k): v for k, v in data["chapters"].items()}
    problems = []
    if sorted(texts) != list(range(1, LAWS[MEASURES] + 1)):
        problems.append(f"{TEXT_FILE} holds articles {sorted(texts)}")
    articles = []
    for entry in data["article"]:
        number, status = entry["number"], entry["status"]
        reason = entry.get("reason", "").strip()
        where = f"Art. {number}"
        if status not in STATUSES:
            problems.append(f"{where}: status {status!r} is not one of {STATUSES}")
        if status != "done" and not reason:
            problems.append(f"{where}: status {status} needs a reason")
        text = texts.get(number)
        if text is None:
            problems.append(f"{where}: not in {TEXT_FILE}")
            continue
        flat = text.text.replace("\n", "")
        # Quoted from the article: fragments joined by "……" each appear in its text.
        if not all(part and part in flat for part in entry["zh"].split("……")):
            problems.append(f"{where}: zh is not quoted from the article's text")
        articles.append(
            Article(
                number=number,
                chapter=text.chapter,
                chapter_en=chapters_en.get(text.chapter, ""),
                chapter_zh=text.chapter_zh,
                status=status,
                en=entry["en"].strip(),
                zh=entry["zh"].strip(),
                reason=reason,
            )
        )
    numbers = [a.number for a in articles]
    if numbers != list(range(1, LAWS[MEASURES] + 1)):
        problems.append(f"{DATA_FILE} lists articles {numbers}, not 1-36 once each in order")
    if problems:
        raise DataError("; ".join(problems))
    return articles


# --- citations in the code -------------------------------------------------------------------


@dataclass(frozen=True)
class Citation:
    law: str
    number: int
    note: str
    path: str  # relative to the root, "/"-separated
    line: int  # of the comment
    module: str
    qualname: str  # "" when at module level

    @property
    def carrier(self) -> str:
        return f"{self.module}:{self.qualname}" if self.qualname else self.module


@dataclass(frozen=True)
class Malformed:
    path: str
    line: int
    comment: str


def packages(root: Path = ROOT) -> list[str]:
    """The top-level packages pdex installs (pyproject's `include`): the code that is scanned."""
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    include = data["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted({p.rstrip("*") for p in include})


def source_files(root: Path, names: list[str]) -> list[Path]:
    files = []
    for name in names:
        files.extend(p for p in (root / name).rglob("*.py") if "__pycache__" not in p.parts)
    return sorted(files)


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@dataclass
class _Scope:
    qualname: str
    start: int  # first decorator line
    end: int
    kind: str  # "def" or "class"
    node: ast.AST


def _scopes(tree: ast.Module) -> list[_Scope]:
    scopes: list[_Scope] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                start = min([d.lineno for d in child.decorator_list] + [child.lineno])
                qualname = f"{prefix}{child.name}"
                kind = "class" if isinstance(child, ast.ClassDef) else "def"
                scopes.append(_Scope(qualname, start, child.end_lineno or start, kind, child))
                walk(child, f"{qualname}." if kind == "class" else f"{qualname}.<locals>.")
            else:
                walk(child, prefix)

    walk(tree, "")
    return scopes


def _enclosing(scopes: list[_Scope], line: int) -> str:
    inside = [s for s in scopes if s.start <= line <= s.end]
    return max(inside, key=lambda s: s.start).qualname if inside else ""


def scan_source(
    source: str, path: str, module: str
) -> tuple[list[Citation], list[Malformed], list[int]]:
    """Citations in one module; comments that look like citations but are not; and the lines
    of citations the grammar accepts but of no known law or article (out of range)."""
    tree = ast.parse(source)
    scopes = _scopes(tree)
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    code_lines = sorted(
        {
            t.start[0]
            for t in tokens
            if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT)
            and t.type not in (tokenize.DEDENT, tokenize.ENDMARKER)
        }
    )
    citations, malformed, unknown = [], [], []
    comments = [t for t in tokens if t.type == tokenize.COMMENT]
    alone = {t.start[0]: t.string for t in comments if not t.line[: t.start[1]].strip()}
    for token in comments:
        comment = token.string
        line = token.start[0]
        match = CITATION.fullmatch(comment.rstrip())
        if not match:
            if ALMOST.match(comment):
                malformed.append(Malformed(path, line, comment))
            continue
        law, number = match[1] or MEASURES, int(match[2])
        if not 1 <= number <= LAWS[law]:
            unknown.append(line)
        # Standing alone, a comment carries the next line of code; trailing, its own line.
        standalone = line in alone
        carried = next((n for n in code_lines if n > line), line) if standalone else line
        note = comment.split(":", 1)[1].strip()
        # A standalone citation may go on over the comment lines below it.
        follow = line + 1
        while standalone and follow in alone and not ALMOST.match(alone[follow]):
            note += " " + alone[follow].lstrip("#").strip()
            follow += 1
        citations.append(
            Citation(law, number, note, path, line, module, _enclosing(scopes, carried))
        )
    return citations, malformed, unknown


# --- tests that pin articles -----------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    law: str
    number: int
    test: str  # pytest node id: tests/x/test_y.py::Class::test_z
    path: str
    line: int  # of the test function
    marked_at: int  # the line of the marker


def _marks(node: ast.expr) -> list[tuple[str, int, int]]:
    """(law, number, line) of every `pytest.mark.article(...)` in an expression."""
    found = []
    for call in ast.walk(node):
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "article"
            and isinstance(call.func.value, ast.Attribute)
            and call.func.value.attr == "mark"
        ):
            continue
        law = MEASURES
        for keyword in call.keywords:
            if keyword.arg == "law" and isinstance(keyword.value, ast.Constant):
                law = str(keyword.value.value)
        for arg in call.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, int):
                found.append((law, arg.value, call.lineno))
    return found


def scan_tests(source: str, path: str) -> list[Pin]:
    tree = ast.parse(source)
    module_marks: list[tuple[str, int, int]] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            module_marks.extend(_marks(node.value))
    pins: list[Pin] = []

    def visit(body: list[ast.stmt], prefix: str, inherited: list[tuple[str, int, int]]) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                marks = [m for d in node.decorator_list for m in _marks(d)]
                visit(node.body, f"{prefix}{node.name}::", inherited + marks)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test"
            ):
                marks = inherited + [m for d in node.decorator_list for m in _marks(d)]
                test = f"{path}::{prefix}{node.name}"
                for law, number, at in dict.fromkeys(marks):
                    pins.append(Pin(law, number, test, path, node.lineno, at))

    visit(tree.body, "", module_marks)
    return pins


# --- GraphQL operations ----------------------------------------------------------------------


def camel(name: str) -> str:
    """strawberry's auto_camel_case."""
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


_ROOTS = ("Query", "Mutation", "Subscription")
_FIELD_DECORATORS = {"field", "mutation", "subscription"}


def _root_of(class_name: str) -> str | None:
    return next((r for r in _ROOTS if class_name.endswith(r)), None)


def _field_name(decorator: ast.expr, default: str) -> str | None:
    """The GraphQL name when the decorator is strawberry.field/mutation/subscription."""
    call = decorator if isinstance(decorator, ast.Call) else None
    target = call.func if call else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
    if name not in _FIELD_DECORATORS:
        return None
    for keyword in call.keywords if call else ():
        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
            return str(keyword.value.value)
    return camel(default)


class _Module:
    """One module's names: what each imported or defined name stands for (dotted)."""

    def __init__(self, name: str, tree: ast.Module, is_package: bool) -> None:
        self.name = name
        self.names: dict[str, str] = {}
        package = name if is_package else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.names[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        self.names[top] = top
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - (node.level - 1)]
                    base = ".".join([*parts, base] if base else parts)
                for alias in node.names:
                    self.names[alias.asname or alias.name] = f"{base}.{alias.name}"
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.names[node.name] = f"{name}.{node.name}"


@dataclass
class _Graph:
    modules: dict[str, _Module] = field(default_factory=dict)
    functions: dict[str, ast.AST] = field(default_factory=dict)  # "mod:qual" -> node
    owner: dict[str, str] = field(default_factory=dict)  # "mod:qual" -> module
    _references: dict[str, set[str]] = field(default_factory=dict)

    def resolve(self, dotted: str) -> str | None:
        """ "registry.create_resource" -> "registry.catalogue:create_resource", through
        re-exports in `__init__`s; None when it is no function of the scanned code."""
        for _ in range(10):
            module, _, rest = dotted, "", ""
            # the longest module prefix
            parts = dotted.split(".")
            for i in range(len(parts), 0, -1):
                if ".".join(parts[:i]) in self.modules:
                    module, rest = ".".join(parts[:i]), ".".join(parts[i:])
                    break
            else:
                return None
            if not rest:
                return None
            if f"{module}:{rest}" in self.functions:
                return f"{module}:{rest}"
            head, _, tail = rest.partition(".")
            target = self.modules[module].names.get(head)
            if target is None or target == f"{module}.{head}":
                return None
            dotted = f"{target}.{tail}" if tail else target
        return None

    def references(self, key: str) -> set[str]:
        """The scanned functions a function names (calls or passes), resolved."""
        if key not in self._references:
            self._references[key] = self._find_references(key)
        return self._references[key]

    def _find_references(self, key: str) -> set[str]:
        node, module = self.functions[key], self.modules[self.owner[key]]
        qual = key.split(":", 1)[1]
        cls = qual.rsplit(".", 1)[0] if "." in qual else None
        found = set()
        for sub in ast.walk(node):
            dotted = _dotted(sub)
            if dotted is None:
                continue
            head, _, tail = dotted.partition(".")
            if head in ("self", "cls") and cls and tail:
                target = f"{module.name}:{cls}.{tail.split('.')[0]}"
                if target in self.functions:
                    found.add(target)
                continue
            base = module.names.get(head)
            if base is None:
                continue
            resolved = self.resolve(f"{base}.{tail}" if tail else base)
            if resolved and resolved != key:
                found.add(resolved)
        return found


def _dotted(node: ast.AST) -> str | None:
    """`a.b.c` of a Name/Attribute chain at a load (not a store), else None."""
    if not isinstance(node, ast.Name | ast.Attribute) or not isinstance(node.ctx, ast.Load):
        return None
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


@dataclass(frozen=True)
class Operation:
    name: str  # "Mutation.createResource"
    resolver: str  # "schema.registry:ResourceMutation.create_resource"


def _operations_and_graph(
    root: Path, trees: dict[str, tuple[ast.Module, Path]]
) -> tuple[list[Operation], _Graph]:
    graph = _Graph()
    for name, (tree, path) in trees.items():
        graph.modules[name] = _Module(name, tree, path.name == "__init__.py")
        for scope in _scopes(tree):
            if scope.kind == "def":
                key = f"{name}:{scope.qualname}"
                graph.functions[key] = scope.node
                graph.owner[key] = name
    operations = []
    for name, (tree, _) in trees.items():
        if name.split(".")[0] != "schema":
            continue
        for node in tree.body:
            if not isinstance(node, ast.ClassDef) or not (kind := _root_of(node.name)):
                continue
            for method in node.body:
                if not isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                names = [_field_name(d, method.name) for d in method.decorator_list]
                gql = next((n for n in names if n), None)
                if gql:
                    operations.append(
                        Operation(f"{kind}.{gql}", f"{name}:{node.name}.{method.name}")
                    )
    return sorted(set(operations), key=lambda o: o.name), graph


def _shared_helpers(graph: _Graph, resolvers: set[str]) -> set[str]:
    """schema/ functions (not resolvers) that two or more schema/ functions name: runners
    such as the one that records a broker's refused action serve every mutation of a module,
    and following them would credit each of those mutations with what only one of them does."""
    named_by: dict[str, set[str]] = {}
    for key, module in graph.owner.items():
        if module.split(".")[0] != "schema":
            continue
        for target in graph.references(key):
            if graph.owner[target].split(".")[0] == "schema":
                named_by.setdefault(target, set()).add(key)
    return {f for f, by in named_by.items() if len(by) > 1 and f not in resolvers}


def _reach(graph: _Graph, start: str, shared: set[str]) -> set[str]:
    """Functions a resolver reaches: through schema/ and the domains (not through shared
    schema/ helpers); core/ledger/server functions only when a schema/ function names them."""
    seen, todo = {start}, [start]
    while todo:
        key = todo.pop()
        from_schema = graph.owner[key].split(".")[0] == "schema"
        for target in graph.references(key):
            if target in seen or target in shared:
                continue
            top = graph.owner[target].split(".")[0]
            if top in INFRASTRUCTURE:
                if from_schema:
                    seen.add(target)
                continue
            seen.add(target)
            todo.append(target)
    return seen


# --- the whole picture -----------------------------------------------------------------------


@dataclass(frozen=True)
class Carrier:
    function: str  # "module:qualname", or the module
    path: str
    line: int
    note: str


@dataclass(frozen=True)
class Test:
    id: str
    path: str
    line: int


@dataclass
class Entry:
    law: str
    number: int
    carriers: list[Carrier] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)
    tests: list[Test] = field(default_factory=list)


@dataclass
class Coverage:
    articles: list[Article]
    entries: dict[tuple[str, int], Entry]
    malformed: list[Malformed]
    unknown: list[str]  # "path:line: PIPL Art. 99" — citations and markers out of range

    def entry(self, law: str, number: int) -> Entry:
        return self.entries.get((law, number)) or Entry(law, number)

    def other_laws(self) -> list[Entry]:
        return [e for k, e in sorted(self.entries.items()) if k[0] != MEASURES]


def build(root: Path = ROOT) -> Coverage:
    """Scan the packages and tests under `root` against docs/articles.toml."""
    articles = load_articles(root)
    trees: dict[str, tuple[ast.Module, Path]] = {}
    citations: list[Citation] = []
    malformed: list[Malformed] = []
    unknown: list[str] = []
    for path in source_files(root, packages(root)):
        source = path.read_text(encoding="utf-8")
        rel = path.relative_to(root).as_posix()
        module = module_name(root, path)
        found, bad, out = scan_source(source, rel, module)
        citations += found
        malformed += bad
        unknown += [f"{rel}:{n}: citation of no such article" for n in out]
        trees[module] = (ast.parse(source), path)
    pins: list[Pin] = []
    for path in sorted((root / "tests").rglob("test_*.py")):
        pins += scan_tests(path.read_text(encoding="utf-8"), path.relative_to(root).as_posix())
    unknown += [
        f"{p.path}:{p.marked_at}: marker for {p.law} Art. {p.number}"
        for p in pins
        if p.law not in LAWS or not 1 <= p.number <= LAWS[p.law]
    ]
    entries: dict[tuple[str, int], Entry] = {}

    def entry(law: str, number: int) -> Entry:
        return entries.setdefault((law, number), Entry(law, number))

    for c in citations:
        entry(c.law, c.number).carriers.append(Carrier(c.carrier, c.path, c.line, c.note))
    for p in pins:
        if p.law in LAWS:
            entry(p.law, p.number).tests.append(Test(p.test, p.path, p.line))
    operations, graph = _operations_and_graph(root, trees)
    cited: dict[str, set[tuple[str, int]]] = {}
    for c in citations:
        cited.setdefault(c.carrier, set()).add((c.law, c.number))
    resolvers = {op.resolver for op in operations}
    shared = _shared_helpers(graph, resolvers)
    for op in operations:
        if op.resolver not in graph.functions:
            continue
        reached = _reach(graph, op.resolver, shared)
        carried = set().union(*(cited.get(f, set()) for f in reached))
        for key in carried:
            entry(*key).operations.append(op.name)
    for e in entries.values():
        e.carriers.sort(key=lambda c: (c.path, c.line))
        e.operations = sorted(set(e.operations))
        e.tests = sorted(set(e.tests), key=lambda t: t.id)
    return Coverage(articles, entries, malformed, unknown)


# --- renderings ------------------------------------------------------------------------------


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _function_lines(e: Entry) -> list[str]:
    lines = []
    for function, group in _grouped(e.carriers):
        where = ", ".join(f"`{c.path}:{c.line}`" for c in group)
        notes = "; ".join(dict.fromkeys(c.note for c in group))
        lines.append(f"- `{function}` ({where}) — {_md(notes)}")
    return lines


def _grouped(carriers: list[Carrier]) -> list[tuple[str, list[Carrier]]]:
    groups: dict[str, list[Carrier]] = {}
    for c in carriers:
        groups.setdefault(c.function, []).append(c)
    return list(groups.items())


def table(data: dict[str, Any]) -> str:
    """The short table `pdex articles` prints, from a snapshot (`snapshot(...)`)."""
    rows = [f"{'Art.':>4}  {'status':<11}  {'fn':>3}  {'ops':>3}  {'tests':>5}  obligation"]
    for a in data["articles"]:
        functions = len({f["function"] for f in a["functions"]})
        rows.append(
            f"{a['number']:>4}  {a['status']:<11}  {functions:>3}  {len(a['operations']):>3}  "
            f"{len(a['tests']):>5}  {a['en']}"
        )
    counts = {s: sum(a["status"] == s for a in data["articles"]) for s in STATUSES}
    rows.append("")
    rows.append(", ".join(f"{n} {s}" for s, n in counts.items()) + f" of {len(data['articles'])}")
    for o in data["otherLaws"]:
        functions = len({f["function"] for f in o["functions"]})
        rows.append(
            f"{o['law']} Art. {o['number']}: {functions} functions, "
            f"{len(o['operations'])} operations, {len(o['tests'])} tests"
        )
    return "\n".join(rows) + "\n"


def markdown(coverage: Coverage) -> str:
    counts = {s: sum(a.status == s for a in coverage.articles) for s in STATUSES}
    out = [
        "# The Measures, article by article, in pdex",
        "",
        "<!-- Generated by `make articles` (core/articles.py) from docs/articles.toml, the",
        "     `# Art. N:` citations in the code and the `article` markers on the tests.",
        "     Do not edit: a test fails when this file differs from what the generator writes. -->",
        "",
        f"{LAW_NAMES[MEASURES]} — 江门市公共数据共享和开放利用管理办法 (Jiangmen People's",
        "Government Order No. 12, in force 2023-08-15). The Chinese text is authoritative:",
        "[regulation/measures-2023.zh.txt](regulation/measures-2023.zh.txt).",
        "",
        "Status: " + ", ".join(f"**{n} {s}**" for s, n in counts.items()) + ".",
        "",
        "How to read it: *status* and *reason* are declared in `docs/articles.toml`. *Functions*",
        "carry a comment `# Art. N: …` (`module:qualname`, at `file:line`). *GraphQL operations*",
        "are the root fields whose resolvers reach a cited function: through `schema/` and the",
        "domain packages, and `core/`, `ledger/` or `server/` functions only when a resolver names",
        "them itself. *Tests* carry `@pytest.mark.article(N)`. The same table is served by the",
        "`regulationCoverage` query and printed by `pdex articles`.",
        "",
        "| Art. | status | obligation | functions | operations | tests |",
        "|---:|---|---|---:|---:|---:|",
    ]
    for a in coverage.articles:
        e = coverage.entry(MEASURES, a.number)
        out.append(
            f"| [{a.number}](#art-{a.number}) | {a.status} | {_md(a.en)} | "
            f"{len(_grouped(e.carriers))} | {len(e.operations)} | {len(e.tests)} |"
        )
    chapter = None
    for a in coverage.articles:
        if a.chapter != chapter:
            chapter = a.chapter
            out += ["", f"## Chapter {a.chapter}: {a.chapter_en} ({a.chapter_zh})"]
        e = coverage.entry(MEASURES, a.number)
        out += ["", f'### Art. {a.number} <a id="art-{a.number}"></a>', ""]
        out += [f"- **Obligation:** {_md(a.en)}", f"- **义务:** {_md(a.zh)}"]
        out.append(f"- **Status:** {a.status}" + (f" — {_md(a.reason)}" if a.reason else ""))
        out += _details(e)
    out += ["", "## Other laws pdex cites", ""]
    out.append("PIPL: " + LAW_NAMES["PIPL"] + ". DSL: " + LAW_NAMES["DSL"] + ".")
    for e in coverage.other_laws():
        out += ["", f"### {e.law} Art. {e.number}", ""]
        out += _details(e)
    return "\n".join(out) + "\n"


def _details(e: Entry) -> list[str]:
    out = []
    functions = _function_lines(e)
    out.append("- **Functions:**" + ("" if functions else " none"))
    out += ["  " + line for line in functions]
    ops = ", ".join(f"`{o}`" for o in e.operations)
    out.append("- **GraphQL operations:** " + (ops or "none"))
    out.append("- **Tests:**" + ("" if e.tests else " none"))
    out += [f"  - `{t.id}`" for t in e.tests]
    return out


def snapshot(coverage: Coverage) -> dict[str, Any]:
    """What the API serves: plain data, written to core/articles.json."""

    def entry(e: Entry) -> dict[str, Any]:
        return {
            "functions": [asdict(c) for c in e.carriers],
            "operations": e.operations,
            "tests": [asdict(t) for t in e.tests],
        }

    return {
        "articles": [
            {**asdict(a), **entry(coverage.entry(MEASURES, a.number))} for a in coverage.articles
        ],
        "otherLaws": [
            {"law": e.law, "number": e.number, **entry(e)} for e in coverage.other_laws()
        ],
    }


def snapshot_text(coverage: Coverage) -> str:
    return json.dumps(snapshot(coverage), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def rendered(coverage: Coverage) -> dict[str, str]:
    """The generated files, by path relative to the root."""
    return {MARKDOWN_FILE: markdown(coverage), SNAPSHOT_FILE: snapshot_text(coverage)}


def stale(root: Path = ROOT, coverage: Coverage | None = None) -> list[str]:
    """The generated files that differ from what the generator writes now."""
    files = rendered(coverage or build(root))
    return [
        name
        for name, text in files.items()
        if not (root / name).exists() or (root / name).read_text(encoding="utf-8") != text
    ]


def write(root: Path = ROOT) -> Coverage:
    """Regenerate docs/ARTICLES.md and core/articles.json (`make articles`)."""
    coverage = build(root)
    for name, text in rendered(coverage).items():
        (root / name).write_text(text, encoding="utf-8")
    return coverage


def has_source_tree(root: Path = ROOT) -> bool:
    """True in a checkout (or an editable install): the data file and tests are there."""
    return (root / DATA_FILE).is_file() and (root / "tests").is_dir()


@cache
def coverage() -> dict[str, Any]:
    """The generated snapshot, read once per process: the server never scans the tree."""
    path = Path(__file__).resolve().parent / "articles.json"
    return json.loads(path.read_text(encoding="utf-8"))
