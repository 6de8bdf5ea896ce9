"""Settings, read from the environment (QUORUM_ prefix) once and passed in; never read at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("quorum-data")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUORUM_", extra="ignore")

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    secret_key: str = Field(default="", description="Signs session cookies; set it in production.")
    max_body_bytes: int = 2 * 1024 * 1024
    max_upload_bytes: int = 1024 * 1024 * 1024
    blob_dir: Path | None = None
    sql_echo: bool = False
    trusted_proxies: str = Field(
        default="",
        description="Addresses or networks (comma-separated) of reverse proxies whose X-Forwarded-For is believed.",
    )

    def resolved_blob_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "blobs"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'quorum.db').as_posix()}"
