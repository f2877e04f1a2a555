"""Every kind of fact the ledger records, and what its body means.

A kind is `<domain>.<noun>.<verb>` (`registry.asset.registered`). Every `ledger.append` names
a `Kind` member, never a string; `MEANINGS` says what the fact is and what its body holds.
A kind never disappears and its body never changes meaning: an auditor reads entries recorded
years ago with today's code (as Rekor's entry types are versioned schemas). A new meaning is a
new kind; `tests/ledger/kinds.json` pins the registry and `tests/ledger/test_kinds.py` fails
when a kind is dropped or its meaning edited. Ids in bodies are UUID strings; amounts are
decimal strings; times ISO 8601 with their offset. Pure: no imports beyond the standard library.
"""

from __future__ import annotations

from enum import StrEnum

# The fields every registry.asset.* body starts with.
_ASSET = "asset (id), name, kind, status (after), version"
_DEAL = "deal (id), listing (id), status (after), price"
_COMPLAINT = "complaint (id), against (organisation id), status (after)"
_LICENCE_DECIDED = (
    "licence (id), decision, from and to (statuses), reason, grade, validUntil (or null)"
)
_REQUEST = (
    "request (id), resource (id), requester and sourceDepartment (organisation ids), status (after)"
)
_GRANT = (
    "grant (id), grantee and sourceDepartment (organisation ids), resource (id), status (after)"
)
_REFUSAL = "grant (id or null), reason (the violation kind), detail (the refusal's message)"
_ANOMALY = "anomaly (id), resource (id), owner (organisation id), status (after)"
_APPLICATION = "application (id), resource (id), owner (organisation id), status (after)"


class Kind(StrEnum):
    # authority
    ORGANIZATION_ADMITTED = "authority.organization.admitted"
    ORGANIZATION_RECLASSIFIED = "authority.organization.reclassified"
    CALENDAR_DAYS_SET = "authority.calendar.days_set"
    CALENDAR_YEAR_SET = "authority.calendar.year_set"
    DEADLINE_RECOMPUTED = "authority.deadline.recomputed"
    # ledger
    WITNESS_REGISTERED = "ledger.witness.registered"
    # registry
    DATA_ITEM_CLAIMED = "registry.data_item.claimed"
    DATA_ITEM_TRANSFERRED = "registry.data_item.transferred"
    RESOURCE_CREATED = "registry.resource.created"
    RESOURCE_UPDATED = "registry.resource.updated"
    RESOURCE_REFRESHED = "registry.resource.refreshed"
    RESOURCE_DEIDENTIFIED = "registry.resource.deidentified"
    ASSET_DRAFTED = "registry.asset.drafted"
    ASSET_SUBMITTED = "registry.asset.submitted"
    ASSET_NOTICED = "registry.asset.noticed"
    ASSET_REJECTED = "registry.asset.rejected"
    ASSET_OBJECTED = "registry.asset.objected"
    ASSET_OBJECTION_RESOLVED = "registry.asset.objection_resolved"
    ASSET_REGISTERED = "registry.asset.registered"
    ASSET_CHANGED = "registry.asset.changed"
    ASSET_CANCELLED = "registry.asset.cancelled"
    ASSET_QUALITY_ASSESSED = "registry.asset.quality_assessed"
    ASSET_APPRAISED = "registry.asset.appraised"
    # consent
    CONSENT_GRANTED = "consent.consent.granted"
    CONSENT_REVOKED = "consent.consent.revoked"
    DATA_USE_ALLOWED = "consent.data_use.allowed"
    DATA_USE_DENIED = "consent.data_use.denied"
    COMPLAINT_FILED = "consent.complaint.filed"
    COMPLAINT_ASSIGNED = "consent.complaint.assigned"
    COMPLAINT_RESOLVED = "consent.complaint.resolved"
    # broker
    LICENCE_APPLIED = "broker.licence.applied"
    LICENCE_LICENSED = "broker.licence.licensed"
    LICENCE_REJECTED = "broker.licence.rejected"
    LICENCE_SUSPENDED = "broker.licence.suspended"
    LICENCE_REINSTATED = "broker.licence.reinstated"
    LICENCE_REVOKED = "broker.licence.revoked"
    ASSET_ENTRUSTED = "broker.asset.entrusted"
    LISTING_LISTED = "broker.listing.listed"
    LISTING_DELISTED = "broker.listing.delisted"
    DEAL_MATCHED = "broker.deal.matched"
    DEAL_CONFIRMED = "broker.deal.confirmed"
    DEAL_DELIVERED = "broker.deal.delivered"
    DEAL_CANCELLED = "broker.deal.cancelled"
    FLOW_RECORDED = "broker.flow.recorded"
    ACTIVITY_REFUSED = "broker.activity.refused"
    INDICATOR_UPDATED = "broker.indicator.updated"
    GRADE_UPDATED = "broker.grade.updated"
    RISK_RULE_UPDATED = "broker.risk_rule.updated"
    EVALUATION_RECORDED = "broker.evaluation.recorded"
    ALERT_ACKNOWLEDGED = "broker.alert.acknowledged"
    # sharing
    SHARE_REQUEST_RECEIVED = "sharing.request.received"
    SHARE_REQUEST_APPROVED = "sharing.request.approved"
    SHARE_REQUEST_REFUSED = "sharing.request.refused"
    SHARE_REQUEST_DELIVERED = "sharing.request.delivered"
    SHARE_REQUEST_WITHDRAWN = "sharing.request.withdrawn"
    SHARE_REQUEST_DISPUTED = "sharing.request.disputed"
    SHARE_REQUEST_RULED = "sharing.request.ruled"
    SHARE_GRANTED = "sharing.grant.granted"
    SHARE_GRANT_SUSPENDED = "sharing.grant.suspended"
    SHARE_GRANT_REINSTATED = "sharing.grant.reinstated"
    SHARE_GRANT_REVOKED = "sharing.grant.revoked"
    TICKET_ISSUED = "sharing.ticket.issued"
    TICKET_USED = "sharing.ticket.used"
    TICKET_REFUSED = "sharing.ticket.refused"
    VIOLATION_COUNTED = "sharing.violation.counted"
    DEMAND_DECLARED = "sharing.demand.declared"
    DEMAND_WITHDRAWN = "sharing.demand.withdrawn"
    ANOMALY_REPORTED = "sharing.anomaly.reported"
    ANOMALY_ANSWERED = "sharing.anomaly.answered"
    USAGE_REPORT_SUBMITTED = "sharing.usage_report.submitted"
    OPEN_APPLICATION_RECEIVED = "sharing.open_application.received"
    OPEN_APPLICATION_APPROVED = "sharing.open_application.approved"
    OPEN_APPLICATION_REFUSED = "sharing.open_application.refused"
    OPEN_APPLICATION_ACCEPTED = "sharing.open_application.accepted"
    VERIFICATION_SET_OPENED = "sharing.verification_set.opened"
    VERIFICATION_SET_UPLOADED = "sharing.verification_set.uploaded"
    VERIFICATION_ANSWERED = "sharing.verification.answered"
    VERIFICATION_REFUSED = "sharing.verification.refused"
    # supervision
    AGENCY_INDICATOR_UPDATED = "supervision.indicator.updated"
    AGENCY_GRADE_UPDATED = "supervision.grade.updated"
    SCORECARD_RECORDED = "supervision.scorecard.recorded"
    CDO_APPOINTED = "supervision.cdo.appointed"
    CDO_ENDED = "supervision.cdo.ended"
    SYSTEM_REGISTERED = "supervision.system.registered"
    PROJECT_FILED = "supervision.project.filed"
    PROJECT_APPROVED = "supervision.project.approved"
    PROJECT_ACCEPTED = "supervision.project.accepted"
    FINDINGS_DETECTED = "supervision.findings.detected"
    RECTIFICATION_ORDERED = "supervision.rectification.ordered"
    RECTIFICATION_REPORTED = "supervision.rectification.reported"
    RECTIFICATION_ACCEPTED = "supervision.rectification.accepted"
    RECTIFICATION_REOPENED = "supervision.rectification.reopened"
    RECTIFICATION_ESCALATED = "supervision.rectification.escalated"


MEANINGS: dict[Kind, str] = {
    Kind.ORGANIZATION_ADMITTED: "An organisation admitted to the exchange (Art. 5). "
    "Body: organization (id), kind, name, uscc, admittedBy (organisation id or null).",
    Kind.ORGANIZATION_RECLASSIFIED: "An organisation's kind changed. "
    "Body: organization (id), from and to (kinds), reason.",
    Kind.CALENDAR_DAYS_SET: "Single working days corrected. "
    "Body: days (the changes, each day with working before and after).",
    Kind.CALENDAR_YEAR_SET: "A year's official holiday arrangement entered whole; the year is "
    "confirmed. Body: year, notice, holidays (name, from, to), workingDays (make-up days), "
    "noticeBefore, daysReplaced.",
    Kind.DEADLINE_RECOMPUTED: "An open deadline counted provisionally moved when its year was "
    "confirmed. Body: holder (which deadlines), id, field, before, after, provisional, year.",
    Kind.WITNESS_REGISTERED: "A witness's BLS key registered for cosigning checkpoints. "
    "Body: witness (id), publicKey (hex).",
    Kind.DATA_ITEM_CLAIMED: "An agency became a data item's one source department (Art. 8). "
    "Body: code, name, legalBasis, sensitivePersonal, sourceDepartment (id).",
    Kind.DATA_ITEM_TRANSFERRED: "A data item moved to another source department. "
    "Body: code, from and to (organisation ids), reason.",
    Kind.RESOURCE_CREATED: "A resource catalogued (Art. 9). "
    "Body: resource (id), code, version, change ({created: the entry's state}).",
    Kind.RESOURCE_UPDATED: "A catalogue entry changed; a new version. "
    "Body: resource (id), code, version, change (field: [before, after]).",
    Kind.RESOURCE_REFRESHED: "A resource's data refreshed (freshness, Art. 14). "
    "Body: resource (id), code, version, change ({lastUpdatedAt: [before, after]}).",
    Kind.RESOURCE_DEIDENTIFIED: "A resource's de-identification recorded (Art. 18: personal "
    "information is opened only de-identified). Body: resource (id), record (id), method, "
    "performedOn (date), checkedBy.",
    Kind.ASSET_DRAFTED: f"A public data asset registration started (DRAFT). Body: {_ASSET}.",
    Kind.ASSET_SUBMITTED: f"A registration submitted for review. Body: {_ASSET}.",
    Kind.ASSET_NOTICED: "A registration approved on review; its public notice runs. "
    f"Body: {_ASSET}, noticeEndsAt, noticeEndsProvisional.",
    Kind.ASSET_REJECTED: f"A registration rejected. Body: {_ASSET}, reason.",
    Kind.ASSET_OBJECTED: "An objection during the public notice; the notice pauses. "
    f"Body: {_ASSET}, objection (id), noticeDaysLeft.",
    Kind.ASSET_OBJECTION_RESOLVED: "An objection upheld or dismissed; the notice resumes when "
    f"none is open. Body: {_ASSET}, objection (id), upheld, resolution, noticeEndsAt (or null).",
    Kind.ASSET_REGISTERED: "A registration completed: number and certificate. "
    f"Body: {_ASSET}, registrationNumber, rights.",
    Kind.ASSET_CHANGED: f"A registration's particulars changed. Body: {_ASSET}, change.",
    Kind.ASSET_CANCELLED: f"A registration cancelled. Body: {_ASSET}, reason.",
    Kind.ASSET_QUALITY_ASSESSED: "An asset's quality assessed (GB/T 36344). "
    "Body: asset (id), scores, weights, overall.",
    Kind.ASSET_APPRAISED: "An asset valued (Art. 25). Body: asset (id), method, value, inputs.",
    Kind.CONSENT_GRANTED: "A data subject's consent granted (PIPL Art. 14). Body: consent (id), "
    "grantee (id), purpose, scenario, items, sensitive, separate, validFrom, validUntil, mode, "
    "frequency, maxUses, usesPerPeriod, dataLife. The subject is a salted commitment.",
    Kind.CONSENT_REVOKED: "A consent revoked by its subject. "
    "Body: consent (id), grantee (id), reason.",
    Kind.DATA_USE_ALLOWED: "The consent gate allowed a use. "
    "Body: use (id), consent (id), item, purpose, outcome (ALLOWED), reason (null).",
    Kind.DATA_USE_DENIED: "The consent gate denied a use. "
    "Body: use (id), consent (id), item, purpose, outcome (DENIED), reason.",
    Kind.COMPLAINT_FILED: "A data subject's complaint filed (Art. 15: 5 working days). "
    f"Body: {_COMPLAINT}, consent and use (ids or null), dueAt, dueProvisional.",
    Kind.COMPLAINT_ASSIGNED: f"A complaint assigned. Body: {_COMPLAINT}, assignee.",
    Kind.COMPLAINT_RESOLVED: "A complaint resolved. "
    f"Body: {_COMPLAINT}, outcome, resolution, late.",
    Kind.LICENCE_APPLIED: "A broker applied for a licence. Body: licence (id), brokerType, "
    "scope, scenarios, mlpsLevel, dcmmLevel.",
    Kind.LICENCE_LICENSED: f"A licence approved. Body: {_LICENCE_DECIDED}.",
    Kind.LICENCE_REJECTED: f"A licence application rejected. Body: {_LICENCE_DECIDED}.",
    Kind.LICENCE_SUSPENDED: f"A licence suspended. Body: {_LICENCE_DECIDED}.",
    Kind.LICENCE_REINSTATED: f"A suspended licence reinstated. Body: {_LICENCE_DECIDED}.",
    Kind.LICENCE_REVOKED: f"A licence revoked. Body: {_LICENCE_DECIDED}.",
    Kind.ASSET_ENTRUSTED: "A holder entrusted an asset to a broker. Body: asset (id), broker (id).",
    Kind.LISTING_LISTED: "A registered asset listed as a product. Body: listing (id), asset "
    "(id), registrationNumber, price, pricingModel, purposes, term, territory, resale.",
    Kind.LISTING_DELISTED: "A listing withdrawn. Body: listing (id), reason.",
    Kind.DEAL_MATCHED: f"A buyer matched to a listing. Body: {_DEAL}, buyer (id), purpose, "
    "scenario.",
    Kind.DEAL_CONFIRMED: f"A deal confirmed. Body: {_DEAL}.",
    Kind.DEAL_DELIVERED: f"A deal's data delivered. Body: {_DEAL}, note.",
    Kind.DEAL_CANCELLED: f"A deal cancelled. Body: {_DEAL}, reason.",
    Kind.FLOW_RECORDED: "A fusion of public with non-public data recorded (Art. 24). Body: flow "
    "(id), purpose, scenario, output (id), recipients (ids), inputs (each with its basis), "
    "consentUses (ids).",
    Kind.ACTIVITY_REFUSED: "A broker action refused for a reason supervision counts (Art. 26); "
    "the action itself rolled back. Body: action, kind, codes (comma-separated), "
    "licenceStatus (or null).",
    Kind.INDICATOR_UPDATED: "An evaluation indicator changed. "
    "Body: indicator (code), change (field: [before, after]).",
    Kind.GRADE_UPDATED: "A grade's threshold moved. Body: grade, change ({minScore: [before, "
    "after]}).",
    Kind.RISK_RULE_UPDATED: "A risk rule changed. Body: rule, change (field: [before, after]).",
    Kind.EVALUATION_RECORDED: "Brokers evaluated over an ended period (Art. 26). Body: "
    "periodStart, periodEnd, definitions, thresholds, riskRules, results (broker, score, "
    "grade), alerts (broker, rule, value), licenceGrades (licence, broker, from, to).",
    Kind.ALERT_ACKNOWLEDGED: "A risk alert acknowledged. Body: alert (id), rule, note.",
    Kind.SHARE_REQUEST_RECEIVED: "A share request received (Art. 13); by the entry's share type "
    "it is refused at once (NOT_SHARED), granted at once (UNCONDITIONAL) or waits for the answer "
    f"(CONDITIONAL). Body: {_REQUEST}, items (codes), purpose, scenario, mode, until, shareType, "
    "then legalBasis (NOT_SHARED), grant (id; UNCONDITIONAL) or answerDueAt and "
    "answerDueProvisional (CONDITIONAL).",
    Kind.SHARE_REQUEST_APPROVED: "The source department approved a request, possibly fewer "
    f"items; its grant is made (Art. 15, 16). Body: {_REQUEST}, items (codes kept), grant (id), "
    "narrowed, late (answered after the due date), deliveryDueAt (or null).",
    Kind.SHARE_REQUEST_REFUSED: "The source department refused a request citing its legal "
    f"basis (Art. 15). Body: {_REQUEST}, law, article, reason, late.",
    Kind.SHARE_REQUEST_DELIVERED: "A request's delivery recorded (Art. 15). "
    f"Body: {_REQUEST}, channel, reference, deliveredAt, late (after the delivery due date).",
    Kind.SHARE_REQUEST_WITHDRAWN: "The requester withdrew a request; its grant, if any, is "
    f"revoked. Body: {_REQUEST}.",
    Kind.SHARE_REQUEST_DISPUTED: "The requester asked the data authority to rule on a refusal "
    f"(Art. 15). Body: {_REQUEST}, reason.",
    Kind.SHARE_REQUEST_RULED: "The data authority ruled on a dispute: UPHELD (refused) or "
    f"OVERTURNED (approved and granted). Body: {_REQUEST}, outcome, ruling, grant (id or null).",
    Kind.SHARE_GRANTED: "A grant made for an approved request: exactly the items approved, one "
    "scenario, a mode, an end date (Art. 16); the grantee's open demands it covers are met "
    f"(Art. 9). Body: {_GRANT}, request (id), items (codes), scenario, purpose, mode, "
    "validUntil, demandsMet (demand ids).",
    Kind.SHARE_GRANT_SUSPENDED: f"A grant suspended (Art. 16, 17). Body: {_GRANT}, reason.",
    Kind.SHARE_GRANT_REINSTATED: f"A suspended grant reinstated. Body: {_GRANT}, reason.",
    Kind.SHARE_GRANT_REVOKED: "A grant revoked by its source department, or ended with its "
    f"withdrawn request. Body: {_GRANT}, reason.",
    Kind.TICKET_ISSUED: "An access ticket (an EdDSA JWS) issued to a grantee for items of its "
    "grant (Art. 12, 17); for personal items the subject is a salted commitment. Body: ticket "
    "(id), grant (id), grantee (organisation id), items (codes), purpose, expiresAt, kid "
    "(signing key id), tokenHash (SHA-256 hex of the JWS).",
    Kind.TICKET_USED: "The source department's data service reported what it released against "
    "a ticket (Art. 12). Body: ticket (id), grant (id), rows, contentHash (SHA-256 hex), "
    "afterExpiry.",
    Kind.TICKET_REFUSED: "A ticket refused outside a grant (Art. 17), recorded after the "
    f"rollback and counted (sharing.violation.counted). Body: {_REFUSAL}.",
    Kind.VIOLATION_COUNTED: "A violation candidate counted against a grantee or asker "
    "(Art. 17, 35). Body: candidate (id), grantee (organisation id), grant (id or null), kind.",
    Kind.DEMAND_DECLARED: "An agency declared a data demand (Art. 9). Body: demand (id), "
    "status (after), items (codes), scenario, legalDuty.",
    Kind.DEMAND_WITHDRAWN: "A data demand withdrawn. Body: demand (id), status (after).",
    Kind.ANOMALY_REPORTED: "A doubt or anomaly about a resource reported to its owner "
    f"(Art. 19); the text stays in the table. Body: {_ANOMALY}, dueAt, dueProvisional, "
    "resourceVersion.",
    Kind.ANOMALY_ANSWERED: "The owner answered an anomaly report: CORRECTED (with the version "
    f"that fixes it) or NOT_AN_ERROR (Art. 19). Body: {_ANOMALY}, outcome, correctedVersion "
    "(or null), late.",
    Kind.USAGE_REPORT_SUBMITTED: "A grantee's usage-and-effect report for a quarter (Art. 20); "
    "the effect text stays in the table. Body: report (id), grant (id), quarter (2026Q1), uses.",
    Kind.OPEN_APPLICATION_RECEIVED: "An application to use a CONDITIONAL_OPEN resource "
    "(Art. 18); an individual applicant is a salted commitment. "
    f"Body: {_APPLICATION}, purpose, dueAt, dueProvisional.",
    Kind.OPEN_APPLICATION_APPROVED: "The owner approved an application with the usage "
    f"agreement's terms (Art. 18). Body: {_APPLICATION}, reason, termsHash (SHA-256 hex), late.",
    Kind.OPEN_APPLICATION_REFUSED: "The owner refused an application with its reason "
    f"(Art. 18). Body: {_APPLICATION}, reason, termsHash (null), late.",
    Kind.OPEN_APPLICATION_ACCEPTED: "The owner or the applicant accepted the usage agreement "
    "by the hash of its terms; with both, AGREED. "
    f"Body: {_APPLICATION}, termsHash, side (owner or applicant).",
    Kind.VERIFICATION_SET_OPENED: "A verification set opened for a NOT_SHARED or CONDITIONAL "
    "resource; pdex made its key (Art. 15 ¶3). Body: resource (id).",
    Kind.VERIFICATION_SET_UPLOADED: "A batch of finished verification hashes uploaded (no "
    "plaintext). Body: resource (id), batch (number), added (new entries), batchHash "
    "(SHA-256 hex of the batch's sorted digests).",
    Kind.VERIFICATION_ANSWERED: "A verification answered MATCH, NO_MATCH or UNKNOWN, never a "
    "value (Art. 15 ¶3); the subject is a salted commitment. Body: query (id), resource (id), "
    "item (code), answer.",
    Kind.VERIFICATION_REFUSED: "A verification refused for the rate limit (Art. 15 ¶3), "
    f"recorded after the rollback and counted (sharing.violation.counted). Body: {_REFUSAL}.",
    Kind.AGENCY_INDICATOR_UPDATED: (
        "A published agency indicator changed (Art. 30). Body: indicator (code), change "
        "(field: [before, after])."
    ),
    Kind.AGENCY_GRADE_UPDATED: (
        "A published agency grade threshold moved (Art. 30). Body: grade, change "
        "(minScore: [before, after])."
    ),
    Kind.SCORECARD_RECORDED: (
        "Agencies evaluated over an ended period (Art. 30). Body: periodStart, periodEnd,"
        " definitions, thresholds, results (agency, score, grade)."
    ),
    Kind.CDO_APPOINTED: (
        "A chief data officer appointed (Art. 28). Body: cdo (id), organization (id), name, title."
    ),
    Kind.CDO_ENDED: (
        "A chief data officer's appointment ended (Art. 28). Body: cdo (id), organization"
        " (id), reason."
    ),
    Kind.SYSTEM_REGISTERED: (
        "An information system entered in the inventory (Art. 9). Body: system (id), "
        "owner (id), name, designDocSha256, dataStructureDocSha256, resources (ids)."
    ),
    Kind.PROJECT_FILED: (
        "A fiscally funded IT project filed (Art. 29). Body: project (id), agency (id), "
        "name, budget, dataItems (codes), resourceCodes."
    ),
    Kind.PROJECT_APPROVED: (
        "An IT project approved (Art. 29, 30). Body: project (id), agency (id), "
        "lastGrade, lastScorecard (id or null), overrideReason (or null)."
    ),
    Kind.PROJECT_ACCEPTED: (
        "An IT project accepted, its data catalogued and shared (Art. 29). Body: project "
        "(id), agency (id)."
    ),
    Kind.FINDINGS_DETECTED: (
        "A detector sweep's new findings (Art. 35). Body: count, digest (SHA-256 of the "
        'sorted "id key" lines of every finding), byAgency (agency: kind: count), '
        "findings (the first 200 by key: finding, kind, articleItem, agency, key)."
    ),
    Kind.RECTIFICATION_ORDERED: (
        "A rectification ordered (Art. 35). Body: rectification (id), agency (id), "
        "status, findings (ids), articleItems, instructions, workingDays, dueAt, "
        "dueProvisional."
    ),
    Kind.RECTIFICATION_REPORTED: (
        "The agency reported a rectification (Art. 35). Body: rectification (id), agency "
        "(id), status, evidence, late."
    ),
    Kind.RECTIFICATION_ACCEPTED: (
        "The authority accepted a rectification (Art. 35). Body: rectification (id), "
        "agency (id), status, reason."
    ),
    Kind.RECTIFICATION_REOPENED: (
        "The authority reopened a rectification (Art. 35). Body: rectification (id), "
        "agency (id), status, reason."
    ),
    Kind.RECTIFICATION_ESCALATED: (
        "A rectification past its deadline escalated to the superior government (Art. 33,"
        " 35). Body: rectification (id), agency (id), status, dueAt, escalatedTo."
    ),
}
