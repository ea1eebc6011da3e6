"""What an import already created: (source, kind, external id) -> the local id."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from parley.core.database import Base


class ImportRef(Base):
    """`slack`/`member`/`U024BE7LH` -> 12: a second import finds it instead of adding again."""

    __tablename__ = "import_refs"

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    local_id: Mapped[int] = mapped_column(BigInteger)
