"""A small client for the webhooks management API (`kappa webhooks list/create/delete`).

client = WebhooksApiClient("https://abc.execute-api.eu-west-1.amazonaws.com/v1", api_key="...")
client.create("https://crm.example.com/hooks", ["cart_abandoned"])
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx


class WebhooksApiError(RuntimeError):
    """The API refused a request; the message is the API's own plain-words explanation."""


class WebhooksApiClient:
    def __init__(self, base_url: str, *, api_key: str, timeout: float = 15.0, transport: Any = None) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"x-api-key": api_key, "accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )

    def list(self, *, page_size: int = 50) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            params = {"limit": str(page_size), **({"next_token": token} if token else {})}
            page = self._call("GET", "/v1/webhooks", params=params)
            yield from page["items"]
            token = page.get("next_token")
            if not token:
                return

    def create(self, url: str, event_types: list[str], description: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"url": url, "event_types": event_types}
        if description:
            body["description"] = description
        return self._call("POST", "/v1/webhooks", json=body)

    def delete(self, subscription_id: str) -> None:
        self._call("DELETE", f"/v1/webhooks/{subscription_id}")

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, **options: Any) -> Any:
        try:
            response = self._client.request(method, path, **options)
        except httpx.HTTPError as error:
            raise WebhooksApiError(
                f"could not reach the webhooks API at {self._client.base_url}: {error}"
            ) from None
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            raise WebhooksApiError(f"{method} {path} answered {response.status_code}: {message}")
        return response.json() if response.content else None
