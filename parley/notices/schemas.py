"""Request and response bodies of the notice board."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, model_validator

from parley.accounts.api import MemberSummary
from parley.core.schemas import StrictModel
from parley.core.text import clean_text, printable_line

Title = Annotated[str, printable_line(1, 200)]
Body = Annotated[str, clean_text(20_000)]


class NoticeCreate(StrictModel):
    title: Title
    body: Body


class NoticeUpdate(StrictModel):
    """A partial update: only the fields sent change; `null` is refused."""

    title: Title | None = None
    body: Body | None = None

    @model_validator(mode="after")
    def _no_nulls(self) -> NoticeUpdate:
        if any(getattr(self, name) is None for name in self.model_fields_set):
            raise ValueError("fields may be left out but not set to null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class NoticeOut(BaseModel):
    id: int
    title: str
    body_markdown: str
    #: sanitised HTML rendered from `body_markdown`: safe to insert into a page as is
    body_html: str
    author: MemberSummary | None
    created_at: datetime
    updated_at: datetime
