"""One range of the log checked on its own: the work `pdex ledger verify` spreads over processes.

A range is the entries start..end-1, start a multiple of the range length (a power of two),
so a full range is one complete subtree. Every row carries its `prev`, so a range needs only
the stored hash of the row before it; `ledger.audit` combines the ranges in seq order.

What a range checks, and why that is all of it:

- each row's seq is the next number and its `prev` is the stored hash of the row before;
- its stored hash is the lowercase hex of SHA-256(0x00 || document), the document assembled
  from the stored texts (`canonical.STORED_DOCUMENT`): nothing is parsed or re-canonicalised,
  the bytes append hashed are the bytes stored;
- `actor` and `subjects` are each one well-formed JSON value (orjson parses them), and so
  is `body` when `at` or `kind` needs escaping. Why: the hash pins the concatenation, not
  where one field ends and the next begins. A forger could end the `actor` text inside what
  was the `body` and start the `body` later, keeping every byte and the hash; then the
  columns say what append never wrote. A complete JSON value cannot end early or run on, so
  `actor` is the text append wrote (read from the left) and so is `subjects` (an array,
  read from the right); `seq` and `prev` are texts checked exactly, and plain `at` and
  `kind` hold no quote, so their ends are fixed too. What lies between is the `body`
  append wrote: it needs no parse (the longest text: parsing it cost 0.8 µs an entry). When
  `at` or `kind` needs escaping (a quote in it), `body` is parsed as well;
- every tree node the range's leaves complete (level 0, the leaf itself, up to the range's
  root). The tree is recomputed from the leaf hashes a level at a time, not read: the stored
  nodes are the cache inclusion and consistency proofs are served from, so a wrong or
  missing one is a wrong proof, and each is compared with the recomputed one. A level is
  read as one value (its node count, whether every hash is 32 bytes, and the hashes
  concatenated in index order, made by the database) and compared in one `==`; only a level
  that differs is read node by node to name the first bad node.

The first problem is reported as a single pass over the log would report it: by seq, an
entry's own problem before the nodes its append completes, lower levels first.

PostgreSQL ranges are read with the driver directly (`COPY (SELECT …) TO STDOUT`, text
format, split on tabs and newlines): no ORM or Core row objects. SQLite reads through
`ledger.audit`'s session reader. This module imports neither SQLAlchemy nor the models, so
a worker process starts in a fraction of a second.
"""

from __future__ import annotations

import asyncio
import atexit
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from ledger.canonical import GENESIS_PREV, PLAIN_CHARS, STORED_DOCUMENT, stored_document

if TYPE_CHECKING:
    from core.settings import Settings

Field = bytes | None
"""A stored value as UTF-8 bytes (seq as its decimal digits); None for a NULL."""

COLUMNS = ("seq", "kind", "actor", "at", "prev", "body", "subjects", "hash")
"""The entry columns, in the order a range's fields list them (`RangeReader.fields`)."""

JSON_FIELDS = (("actor", 2), ("body", 5), ("subjects", 6))


@dataclass
class RangeResult:
    """One range's verdict: `count` rows checked (all of them unless `problem`), the
    range's own frontier after them, its frontier at each wanted size, its last hash."""

    start: int
    count: int
    frontier: list[bytes]
    snapshots: dict[int, list[bytes]]
    last_hash: str
    problem: tuple[int, str] | None = None


class RangeReader(Protocol):
    """What a range needs from the database (one implementation per engine)."""

    async def hash_before(self, start: int) -> bytes | None:
        """The stored hash of entry start - 1 (start > 0), None if there is no such row."""

    async def fields(self, start: int, end: int) -> list[Field]:
        """Entries start <= seq < end in seq order, flat: the `COLUMNS` of each in turn
        (one list, not a list per row: fewer objects to make and to collect)."""

    async def level(self, level: int, lo: int, hi: int) -> tuple[int, bool, bytes]:
        """Stored nodes of `level` with lo <= idx <= hi: how many, whether every hash is
        32 bytes, and the hashes concatenated in idx order."""

    async def nodes(self, level: int, lo: int, hi: int) -> dict[int, bytes]:
        """The same nodes by idx (read only when `level` differs)."""

    async def next_seq(self, seq: int) -> int | None:
        """The smallest stored seq >= `seq`."""


def entry_leaves(
    fields: Sequence[Field], start: int, prev: bytes | None
) -> tuple[list[bytes], str]:
    """Leaf hashes of the rows up to the first bad one, and why that one is bad ("" if none).

    The hot loop of `pdex ledger verify`: names bound locally, one `%` to assemble, one
    SHA-256, one hexlify; anything unusual leaves the loop for `row_problem` to explain.
    """
    leaves: list[bytes] = []
    keep = leaves.append
    sha256, hexlify, loads, plain, document = (
        hashlib.sha256,
        binascii.hexlify,
        orjson.loads,
        PLAIN_CHARS,
        b"\x00" + STORED_DOCUMENT,
    )
    seq = start
    column = iter(fields)
    for row in zip(*[column] * len(COLUMNS), strict=True):
        s, kind, actor, at, p, body, subjects, stored_hash = row
        try:
            # `p == prev` makes `prev` plain: it is the stored hash before, checked to be
            # lowercase hex by its own row (or the genesis zeros).
            if s != b"%d" % seq or p != prev:
                break
            if not (at + kind).translate(None, plain):  # type: ignore[operator]
                data = document % (actor, at, body, kind, p, s, subjects)
            else:  # text that JSON escapes (or a NULL: TypeError)
                data = b"\x00" + stored_document(s, kind, actor, at, p, body, subjects)  # type: ignore[arg-type]
                loads(body)  # type: ignore[arg-type]  # its ends are not fixed by plain text
            digest = sha256(data).digest()
            if hexlify(digest) != stored_hash:
                break
            loads(actor)  # type: ignore[arg-type]
            loads(subjects)  # type: ignore[arg-type]
        except (TypeError, ValueError):  # a NULL, or a text that is not JSON
            break
        keep(digest)
        prev = stored_hash
        seq += 1
    else:
        return leaves, ""
    return leaves, row_problem(row, seq, prev) or "the row cannot be checked"


def row_problem(row: Sequence[Field], seq: int, prev: bytes | None) -> str:
    """Why stored `row` cannot be entry `seq` after hash `prev` ("" if it can): the slow,
    careful twin of `entry_leaves`' loop, for the row that loop stopped at."""
    s, kind, actor, at, p, body, subjects, stored_hash = row
    if s != str(seq).encode():
        return f"expected seq {seq}, found {s.decode() if s is not None else 'NULL'}"
    if p != prev:
        return "prev does not match the hash of the entry before"
    if any(value is None for value in row):
        return "a stored field is NULL"
    try:
        document = stored_document(s, kind, actor, at, p, body, subjects)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        return f"entry cannot be canonicalised: {exc}"
    if binascii.hexlify(hashlib.sha256(b"\x00" + document).digest()) != stored_hash:
        return "stored hash does not match the entry's content"
    for name, index in JSON_FIELDS:
        try:
            orjson.loads(row[index])  # type: ignore[arg-type]
        except orjson.JSONDecodeError:
            return f"stored {name} is not one JSON value"
    return ""


def tree_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every complete node over `leaves`, a list per level from the leaves (level 0) up."""
    sha256 = hashlib.sha256
    levels = [leaves]
    below = leaves
    while len(below) > 1:
        pairs = iter(below)
        below = [
            sha256(b"\x01" + left + right).digest()
            for left, right in zip(pairs, pairs, strict=False)
        ]
        levels.append(below)
    return levels


def frontier_at(levels: list[list[bytes]], size: int) -> list[bytes]:
    """The frontier of the first `size` leaves (highest level first), from `tree_levels`."""
    return [
        levels[level][(size >> level) - 1]
        for level in range(size.bit_length() - 1, -1, -1)
        if (size >> level) & 1
    ]


async def node_problem(
    reader: RangeReader, start: int, levels: list[list[bytes]]
) -> tuple[int, str] | None:
    """The first stored node (by the seq whose append completes it, then level) that is not
    the recomputed one, as (seq, reason); None if all are."""
    found: list[tuple[int, int, int]] = []  # (seq, level, idx)
    for level, computed in enumerate(levels):
        if not computed:
            break
        lo = start >> level
        hi = lo + len(computed) - 1
        if await reader.level(level, lo, hi) == (len(computed), True, b"".join(computed)):
            continue
        stored = await reader.nodes(level, lo, hi)
        for i, digest in enumerate(computed):
            if stored.get(lo + i) != digest:
                found.append((start + ((i + 1) << level) - 1, level, lo + i))
                break
    if not found:
        return None
    seq, level, idx = min(found)
    return seq, f"stored tree node (level {level}, index {idx}) is wrong or missing"


async def check_range(
    reader: RangeReader, start: int, end: int, wanted: frozenset[int]
) -> RangeResult:
    """Entries start..end-1 (start a multiple of end - start unless it is the log's tail):
    seq, prev, hash, JSON texts and every tree node inside the range. `wanted`: sizes
    (counted from start) whose frontier the caller needs for a checkpoint's root."""
    prev = await reader.hash_before(start)
    fields = await reader.fields(start, end)
    leaves, reason = entry_leaves(fields, start, prev)
    count = len(leaves)
    problem = (start + count, reason) if reason else None
    levels = tree_levels(leaves)
    bad_node = await node_problem(reader, start, levels)
    if bad_node is not None:  # completed by an append before the first bad row, if any
        problem = bad_node
        count = bad_node[0] - start
    elif problem is None and count < end - start:  # rows missing at the range's end
        found = await reader.next_seq(start + count)
        if found is not None:
            problem = (start + count, f"expected seq {start + count}, found {found}")
    last = fields[count * len(COLUMNS) - 1] if count else prev
    return RangeResult(
        start,
        count,
        frontier_at(levels, count),
        {size: frontier_at(levels, size) for size in wanted if size <= count},
        last.decode() if last is not None else "",
        problem,
    )


# --- PostgreSQL: the driver directly ----------------------------------------------------------

_ROWS = (  # asyncpg's copy_from_query sends COPY (this) TO STDOUT
    "SELECT seq, kind, actor, at, prev, body, subjects, hash FROM ledger_entry "
    "WHERE seq >= {start} AND seq < {end} ORDER BY seq"
)
# The hashes in idx order from a sorted subquery, not `string_agg(… ORDER BY idx)`:
# PostgreSQL 15 sorts inside an ordered aggregate even when its input is already in order
# (the index scan's), and the sort was half the query. Its documentation says a sorted
# subquery "will usually work"; when it does not, the level differs and `nodes` compares
# node by node, so a wrong order can only cost time, never a wrong verdict.
_LEVEL = (
    "SELECT count(*), coalesce(bool_and(octet_length(hash) = 32), true), "
    "coalesce(string_agg(hash, ''::bytea), ''::bytea) FROM (SELECT hash FROM ledger_node "
    "WHERE level = $1 AND idx BETWEEN $2 AND $3 ORDER BY idx) AS nodes"
)
_COPY_ESCAPE = re.compile(rb"\\(.)", re.DOTALL)
_COPY_CHARS = {b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v"}


def _unescape(field: bytes) -> bytes | None:
    """One field of COPY's text format as stored (PostgreSQL escapes `\\`, and control
    characters as `\\n` and the like; `\\N` alone is NULL)."""
    if field == b"\\N":
        return None
    return _COPY_ESCAPE.sub(lambda m: _COPY_CHARS.get(m[1], m[1]), field)


def copy_fields(data: bytes, width: int) -> list[Field]:
    """The fields of COPY's text format, flat: rows end in newlines, fields are split by
    tabs, and a tab or newline inside a field arrives escaped, so one split is exact."""
    fields: list[Field] = data.replace(b"\n", b"\t").split(b"\t")  # type: ignore[assignment]
    fields.pop()  # after the last row's newline (or the empty string of no rows)
    if len(fields) % width:
        raise ValueError(f"COPY sent {len(fields)} fields, not rows of {width}")
    if b"\\" in data:  # rare: a backslash in a text (JSON escapes) or a NULL
        fields = [_unescape(f) if b"\\" in f else f for f in fields]  # type: ignore[operator]
    return fields


class PgReader:
    """`RangeReader` over one asyncpg connection."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    async def hash_before(self, start: int) -> bytes | None:
        if start == 0:
            return GENESIS_PREV.encode()
        found = await self.connection.fetchval(
            "SELECT hash FROM ledger_entry WHERE seq = $1", start - 1
        )
        return None if found is None else found.encode()

    async def fields(self, start: int, end: int) -> list[Field]:
        chunks: list[bytes] = []

        async def keep(data: bytes) -> None:
            chunks.append(data)

        query = _ROWS.format(start=int(start), end=int(end))
        await self.connection.copy_from_query(query, output=keep)
        return copy_fields(b"".join(chunks), len(COLUMNS))

    async def level(self, level: int, lo: int, hi: int) -> tuple[int, bool, bytes]:
        count, widths_ok, hashes = await self.connection.fetchrow(_LEVEL, level, lo, hi)
        return count, widths_ok, bytes(hashes)

    async def nodes(self, level: int, lo: int, hi: int) -> dict[int, bytes]:
        rows = await self.connection.fetch(
            "SELECT idx, hash FROM ledger_node WHERE level = $1 AND idx BETWEEN $2 AND $3",
            level,
            lo,
            hi,
        )
        return {idx: bytes(digest) for idx, digest in rows}

    async def next_seq(self, seq: int) -> int | None:
        return await self.connection.fetchval(
            "SELECT min(seq) FROM ledger_entry WHERE seq >= $1", seq
        )


def postgres_dsn(database_url: str) -> str:
    """asyncpg's DSN for pdex's `postgresql+asyncpg://` URL."""
    return database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


# --- worker processes ---------------------------------------------------------------------------

_worker: tuple[asyncio.AbstractEventLoop, Any] | None = None
"""This worker's event loop and its reader: a `PgReader` over one connection, opened on
its first range and closed when the process exits, or `audit.SessionReader` (SQLite)."""


def start_worker(settings: Settings) -> None:
    """A verify worker's initializer (the worker imports no SQLAlchemy for PostgreSQL)."""
    global _worker
    loop = asyncio.new_event_loop()
    if settings.is_sqlite:
        from core.db import Database
        from ledger.audit import SessionReader

        _worker = (loop, SessionReader(Database(settings)))
        return
    import asyncpg

    connection = loop.run_until_complete(asyncpg.connect(postgres_dsn(settings.database_url)))
    atexit.register(lambda: loop.run_until_complete(connection.close()))
    _worker = (loop, PgReader(connection))


def check_in_worker(start: int, end: int, wanted: frozenset[int]) -> RangeResult:
    assert _worker is not None
    loop, reader = _worker
    return loop.run_until_complete(check_range(reader, start, end, wanted))
