"""Data subjects: the person or organisation a consent is about (token `sub`, role data_subject).

A subject's row is made on their first action. A resident identity number, when given, is
checked (GB 11643) and kept only as HMAC-SHA256 under a server key, so pdex can tell two
accounts claim the same person without holding the number. It is never returned or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from consent.errors import Code
from consent.models import DataSubject, SubjectKind
from core.db import AsyncSession
from core.errors import Problem, UserError
from core.identity import Principal, Role, require
from core.models import Organization
from core.settings import Settings
from core.validators import is_valid_resident_id, normalize_resident_id
from ledger import SubjectSalt, subject_commitment

KEY_ENV = "PDEX_IDENTITY_KEY"  # hex; else a key kept in the data directory, made on first use


def identity_key(settings: Settings) -> bytes:
    raw = os.environ.get(KEY_ENV)
    if raw:
        return bytes.fromhex(raw)
    return _key_file(Path(settings.data_dir) / "identity-key")


@cache
def _key_file(path: Path) -> bytes:
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    path.write_text(key.hex())
    path.chmod(0o600)
    return key


def resident_id_hash(key: bytes, number: str) -> str:
    return hmac.new(key, normalize_resident_id(number).encode(), hashlib.sha256).hexdigest()


def is_self(actor: Principal | None, subject: str) -> bool:
    return actor is not None and actor.has(Role.DATA_SUBJECT) and actor.subject == subject


async def subjects_as_seen(
    session: AsyncSession, actor: Principal | None, subjects: Sequence[str]
) -> list[str]:
    """How each subject is shown to `actor`: a subject sees their own account id; everyone
    else (grantees, the authority) only the salted commitment the ledger names them by,
    since an identity provider may use the resident ID as the account id. Empty when the
    subject's salt was erased (PIPL Art. 47)."""
    others = [s for s in set(subjects) if not is_self(actor, s)]
    rows = (
        await session.execute(
            sa.select(SubjectSalt.subject_id, SubjectSalt.salt).where(
                SubjectSalt.subject_id.in_(others)
            )
        )
        if others
        else []
    )
    commitments = {sid: subject_commitment(salt, sid) for sid, salt in rows}
    return [s if is_self(actor, s) else commitments.get(s, "") for s in subjects]


async def _new_subject(session: AsyncSession, actor: Principal) -> DataSubject:
    """What a first action records: a person, or the organisation the token names."""
    subject = DataSubject(subject=actor.subject, kind=SubjectKind.PERSON)
    if actor.organization_id is not None:
        org = await session.get(Organization, actor.organization_id)
        if org is not None:
            subject.kind, subject.uscc, subject.display_name = (
                SubjectKind.ORGANIZATION,
                org.uscc,
                org.name,
            )
    return subject


async def my_subject(session: AsyncSession, actor: Principal | None) -> DataSubject:
    """The caller's subject record, read only: before their first action, what it will be."""
    actor = require(actor, Role.DATA_SUBJECT)
    stored = await session.get(DataSubject, actor.subject)
    return stored if stored is not None else await _new_subject(session, actor)


async def ensure_subject(session: AsyncSession, actor: Principal) -> DataSubject:
    """The caller's subject row, made on first use (a person, or their organisation)."""
    subject = await session.get(DataSubject, actor.subject)
    if subject is not None:
        return subject
    subject = await _new_subject(session, actor)
    try:
        async with session.begin_nested():  # the same subject's first two actions may race
            session.add(subject)
            await session.flush()
    except IntegrityError:
        found = await session.get(DataSubject, actor.subject)
        assert found is not None
        return found
    return subject


async def update_my_identity(
    session: AsyncSession,
    actor: Principal | None,
    *,
    display_name: str | None,
    resident_id: str | None,
    key: bytes,
) -> DataSubject:
    """Set the subject's name and (persons) resident ID; an empty resident ID removes it."""
    actor = require(actor, Role.DATA_SUBJECT)
    problems = []
    name = display_name.strip() if display_name is not None else None
    if name is not None and len(name) > 200:
        problems.append(
            Problem(Code.NAME_TOO_LONG, "Give a name of at most 200 characters.", "display_name")
        )
    digest: str | None = None
    if resident_id and resident_id.strip():
        if not is_valid_resident_id(resident_id):
            # The message never repeats the number: it must not reach a log.
            problems.append(
                Problem(
                    Code.RESIDENT_ID_INVALID,
                    "That is not a valid resident identity number (GB 11643: 18 characters, "
                    "a real birth date, the right check character).",
                    "resident_id",
                )
            )
        else:
            digest = resident_id_hash(key, resident_id)
    if problems:
        raise UserError.of(problems)
    subject = await ensure_subject(session, actor)
    if name is not None:
        subject.display_name = name
    if resident_id is not None:
        if digest is not None and subject.kind is not SubjectKind.PERSON:
            raise UserError(
                Code.RESIDENT_ID_NOT_APPLICABLE, "Only a person has a resident ID.", "resident_id"
            )
        if digest is not None:
            other = await session.scalar(
                sa.select(DataSubject.subject).where(
                    DataSubject.resident_id_hash == digest, DataSubject.subject != actor.subject
                )
            )
            if other is not None:
                raise UserError(
                    Code.RESIDENT_ID_IN_USE,
                    "Another account holds this resident ID; ask the data authority.",
                    "resident_id",
                )
        subject.resident_id_hash = digest
    await session.flush()
    return subject
