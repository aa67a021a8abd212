"""Typed settings from environment variables (``FORECASTHUB_*``) and an optional config file.

Settings are built by :func:`get_settings`, never at import time, so tests and embedders can pass
their own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator
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
    executor: str = "local"  # local | ray (ray lands with issue #7)
    workers: int = 1
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
