"""HTML form posts: the CSRF check, and validation by the JSON API's own schemas.

Forms never restate a rule: a sign-up form is checked by `SignupRequest`, a room by
`RoomCreate`, and so on, so the page and the API cannot drift apart. A failed check becomes
one translated sentence per field.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from parley.web.cookies import CSRF_FIELD, check_csrf_value
from parley.web.i18n import Translator

M = TypeVar("M", bound=BaseModel)
MAX_FIELDS = 20


async def read_form(request: Request) -> dict[str, str]:
    """The posted text fields, after the double-submit CSRF check (403 `csrf_failed`)."""
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    check_csrf_value(request, values.get(CSRF_FIELD))
    return values


class FormErrors(Exception):
    """Field name -> sentence; the view shows the form again with them."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


def validate(model: type[M], data: dict[str, Any], t: Translator) -> M:
    """`model` filled from `data`, or `FormErrors` naming each bad field in the UI language."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "form"
            key = f"hint.{field}"
            errors.setdefault(field, t(key) if t.has(key) else t("error.invalid_field"))
        raise FormErrors(errors) from None


def checkbox(values: dict[str, str], name: str) -> bool:
    return values.get(name) in ("1", "on", "true")
