"""Every package whose tables the migrations manage; env.py and the drift test import this."""

import broker.models  # noqa: F401
import consent.models  # noqa: F401
import core.models  # noqa: F401
import ledger.models  # noqa: F401
import registry.models  # noqa: F401
import sharing.models  # noqa: F401
