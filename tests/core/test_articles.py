"""Traceability (core/articles.py): the generated table is the code's, and the suite fails when
it drifts, when a done article has no test, when a citation or marker names no article, or
when the declared statuses lack their reasons."""

from __future__ import annotations

import shutil
from pathlib import Path

import graphql
import pytest

from core import articles
from schema import SDL_PATH

ROOT = Path(__file__).resolve().parents[2]


# Scanning the source tree takes seconds and reads no database: once per `make test`, not per engine.
SCAN = pytest.mark.slow


@pytest.fixture(scope="module")
def coverage() -> articles.Coverage:
    return articles.build(ROOT)


@SCAN
def test_the_generated_files_are_current(coverage):
    assert articles.stale(ROOT, coverage) == [], "run `make articles` and commit the result"


@SCAN
def test_every_done_article_has_a_test(coverage):
    untested = [
        a.number
        for a in coverage.articles
        if a.status == "done" and not coverage.entry(articles.MEASURES, a.number).tests
    ]
    assert untested == [], f"articles marked done without a test: {untested}"


@SCAN
def test_citations_and_markers_name_existing_articles(coverage):
    assert coverage.unknown == []


@SCAN
def test_citations_follow_the_grammar(coverage):
    assert [f"{m.path}:{m.line}: {m.comment}" for m in coverage.malformed] == []


@SCAN
def test_every_operation_found_is_a_root_field_of_the_schema(coverage):
    sdl = graphql.build_schema(SDL_PATH.read_text())
    fields = {
        f"{kind}.{name}"
        for kind, root in (
            ("Query", sdl.query_type),
            ("Mutation", sdl.mutation_type),
            ("Subscription", sdl.subscription_type),
        )
        if root
        for name in root.fields
    }
    found = {op for e in coverage.entries.values() for op in e.operations}
    assert found and found <= fields, found - fields


# --- the data file ----------------------------------------------------------------------------


def tree_copy(tmp_path: Path) -> Path:
    for name in (articles.DATA_FILE, articles.TEXT_FILE, "pyproject.toml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def edit(root: Path, old: str, new: str) -> None:
    path = root / articles.DATA_FILE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_data_file_declares_36_articles_quoted_from_the_text():
    loaded = articles.load_articles(ROOT)
    assert [a.number for a in loaded] == list(range(1, 37))
    assert {a.status for a in loaded} <= set(articles.STATUSES)
    assert loaded[7].zh == "按照一项数据有且只有一个法定数源部门的要求"
    assert loaded[14].chapter == 3 and loaded[14].chapter_zh == "公共数据共享与开放"


def test_a_status_other_than_done_needs_a_reason(tmp_path):
    root = tree_copy(tmp_path)
    pending = next(a for a in articles.load_articles(ROOT) if a.status != "done")
    edit(root, f'reason = "{pending.reason}', 'reason = ""\nx = "')
    with pytest.raises(
        articles.DataError, match=f"Art. {pending.number}: status {pending.status} needs a reason"
    ):
        articles.load_articles(root)


def test_an_unknown_status_and_a_misquoted_obligation_are_refused(tmp_path):
    root = tree_copy(tmp_path)
    edit(root, 'status = "done"', 'status = "finished"')
    edit(root, "按照一项数据有且只有一个法定数源部门的要求", "一项数据可以有两个数源部门")
    with pytest.raises(articles.DataError) as raised:
        articles.load_articles(root)
    assert "Art. 8: status 'finished'" in str(raised.value)
    assert "Art. 8: zh is not quoted" in str(raised.value)


def test_an_article_missing_from_the_data_file_is_refused(tmp_path):
    root = tree_copy(tmp_path)
    path = root / articles.DATA_FILE
    text = path.read_text(encoding="utf-8")
    start = text.index("[[article]]\nnumber = 36")
    path.write_text(text[:start], encoding="utf-8")
    with pytest.raises(articles.DataError, match="not 1-36"):
        articles.load_articles(root)


# --- the scanners -----------------------------------------------------------------------------

SOURCE = '''
"""Doc."""
# Art. 8: at module level
CODE = 1


# Art. 15: above the decorators belongs to the function,
# and the note goes on over the lines below
@decorator
async def answer(session):
    x = 1  # PIPL Art. 29: at the end of a line
    # DSL Art. 21: inside, on the line above
    return x


class Model:
    code: str = ""  # Art. 14: a field belongs to its class

    def method(self):
        # Art. 25: in a method
        return 1


# Art. 37: there is no such article
# PIPL Art. 75: nor this one
# Art. 14-15: a range is not the grammar
# Data Security Law art. 21: nor is this
# Article 3 of something: nor this
# An ordinary comment mentioning Art. 8 is prose, not a citation.
'''


def test_citations_are_attributed_to_the_code_that_carries_them():
    found, malformed, unknown = articles.scan_source(SOURCE, "x/m.py", "x.m")
    got = [(c.law, c.number, c.carrier, c.note) for c in found]
    assert got[:6] == [
        ("Measures", 8, "x.m", "at module level"),
        (
            "Measures",
            15,
            "x.m:answer",
            "above the decorators belongs to the function, and the note goes on over the lines below",
        ),
        ("PIPL", 29, "x.m:answer", "at the end of a line"),
        ("DSL", 21, "x.m:answer", "inside, on the line above"),
        ("Measures", 14, "x.m:Model", "a field belongs to its class"),
        ("Measures", 25, "x.m:Model.method", "in a method"),
    ]
    assert [c.line for c in found if c.line in unknown] == [24, 25]
    assert [m.comment.split(":")[0] for m in malformed] == [
        "# Art. 14-15",
        "# Data Security Law art. 21",
        "# Article 3 of something",
    ]


TESTS = """
import pytest

pytestmark = [pytest.mark.article(24), pytest.mark.slow]


@pytest.mark.article(28, law="PIPL")
async def test_one():
    pass


@pytest.mark.article(26)
class TestGroup:
    @pytest.mark.article(99)
    def test_two(self):
        pass


def helper():
    pass
"""


def test_markers_on_functions_classes_and_modules():
    pins = articles.scan_tests(TESTS, "tests/x/test_y.py")
    assert sorted((p.law, p.number, p.test) for p in pins) == [
        ("Measures", 24, "tests/x/test_y.py::TestGroup::test_two"),
        ("Measures", 24, "tests/x/test_y.py::test_one"),
        ("Measures", 26, "tests/x/test_y.py::TestGroup::test_two"),
        ("Measures", 99, "tests/x/test_y.py::TestGroup::test_two"),
        ("PIPL", 28, "tests/x/test_y.py::test_one"),
    ]


def test_an_out_of_range_marker_or_citation_fails_the_build(tmp_path):
    root = tree_copy(tmp_path)
    (root / "core").mkdir()
    (root / "core" / "x.py").write_text("# PIPL Art. 80: no such article\nX = 1\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_x.py").write_text(
        "import pytest\n\n\n@pytest.mark.article(37)\ndef test_x():\n    pass\n"
    )
    found = articles.build(root)
    assert found.unknown == [
        "core/x.py:1: citation of no such article",
        "tests/test_x.py:4: marker for Measures Art. 37",
    ]


def test_operations_carry_what_their_resolvers_reach(tmp_path):
    root = tree_copy(tmp_path)
    files = {
        "registry/__init__.py": "from registry.items import claim\n",
        "registry/items.py": (
            "# Art. 8: one source department\nasync def claim(s):\n    return _check(s)\n\n\n"
            "def _check(s):\n    # Art. 9: deep inside the domain\n    return s\n"
        ),
        "ledger/__init__.py": "# Art. 24: the chain\ndef append():\n    pass\n",
        "schema/__init__.py": "",
        "schema/items.py": (
            "import strawberry\nimport ledger\nimport registry\n\n\n"
            "def run(info, work):\n    # Art. 26: a shared runner\n    return work\n\n\n"
            "@strawberry.type\nclass Mutation:\n"
            "    @strawberry.mutation\n    async def claim_data_item(self, info):\n"
            "        return run(info, lambda s: registry.claim(s))\n\n"
            "    @strawberry.mutation(name='appendIt')\n    def append(self, info):\n"
            "        return run(info, ledger.append)\n"
        ),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "tests").mkdir()
    edit_pyproject = (root / "pyproject.toml").read_text()
    assert '"registry*"' in edit_pyproject
    found = articles.build(root)
    assert found.entry("Measures", 8).operations == ["Mutation.claimDataItem"]
    assert found.entry("Measures", 9).operations == ["Mutation.claimDataItem"]
    assert found.entry("Measures", 24).operations == ["Mutation.appendIt"]
    assert found.entry("Measures", 26).operations == []  # the shared runner is not followed


# --- the API ----------------------------------------------------------------------------------

QUERY = """query($status: ArticleStatus) { regulationCoverage(status: $status) {
  articles { number chapter chapterTitle { en zh } status reason obligation { en zh }
             carriers { functions { function path line note } operations tests { id } } }
  otherLaws { law number carriers { functions { function } tests { id } } } } }"""


async def test_regulation_coverage_is_public_and_matches_the_snapshot(gql):
    result = await gql(QUERY, {})
    assert "errors" not in result, result
    served = result["data"]["regulationCoverage"]
    snapshot = articles.coverage()
    assert [a["number"] for a in served["articles"]] == list(range(1, 37))
    art8 = served["articles"][7]
    assert art8["status"] == "DONE" and art8["reason"] == ""
    assert art8["obligation"]["zh"] == snapshot["articles"][7]["zh"]
    assert art8["chapterTitle"] == {
        "en": "Collection and aggregation of public data",
        "zh": "公共数据采集与汇聚",
    }
    functions = {f["function"] for f in art8["carriers"]["functions"]}
    assert "registry.items:claim_data_item" in functions
    assert "Mutation.claimDataItem" in art8["carriers"]["operations"]
    assert any(
        t["id"].startswith("tests/registry/test_items.py::") for t in art8["carriers"]["tests"]
    )
    assert {(o["law"], o["number"]) for o in served["otherLaws"]} >= {("PIPL", 29), ("DSL", 21)}

    missing = (await gql(QUERY, {"status": "MISSING"}))["data"]["regulationCoverage"]["articles"]
    assert missing and all(a["status"] == "MISSING" and a["reason"] for a in missing)
    expected = {a.number for a in articles.load_articles(ROOT) if a.status == "missing"}
    assert {a["number"] for a in missing} == expected


@SCAN
def test_pdex_articles_prints_the_table_from_the_code_or_the_snapshot(capsys, monkeypatch):
    from server.cli import main

    assert main(["articles", "--check"]) == 0
    scanned = capsys.readouterr().out
    assert "   8  done" in scanned and " of 36" in scanned
    monkeypatch.setattr(articles, "has_source_tree", lambda root=None: False)
    assert main(["articles"]) == 0
    assert capsys.readouterr().out == scanned
    assert main(["articles", "--write"]) == 2
