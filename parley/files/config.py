"""Settings of file storage, read from the same `PARLEY_*` environment variables.

They live here rather than in `core.config` so the files domain can be configured without
touching the core settings; `load_files_settings` reports mistakes like `load_settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from parley.core.config import ConfigError, Settings

MIB = 1024 * 1024


class FilesSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore", frozen=True)

    #: the largest file a member may upload, checked while the upload streams in
    upload_max_bytes: Annotated[int, Field(ge=1, le=1024 * MIB)] = 10 * MIB
    #: local storage directory; default: `files/` beside the SQLite database (or data dir)
    files_dir: Path | None = None
    files_backend: Literal["local", "s3"] = "local"
    files_s3_bucket: str | None = None
    #: e.g. http://127.0.0.1:9000 for MinIO; unset for AWS itself
    files_s3_endpoint_url: str | None = None
    files_s3_region: str = "us-east-1"
    files_s3_access_key_id: str | None = Field(default=None, repr=False)
    files_s3_secret_access_key: str | None = Field(default=None, repr=False)
    files_s3_prefix: Annotated[str, Field(pattern=r"^[A-Za-z0-9_./-]{0,100}$")] = ""
    #: uploads never attached to a message are deleted after this many hours
    files_orphan_hours: Annotated[float, Field(gt=0, le=24 * 365)] = 24.0
    #: how often each process collects orphans (0: never; use `parley files gc`)
    files_gc_interval_seconds: Annotated[float, Field(ge=0, le=7 * 86_400)] = 3600.0
    #: images with more pixels are refused (decompression bombs)
    image_max_pixels: Annotated[int, Field(ge=1, le=500_000_000)] = 50_000_000

    @model_validator(mode="after")
    def _check_backend(self) -> FilesSettings:
        if self.files_backend == "s3" and not self.files_s3_bucket:
            raise ValueError("PARLEY_FILES_BACKEND=s3 needs PARLEY_FILES_S3_BUCKET")
        return self

    def directory(self, settings: Settings) -> Path:
        return self.files_dir or settings.resolved_data_dir / "files"


def load_files_settings() -> FilesSettings:
    try:
        return FilesSettings()
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"  PARLEY_{name.upper()}: {message}" if name else f"  {message}")
        raise ConfigError("invalid configuration:\n" + "\n".join(lines)) from None
