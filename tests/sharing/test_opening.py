"""Conditional opening (Art. 18): personal information opens only with a de-identification
record; applications answered on the working-day clock; both sides accept the agreement."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

import registry
import sharing
from core.errors import Forbidden, UserError
from core.identity import Role
from core.models import OrganizationKind

pytestmark = pytest.mark.article(18)


async def test_personal_data_opens_only_deidentified(world, act):
    with pytest.raises(UserError) as refused:
        await act(registry.update_resource, world.source.principal, world.personal.id,
                  {"open_type": registry.OpenType.CONDITIONAL_OPEN})  # fmt: skip
    assert refused.value.code == "DEIDENTIFICATION_REQUIRED"
    with pytest.raises(Forbidden):
        await act(registry.record_deidentification, world.other.principal, world.personal.id,
                  method="k-anonymity", performed_on=date(2026, 1, 5), checked_by="QA")  # fmt: skip
    await act(registry.record_deidentification, world.source.principal, world.personal.id,
              method="k-anonymity (k=10) and address generalisation",
              performed_on=date(2026, 1, 5), checked_by="Data security office")  # fmt: skip
    opened = await act(registry.update_resource, world.source.principal, world.personal.id,
                       {"open_type": registry.OpenType.CONDITIONAL_OPEN})  # fmt: skip
    assert opened.open_type is registry.OpenType.CONDITIONAL_OPEN


async def test_create_open_with_personal_info_is_refused(world, act):
    fields = registry.ResourceFields(
        code=f"open.personal.{world.source.org_id.hex[:8]}", name="x", description="",
        share_type=registry.ShareType.UNCONDITIONAL, open_type=registry.OpenType.OPEN,
        delivery=registry.Delivery.API, update_frequency=registry.UpdateFrequency.DAILY,
        sensitivity=registry.Sensitivity.GENERAL, contains_personal_info=True,
    )  # fmt: skip
    with pytest.raises(UserError) as refused:
        await act(registry.create_resource, world.source.principal, fields)
    assert refused.value.code == "DEIDENTIFICATION_REQUIRED"
    made = await act(registry.create_resource, world.source.principal,
                     dataclasses.replace(fields, contains_personal_info=False))  # fmt: skip
    assert made.open_type is registry.OpenType.OPEN


async def test_apply_answer_and_agree(world, act, make_caller):
    await act(registry.update_resource, world.source.principal, world.conditional.id,
              {"open_type": registry.OpenType.CONDITIONAL_OPEN})  # fmt: skip
    lab = await make_caller(Role.MARKET_ENTITY, OrganizationKind.MARKET_ENTITY)
    fields = sharing.ApplicationFields(
        resource_id=world.conditional.id, purpose="SME credit research",
        scenario="University study of start-up survival", security_measures="Clean room, no export",
    )  # fmt: skip
    with pytest.raises(Forbidden):
        await act(sharing.apply_for_open_data, world.requester.principal, fields)
    with pytest.raises(UserError) as closed:
        await act(sharing.apply_for_open_data, lab.principal,
                  dataclasses.replace(fields, resource_id=world.not_shared.id))  # fmt: skip
    assert closed.value.code == "NOT_CONDITIONALLY_OPEN"
    app = await act(sharing.apply_for_open_data, lab.principal, fields)
    assert app.status is sharing.OpenApplicationStatus.PENDING and app.due_at > app.received_at
    with pytest.raises(UserError) as no_terms:
        await act(sharing.answer_open_application, world.source.principal, app.id, approve=True)
    assert no_terms.value.code == "TERMS_REQUIRED"
    terms = "Use only for the stated research; publish aggregates of 10 or more."
    approved = await act(sharing.answer_open_application, world.source.principal, app.id,
                         approve=True, terms=terms)  # fmt: skip
    assert approved.terms_hash == sharing.terms_hash(terms)
    with pytest.raises(UserError) as wrong:
        await act(sharing.accept_usage_agreement, lab.principal, app.id, accepted_hash="00" * 32)
    assert wrong.value.code == "TERMS_HASH_MISMATCH"
    with pytest.raises(Forbidden):
        await act(sharing.accept_usage_agreement, world.other.principal, app.id,
                  accepted_hash=approved.terms_hash)  # fmt: skip
    half = await act(sharing.accept_usage_agreement, lab.principal, app.id,
                     accepted_hash=approved.terms_hash)  # fmt: skip
    assert half.status is sharing.OpenApplicationStatus.APPROVED
    agreed = await act(sharing.accept_usage_agreement, world.source.principal, app.id,
                       accepted_hash=approved.terms_hash)  # fmt: skip
    assert agreed.status is sharing.OpenApplicationStatus.AGREED
