"""Access keys for the HTTP APIs: AWS-style ids and secrets kept in the metadata store.

Secrets are stored as issued, not hashed: a SigV4 signature is an HMAC keyed by a key derived
from the secret, so verifying one needs the secret itself. Whoever can read the metadata
database can read the secrets; on SQLite the database file is made readable by its owner only.
"""

from __future__ import annotations

import logging
import os
import secrets
import string
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from forecasthub.errors import NotFoundError
from forecasthub.services.context import Hub
from forecasthub.store.orm import AccessKeyRow, utcnow

log = logging.getLogger(__name__)

ACTIVE = "Active"
KEY_ID_ALPHABET = string.ascii_uppercase + "234567"  # base32, like AWS key ids
SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


@dataclass(frozen=True)
class AccessKey:
    access_key_id: str
    secret_access_key: str
    status: str
    created_at: datetime
    description: str | None = None


def new_key_id() -> str:
    """``AKIA`` + 16 base32 characters: 20 characters like an AWS access key id."""
    return "AKIA" + "".join(secrets.choice(KEY_ID_ALPHABET) for _ in range(16))


def new_secret() -> str:
    """40 random characters (about 238 bits)."""
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(40))


def create_access_key(hub: Hub, description: str | None = None) -> AccessKey:
    """Make and store a new active key; the only time its secret is shown is the caller's."""
    with hub.db.session() as s:
        row = AccessKeyRow(access_key_id=new_key_id(), secret_access_key=new_secret(),
                           status=ACTIVE, description=description, created_at=utcnow())
        s.add(row)
        key = _entity(row)
    _restrict_sqlite_file(hub)
    return key


def list_access_keys(hub: Hub) -> list[AccessKey]:
    with hub.db.session() as s:
        rows = s.scalars(select(AccessKeyRow).order_by(AccessKeyRow.created_at)).all()
        return [_entity(r) for r in rows]


def delete_access_key(hub: Hub, access_key_id: str) -> None:
    with hub.db.session() as s:
        row = s.get(AccessKeyRow, access_key_id)
        if row is None:
            raise NotFoundError(f"access key {access_key_id} not found")
        s.delete(row)


def any_access_key(hub: Hub) -> bool:
    """True once any key exists (active or not): from then on every request must authenticate."""
    with hub.db.session() as s:
        return s.scalars(select(AccessKeyRow.access_key_id).limit(1)).first() is not None


def secret_for(hub: Hub, access_key_id: str) -> str | None:
    """The secret of an active key, or None for an unknown or inactive one."""
    with hub.db.session() as s:
        row = s.get(AccessKeyRow, access_key_id)
        if row is None or row.status != ACTIVE:
            return None
        return row.secret_access_key


def _entity(row: AccessKeyRow) -> AccessKey:
    return AccessKey(row.access_key_id, row.secret_access_key, row.status, row.created_at,
                     row.description)


def _restrict_sqlite_file(hub: Hub) -> None:
    url = hub.settings.database_url
    if not url.startswith("sqlite:///"):
        return
    path = url.split("///", 1)[1]
    for candidate in (path, f"{path}-wal", f"{path}-shm"):
        try:
            if os.path.exists(candidate):
                os.chmod(candidate, 0o600)
        except OSError as exc:  # best effort: a shared filesystem may refuse
            log.warning("could not restrict permissions of %s: %s", candidate, exc)
