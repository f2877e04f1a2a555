"""JSON logs, one object a line, each carrying the request id of the request it belongs to.

No personal data reaches a log (issue 10 §3): query documents and bound SQL parameters are
never logged (engines run with `hide_parameters=True`, `schema.errors.PdexSchema` logs codes,
not documents), and as a second line of defence the formatter redacts anything shaped like a
resident ID (GB 11643) or a phone number from every line it writes.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

# Shapes, not validity: a resident ID with a wrong checksum is still someone's typo of one.
# Bounded by non-alphanumerics so hex digests and request ids are left alone.
_PERSONAL = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"\d{17}[\dXx]"  # GB 11643 resident ID: 17 digits and a check character
    r"|(?:\+?86[- ]?)?1[3-9]\d{9}"  # mobile number, optionally with the country code
    r"|0\d{2,3}[- ]\d{7,8}"  # landline with its area code (0750-1234567)
    r")(?![0-9A-Za-z])"
)
REDACTED = "[redacted]"


# PIPL Art. 51: security measures for personal information: none of it in the logs
def redact_personal(text: str) -> str:
    """`text` with resident-ID- and phone-shaped runs replaced by `[redacted]`."""
    return _PERSONAL.sub(REDACTED, text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key != "request_id":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact_personal(json.dumps(entry, default=str, ensure_ascii=False))


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("alembic").setLevel("WARNING")
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").setLevel("WARNING")  # we log requests ourselves
