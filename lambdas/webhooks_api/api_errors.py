"""The API's error responses: an HTTP status, a plain-words message and, for bad input, the fields at fault."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ApiError(Exception):
    status: int
    message: str
    errors: list[dict[str, str]] = field(default_factory=list)

    def body(self) -> dict[str, Any]:
        document: dict[str, Any] = {"message": self.message}
        if self.errors:
            document["errors"] = self.errors
        return document


def bad_request(message: str, errors: list[dict[str, str]] | None = None) -> ApiError:
    return ApiError(400, message, errors or [])


def field_error(path: str, message: str) -> ApiError:
    """A 400 about one field, e.g. `field_error("url", "must use https://")`."""
    return ApiError(400, f"{path}: {message}", [{"path": path, "message": message}])


def not_found(message: str) -> ApiError:
    return ApiError(404, message)


def conflict(message: str) -> ApiError:
    return ApiError(409, message)
