"""Consent: data subjects authorise third parties, revoke, see every use, complain (Art. 27).

Other layers use what is named here: the gate `authorize_data_use` (every use of a
subject's data passes it, in the caller's transaction), the grant and revocation use cases,
the dashboard lists, complaints and the consent receipt.
"""

from consent.complaints import (
    ComplaintFields,
    assign_complaint,
    file_complaint,
    get_complaints,
    is_overdue,
    list_complaints,
    list_my_complaints,
    resolve_complaint,
)
from consent.errors import Code
from consent.events import ConsentEvent
from consent.events import listen as listen_events
from consent.grants import (
    GrantFields,
    get_consents,
    grant_consent,
    items_of,
    list_my_consents,
    list_received_consents,
    revoke_consent,
    visible_to,
)
from consent.models import (
    COMPLAINT_TRANSITIONS,
    CertificateType,
    Complaint,
    ComplaintOutcome,
    ComplaintStatus,
    Consent,
    ConsentItem,
    ConsentMode,
    ConsentStatus,
    DataSubject,
    DataUse,
    DenialReason,
    SubjectKind,
    UseOutcome,
)
from consent.receipts import Receipt, consent_receipt, kantara
from consent.rules import SENSITIVE_CERTIFICATES, decide, scope_key, status_of
from consent.subjects import (
    ensure_subject,
    identity_key,
    is_self,
    my_subject,
    subjects_as_seen,
    update_my_identity,
)
from consent.uses import authorize_data_use, get_uses, list_my_data_uses

__all__ = [
    "Code",
    "SENSITIVE_CERTIFICATES",
    "COMPLAINT_TRANSITIONS",
    "CertificateType",
    "Complaint",
    "ComplaintFields",
    "ComplaintOutcome",
    "ComplaintStatus",
    "Consent",
    "ConsentEvent",
    "ConsentItem",
    "ConsentMode",
    "ConsentStatus",
    "DataSubject",
    "DataUse",
    "DenialReason",
    "GrantFields",
    "Receipt",
    "SubjectKind",
    "UseOutcome",
    "assign_complaint",
    "authorize_data_use",
    "consent_receipt",
    "file_complaint",
    "get_complaints",
    "is_overdue",
    "kantara",
    "list_complaints",
    "listen_events",
    "list_my_complaints",
    "resolve_complaint",
    "decide",
    "ensure_subject",
    "my_subject",
    "get_consents",
    "get_uses",
    "grant_consent",
    "identity_key",
    "is_self",
    "items_of",
    "list_my_consents",
    "list_my_data_uses",
    "list_received_consents",
    "revoke_consent",
    "scope_key",
    "status_of",
    "subjects_as_seen",
    "update_my_identity",
    "visible_to",
]
