"""Typed settings from environment variables (``FORECASTHUB_*``) and an optional config file.

Settings are built by :func:`get_settings`, never at import time, so tests and embedders can pass
their own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict


class Settings(BaseSettings):
    """Where forecasthub keeps its state and what it may read."""

    model_config = SettingsConfigDict(env_prefix="FORECASTHUB_", extra="ignore")

    home: Path = Field(default_factory=lambda: Path.cwd() / ".forecasthub")
    database_url: str = ""  # default: sqlite file in home
    store_url: str = ""  # default: folder "store" in home; s3://bucket/prefix accepted
    region: str = "us-east-1"
    account_id: str = "000000000000"
    import_roots: Annotated[list[str], NoDecode] = Field(default_factory=list)  # default: home and cwd
    executor: str = "local"  # local | ray (issue #7; ray connects to RAY_ADDRESS, see executors/)
    executor_workers: int = Field(default=1, ge=1)  # local executor processes; 1 = in-process
    executor_shards: int = Field(default=0, ge=0)  # shards per local-model fit; 0 = one per worker
    executor_min_shard_series: int = Field(default=200, ge=1)  # fewer series per shard: no split
    # S3-compatible object storage (store_url, import sources and export destinations on s3://).
    # Credentials: these two, else botocore's usual chain (AWS_ACCESS_KEY_ID /
    # AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE, instance roles).
    s3_endpoint_url: str = ""  # e.g. http://127.0.0.1:9000 for MinIO; empty: AWS S3
    s3_region: str = ""  # empty: AWS_REGION / AWS_DEFAULT_REGION / the profile's region
    s3_access_key_id: str = ""
    s3_secret_access_key: SecretStr = SecretStr("")
    s3_max_import_bytes: int = 50 * 1024**3  # an s3:// import is copied to local temp space first
    workers: int = 1
    job_lease_seconds: int = Field(default=60, ge=2)  # a dead worker's job is retried after this
    config_file: Path | None = None

    @field_validator("import_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        self.home = Path(self.home).expanduser().resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'metadata.db'}"
        if not self.store_url:
            self.store_url = str(self.home / "store")
        if not self.import_roots:
            self.import_roots = [str(self.home), str(Path.cwd())]
        return self

    def s3_options(self) -> dict[str, Any]:
        """s3fs ``S3FileSystem`` keyword arguments from the S3 settings (empty ones left out)."""
        options: dict[str, Any] = {}
        if self.s3_endpoint_url:
            options["endpoint_url"] = self.s3_endpoint_url
        if self.s3_region:
            options["client_kwargs"] = {"region_name": self.s3_region}
        secret = self.s3_secret_access_key.get_secret_value()
        if self.s3_access_key_id or secret:
            options["key"], options["secret"] = self.s3_access_key_id, secret
        return options

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _ConfigFileSource(settings_cls))


class _ConfigFileSource(PydanticBaseSettingsSource):
    """Reads ``FORECASTHUB_CONFIG_FILE`` (TOML, keys as the field names), lowest priority."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("FORECASTHUB_CONFIG_FILE")
        if not path:
            return {}
        import tomllib

        from forecasthub.errors import InvalidInputError

        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InvalidInputError(f"cannot read config file {path}: {exc}") from exc
        return data.get("forecasthub", data)


def get_settings(**overrides: Any) -> Settings:
    """Build settings from the environment, the config file and explicit overrides."""
    return Settings(**overrides)
