"""Settings, read from the environment (QUORUM_ prefix) once and passed in; never read at import time."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("quorum-data")
DEFAULT_MAX_FIELD_BYTES = 1024 * 1024
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")


def _split(hosts: str) -> list[str]:
    return [h.strip().lower() for h in hosts.split(",") if h.strip()]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QUORUM_", extra="ignore")

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    secret_key: str = Field(default="", description="Signs session cookies; set it in production.")
    max_body_bytes: int = 2 * 1024 * 1024
    max_upload_bytes: int = 1024 * 1024 * 1024
    max_field_bytes: int = DEFAULT_MAX_FIELD_BYTES
    blob_dir: Path | None = None
    sql_echo: bool = False
    # Longer than a person reads an item, so their next request reuses the connection (uvicorn's 5 s
    # default made each next and submit of annotators reading ~10 s open a new one: a third more server
    # CPU a pair), and longer than a load balancer's idle timeout (60 s on AWS), which must close first.
    keep_alive_seconds: int = Field(
        default=75,
        ge=1,
        le=3600,
        description="How long the server keeps an idle HTTP connection open for the client's next request.",
    )
    job_stale_seconds: int = Field(
        default=300,
        ge=1,
        description="A running job silent this long lost its worker; a starting worker takes it over.",
    )
    quality_job_min_judgments: int = Field(
        default=5000,
        ge=0,
        description="From this many judgments a project's quality report is computed by a job and cached.",
    )
    redis_url: str = Field(
        default="",
        description="Redis URL for the job queue (RedisHuey); unset, the queue is a SQLite file in the data dir.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Addresses or networks (comma-separated) of reverse proxies whose X-Forwarded-For is believed.",
    )
    allow_link_local_models: bool = Field(
        default=False,
        description="Allow model base URLs on link-local and cloud-metadata addresses (169.254.0.0/16, fe80::/10).",
    )
    recorded_data: Path | None = Field(
        default=None,
        description="The hh-rlhf file the demo's recorded-response model answers from (default: shared/data beside the repo).",
    )
    synthetic_bar: float = Field(
        default=0.8,
        ge=0.0,
        le=1.0,
        description="Estimated valid share a synthetic-prompt batch must reach to be released (per batch: bar).",
    )
    executor: Literal["inprocess", "ray"] = Field(
        default="inprocess",
        description="Where batch model work (the embed job, batch scoring) runs: this process, or Ray.",
    )
    image_hosts: str = Field(
        default="", description="Comma-separated hosts pages may load item images from over HTTPS."
    )

    @field_validator("image_hosts")
    @classmethod
    def _hosts(cls, value: str) -> str:
        bad = [h for h in _split(value) if not _HOST.fullmatch(h)]
        if bad:
            raise ValueError(f"not a host name: {', '.join(bad)} (give names like images.example.com)")
        return value

    def image_host_set(self) -> frozenset[str]:
        return frozenset(_split(self.image_hosts))

    def resolved_blob_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "blobs"

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'quorum.db').as_posix()}"
