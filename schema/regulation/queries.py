"""GraphQL for traceability: each article of the Measures, its status, the functions and
operations that carry it and the tests that pin it (`regulationCoverage`, anyone, no token).

Served from the snapshot `make articles` generates (core/articles.json, read once per
process and checked against the code by the suite): a request never scans the source tree.
"""

from __future__ import annotations

from enum import Enum
from functools import cache
from typing import Annotated, Any

import strawberry

from core import articles


@strawberry.enum(description="Where pdex stands on an article (declared in docs/articles.toml).")
class ArticleStatus(Enum):
    DONE = "done"
    PARTIAL = "partial"
    MISSING = "missing"
    DECLARATIVE = "declarative"


@strawberry.type(
    description="A text in English (a working translation) and in Chinese (quoted "
    "from the authoritative text of the Measures)."
)
class Bilingual:
    en: str
    zh: str


@strawberry.type(description="A function (or module) that carries a rule, cited in the code.")
class CarrierFunction:
    function: str = strawberry.field(description="`module:qualname`, or the module alone.")
    path: str = strawberry.field(description="The file, relative to the repository.")
    line: int = strawberry.field(description="The line of the citation comment.")
    note: str = strawberry.field(description="What the citation says the code does.")


@strawberry.type(description="A test that pins a rule (`@pytest.mark.article`).")
class PinningTest:
    id: str = strawberry.field(description="The pytest node id.")
    path: str
    line: int


@strawberry.type(description="What carries an article and what pins it.")
class Carriers:
    functions: list[CarrierFunction]
    operations: list[str] = strawberry.field(
        description="Root fields (`Mutation.createResource`) whose resolvers reach a cited "
        "function."
    )
    tests: list[PinningTest]


@strawberry.type(description="An article of the Measures and where pdex stands on it.")
class RegulationArticle:
    number: int
    chapter: int
    chapter_title: Bilingual
    status: ArticleStatus
    obligation: Bilingual = strawberry.field(description="What the article obliges, in one line.")
    reason: str = strawberry.field(description="Why not done; empty when done.")
    carriers: Carriers


@strawberry.type(description="An article of another law (PIPL, DSL) that pdex cites.")
class CitedLawArticle:
    law: str = strawberry.field(description="PIPL or DSL.")
    number: int
    carriers: Carriers


@strawberry.type(description="The Measures article by article, and the other laws cited.")
class RegulationCoverage:
    articles: list[RegulationArticle]
    other_laws: list[CitedLawArticle]


def _carriers(data: dict[str, Any]) -> Carriers:
    return Carriers(
        functions=[CarrierFunction(**f) for f in data["functions"]],
        operations=list(data["operations"]),
        tests=[PinningTest(**t) for t in data["tests"]],
    )


@cache
def _coverage() -> RegulationCoverage:
    data = articles.coverage()
    return RegulationCoverage(
        articles=[
            RegulationArticle(
                number=a["number"],
                chapter=a["chapter"],
                chapter_title=Bilingual(en=a["chapter_en"], zh=a["chapter_zh"]),
                status=ArticleStatus(a["status"]),
                obligation=Bilingual(en=a["en"], zh=a["zh"]),
                reason=a["reason"],
                carriers=_carriers(a),
            )
            for a in data["articles"]
        ],
        other_laws=[
            CitedLawArticle(law=o["law"], number=o["number"], carriers=_carriers(o))
            for o in data["otherLaws"]
        ],
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="Traceability for regulators and auditors: each of the 36 articles of the "
        "Measures with its status, obligation, the code and GraphQL operations that carry it and "
        "the tests that pin it; and the PIPL and DSL articles pdex cites. Anyone, no token. The "
        "same table as docs/ARTICLES.md and `pdex articles`."
    )
    def regulation_coverage(
        self,
        status: Annotated[
            ArticleStatus | None,
            strawberry.argument(description="Only the articles with this status."),
        ] = None,
    ) -> RegulationCoverage:
        coverage = _coverage()
        if status is None:
            return coverage
        chosen = [a for a in coverage.articles if a.status is status]
        return RegulationCoverage(articles=chosen, other_laws=coverage.other_laws)
