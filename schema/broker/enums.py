"""GraphQL for data brokers: the enums."""

from __future__ import annotations

import strawberry

import broker as domain  # `broker` is a field name on several types here

BrokerTypeEnum = strawberry.enum(domain.BrokerType, name="BrokerType")

LicenceStatusEnum = strawberry.enum(domain.LicenceStatus, name="LicenceStatus")

LicenceDecisionEnum = strawberry.enum(domain.LicenceDecisionKind, name="LicenceDecisionKind")

PricingModelEnum = strawberry.enum(domain.PricingModel, name="PricingModel")

ListingStatusEnum = strawberry.enum(domain.ListingStatus, name="ListingStatus")

DealStatusEnum = strawberry.enum(domain.DealStatus, name="DealStatus")

FlowInputKindEnum = strawberry.enum(domain.FlowInputKind, name="FlowInputKind")

ResourceBasisEnum = strawberry.enum(domain.ResourceBasis, name="ResourceBasis")

ScoringEnum = strawberry.enum(domain.Scoring, name="Scoring")

AlertRuleEnum = strawberry.enum(domain.AlertRule, name="RiskAlertRule")

AlertStatusEnum = strawberry.enum(domain.AlertStatus, name="RiskAlertStatus")
