"""The registry of ledger kinds: every kind keeps its name and the meaning of its body.

`tests/ledger/kinds.json` is the record of every kind ever published. Adding a kind means
adding it to `ledger/kinds.py` (a `Kind` member and its `MEANINGS` entry) and to the JSON;
removing one, or editing what its body means, fails here: entries already in the ledger keep
that meaning. A changed body is a new kind.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from core import articles
from ledger.kinds import MEANINGS, Kind

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = Path(__file__).with_name("kinds.json")
KIND_TEXT = re.compile(r"(authority|broker|consent|ledger|registry|[a-z]+)\.[a-z_]+\.[a-z_]+")


def test_every_kind_has_a_meaning_and_the_domain_noun_verb_shape():
    assert set(MEANINGS) == set(Kind)
    for kind in Kind:
        assert re.fullmatch(r"[a-z]+\.[a-z_]+\.[a-z_]+", kind.value), kind
        assert "Body:" in MEANINGS[kind], kind


def test_no_kind_disappears_or_changes_meaning():
    published = json.loads(SNAPSHOT.read_text("utf-8"))
    now = {k.value: v for k, v in MEANINGS.items()}
    gone = sorted(set(published) - set(now))
    changed = sorted(k for k in published if k in now and now[k] != published[k])
    assert gone == [], f"ledger kinds removed: {gone} (entries with them exist for ever)"
    assert changed == [], f"meaning changed: {changed} (a new meaning is a new kind)"


def test_every_kind_is_published_in_the_snapshot():
    published = json.loads(SNAPSHOT.read_text("utf-8"))
    new = {k.value: v for k, v in MEANINGS.items() if k.value not in published}
    assert new == {}, f"add to tests/ledger/kinds.json: {json.dumps(new, ensure_ascii=False)}"


def loose_kinds(source: str) -> list[tuple[int, str]]:
    """String literals and f-strings in `source` that spell a ledger kind."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if KIND_TEXT.fullmatch(node.value) and node.value.split(".")[0] in TOPS:
                found.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):
            head = node.values[0] if node.values else None
            if (
                isinstance(head, ast.Constant)
                and str(head.value).split(".")[0] in TOPS
                and re.fullmatch(r"[a-z]+\.[a-z_]+\.", str(head.value))
            ):
                found.append((node.lineno, ast.unparse(node)))
    return found


TOPS = {"authority", "broker", "consent", "ledger", "registry", "sharing"}


def test_append_sites_name_a_kind_never_a_string():
    loose = []
    for path in articles.source_files(ROOT, articles.packages(ROOT)):
        rel = path.relative_to(ROOT).as_posix()
        if rel == "ledger/kinds.py":
            continue
        loose += [f"{rel}:{line}: {text}" for line, text in loose_kinds(path.read_text("utf-8"))]
    assert loose == []


def test_the_scan_finds_a_loose_kind_and_an_f_string_kind():
    source = 'ledger.append(s, "registry.asset.drafted", a, {})\nk = f"broker.deal.{verb}"\n'
    assert sorted(line for line, _ in loose_kinds(source)) == [1, 2]
