"""Request bodies of the webhooks API as pydantic models, and their validation errors in plain words.

>>> parse_body(CreateWebhook, '{"url": "https://x.example", "event_types": []}').status
400
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from events.models import InsightType
from lambdas.webhooks_api.api_errors import ApiError, bad_request

MAX_DESCRIPTION_LENGTH = 500
Model = TypeVar("Model", bound=BaseModel)


def _unique(values: list[str] | None) -> list[str] | None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError("must not list the same insight type twice")
    return values


class CreateWebhook(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048)
    event_types: list[InsightType] = Field(min_length=1)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_LENGTH)

    _check_unique = field_validator("event_types")(_unique)


class UpdateWebhook(BaseModel):
    """PATCH: any of these; `status` pauses or resumes (a disabled subscription is resumed with `active`)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "paused"] | None = None
    event_types: list[InsightType] | None = Field(default=None, min_length=1)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_LENGTH)
    url: str | None = Field(default=None, min_length=1, max_length=2048)

    _check_unique = field_validator("event_types")(_unique)

    @model_validator(mode="after")
    def _something_to_change(self) -> UpdateWebhook:
        if not self.model_fields_set:
            raise ValueError("send at least one of: status, event_types, description, url")
        return self


def parse_body(model: type[Model], body: str | None) -> Model | ApiError:
    """The validated model, or the 400 to answer with (never raises for bad input)."""
    if not body or not body.strip():
        return bad_request("the request body is empty; send a JSON object")
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        if any(e["type"] == "json_invalid" for e in error.errors()):
            return bad_request("the request body is not valid JSON")
        if any(e["type"] == "model_type" for e in error.errors()):
            return bad_request("the request body must be a JSON object")
        problems = [{"path": _path(e["loc"]), "message": _message(e)} for e in error.errors()]
        summary = "; ".join(f"{p['path']}: {p['message']}" if p["path"] else p["message"] for p in problems)
        return bad_request(f"invalid request: {summary}", problems)


def _path(location: tuple[Any, ...]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not an allowed field"
    if kind == "literal_error":
        return f"must be one of: {context.get('expected', '').replace(' or ', ', ')}".replace("'", "")
    if kind == "string_type":
        return "must be a string"
    if kind == "list_type":
        return "must be an array"
    if kind == "too_short":
        return (
            f"must have at least {context.get('min_length')} item(s)"
            if "min_length" in context
            else "is too short"
        )
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {context.get('max_length')} characters"
    if kind == "value_error":
        return str(context.get("error", error["msg"]))
    return str(error["msg"])
