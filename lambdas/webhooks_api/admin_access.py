"""Only the admin API key may manage webhooks.

API Gateway's `apiKeyRequired` accepts any key in any usage plan of the stage — including producers'
ingestion keys — so the handler also checks *which* key was used (`requestContext.identity.apiKeyId`)
against the admin key ids the stack configures. No configured id means nobody is admitted.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


def admin_key_problem(event: dict[str, Any], admin_key_ids: Collection[str]) -> str | None:
    """Why the request may not manage webhooks, or None when it carries an admin key."""
    if not admin_key_ids:
        return "the webhooks API has no admin API key configured (ADMIN_API_KEY_IDS)"
    identity = (event.get("requestContext") or {}).get("identity") or {}
    key_id = identity.get("apiKeyId")
    if not key_id or key_id not in admin_key_ids:
        return "this API key may not manage webhooks; use the admin API key"
    return None
