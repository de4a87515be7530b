"""Request bodies for the organisation endpoints: valid by default, overridden per test."""

import itertools
from typing import Any

from app.organisations.models import Authority

_codes = itertools.count(1)


def next_seed_code() -> str:
    return f"{8100000 + next(_codes):07d}"


def establishment_body(authority: Authority, **fields: Any) -> dict[str, Any]:
    return {"code": next_seed_code(), "name": "Chapelhall Primary", "sector": "primary",
            "authority_id": str(authority.id), "roll": 210, **fields}
