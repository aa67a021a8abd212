"""What every service operation needs: settings, the metadata store and the object store."""

from __future__ import annotations

from functools import cached_property

from forecasthub.resources import make_arn
from forecasthub.settings import Settings, get_settings
from forecasthub.storage.objectstore import ObjectStore, open_store
from forecasthub.store.db import Database


class Hub:
    """One forecasthub installation (a home), opened lazily."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    @cached_property
    def db(self) -> Database:
        self.settings.home.mkdir(parents=True, exist_ok=True)
        return Database(self.settings.database_url)

    @cached_property
    def store(self) -> ObjectStore:
        return open_store(self.settings.store_url, self.settings)

    def arn(self, resource_type: str, *path: str) -> str:
        return make_arn(self.settings.region, self.settings.account_id, resource_type, *path)

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.dispose()
