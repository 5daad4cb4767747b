"""What the webhooks API does: register, list, change, rotate and remove subscriptions (no HTTP here).

Every method takes validated request models and returns plain data or raises `ApiError`; the handler only
routes. URLs are vetted by the target policy (public HTTPS only); secrets are generated here, returned
once, and stored only as KMS ciphertext.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from events import format_rfc3339, parse_rfc3339
from events.timefmt import utc_now
from lambdas.webhooks_api.api_errors import conflict, field_error, not_found
from lambdas.webhooks_api.request_models import CreateWebhook, UpdateWebhook
from lambdas.webhooks_common.delivery_log import DeliveryLog, InvalidAttemptTokenError
from lambdas.webhooks_common.signing_secrets import SecretCipher, format_secret, generate_secret
from lambdas.webhooks_common.subscriptions import (
    ConcurrentChangeError,
    InvalidPageTokenError,
    Subscription,
    SubscriptionNotFoundError,
    SubscriptionStore,
    is_subscription_id,
    new_subscription_id,
)
from lambdas.webhooks_common.target_policy import TargetPolicy, TargetRejectedError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class WebhookRegistry:
    def __init__(
        self,
        *,
        store: SubscriptionStore,
        cipher: SecretCipher,
        delivery_log: DeliveryLog,
        policy: TargetPolicy,
        rotation_grace_hours: int = 24,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._cipher = cipher
        self._log = delivery_log
        self._policy = policy
        self._grace = timedelta(hours=rotation_grace_hours)
        self._clock = clock

    def create(self, request: CreateWebhook) -> dict[str, Any]:
        """Register a subscription; the response carries its signing secret, which is never shown again."""
        self._vet(request.url)
        subscription_id = new_subscription_id()
        raw_secret = generate_secret()
        now = self._now()
        subscription = Subscription(
            subscription_id=subscription_id,
            url=request.url,
            event_types=tuple(request.event_types),
            status="active",
            created_at=now,
            updated_at=now,
            secret_ciphertext=self._cipher.encrypt(subscription_id, raw_secret),
            description=request.description,
        )
        self._store.put_new(subscription)
        return {**subscription.public_view(), "secret": format_secret(raw_secret)}

    def list(self, *, limit: str | None, next_token: str | None) -> dict[str, Any]:
        size = _page_size(limit)
        try:
            page, token = self._store.list_page(limit=size, after=next_token)
        except InvalidPageTokenError as error:
            raise field_error("next_token", str(error).removeprefix("next_token ")) from None
        return {"items": [s.public_view() for s in page], "next_token": token}

    def get(self, subscription_id: str) -> dict[str, Any]:
        return self._require(subscription_id).public_view()

    def update(self, subscription_id: str, request: UpdateWebhook) -> dict[str, Any]:
        current = self._require(subscription_id)
        changes: dict[str, Any] = {"updated_at": self._now()}
        fields = request.model_fields_set
        if "url" in fields and request.url is not None:
            self._vet(request.url)
            changes["url"] = request.url
        if "event_types" in fields and request.event_types is not None:
            changes["event_types"] = tuple(request.event_types)
        if "description" in fields:
            changes["description"] = request.description
        if "status" in fields and request.status is not None:
            changes["status"] = request.status
            if request.status == "active":
                changes["disabled_reason"] = None
        return self._write(replace(current, **changes), current).public_view()

    def delete(self, subscription_id: str) -> None:
        self._check_id(subscription_id)
        try:
            self._store.delete(subscription_id)
        except SubscriptionNotFoundError as error:
            raise not_found(str(error)) from None

    def rotate_secret(self, subscription_id: str, *, force: bool = False) -> dict[str, Any]:
        """A new secret; the old one keeps signing (alongside) until the grace period ends."""
        current = self._require(subscription_id)
        now = self._clock()
        in_grace = (
            current.previous_secret_expires_at and parse_rfc3339(current.previous_secret_expires_at) > now
        )
        if in_grace and not force:
            raise conflict(
                f"a secret rotation is already in progress: the previous secret stays valid until "
                f"{current.previous_secret_expires_at}; rotate again after that, or add ?force=true "
                "to drop that previous secret now"
            )
        raw_secret = generate_secret()
        keep_previous = self._grace > timedelta(0)
        rotated = replace(
            current,
            secret_ciphertext=self._cipher.encrypt(subscription_id, raw_secret),
            previous_secret_ciphertext=current.secret_ciphertext if keep_previous else None,
            previous_secret_expires_at=format_rfc3339(now + self._grace) if keep_previous else None,
            updated_at=format_rfc3339(now),
        )
        written = self._write(rotated, current)
        return {**written.public_view(), "secret": format_secret(raw_secret)}

    def deliveries(
        self, subscription_id: str, *, limit: str | None, next_token: str | None
    ) -> dict[str, Any]:
        self._require(subscription_id)
        try:
            items, token = self._log.recent_attempts(
                subscription_id, limit=_page_size(limit), after=next_token
            )
        except InvalidAttemptTokenError as error:
            raise field_error("next_token", str(error).removeprefix("next_token ")) from None
        return {"items": items, "next_token": token}

    def _vet(self, url: str) -> None:
        try:
            self._policy.vet_url(url)
        except TargetRejectedError as error:
            raise field_error("url", str(error)) from None

    def _require(self, subscription_id: str) -> Subscription:
        self._check_id(subscription_id)
        found = self._store.get(subscription_id)
        if found is None:
            raise not_found(f"no webhook subscription with id {subscription_id}")
        return found

    def _write(self, updated: Subscription, current: Subscription) -> Subscription:
        try:
            return self._store.replace(updated, expected=current)
        except SubscriptionNotFoundError as error:
            raise not_found(str(error)) from None
        except ConcurrentChangeError as error:
            raise conflict(str(error)) from None

    def _now(self) -> str:
        return format_rfc3339(self._clock())

    @staticmethod
    def _check_id(subscription_id: str) -> None:
        if not is_subscription_id(subscription_id):
            raise not_found(
                f"no webhook subscription with id {subscription_id!r} (ids look like wh_ followed by 32 hex digits)"
            )


def _page_size(limit: str | None) -> int:
    if limit is None or limit == "":
        return DEFAULT_PAGE_SIZE
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_PAGE_SIZE:
        raise field_error("limit", f"must be a whole number from 1 to {MAX_PAGE_SIZE}, got {limit!r}")
    return int(limit)
