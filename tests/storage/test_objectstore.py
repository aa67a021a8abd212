from pathlib import Path

import pytest

from forecasthub.errors import InvalidInputError, NotFoundError, StorageError
from forecasthub.storage.objectstore import open_store


def test_write_read_list(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    store.write_bytes("a/b/c.txt", b"hello")
    assert store.read_bytes("a/b/c.txt") == b"hello"
    assert store.list("a") == ["a/b/c.txt"]
    assert store.list("missing") == []
    with pytest.raises(NotFoundError):
        store.read_bytes("a/nope")


@pytest.mark.parametrize("key", ["../escape", "/abs", "a/../../b", ""])
def test_keys_cannot_escape_the_root(tmp_path: Path, key: str) -> None:
    store = open_store(f"file://{tmp_path}/s")
    with pytest.raises(InvalidInputError):
        store.write_bytes(key, b"x")


def test_version_is_invisible_until_committed(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    with store.version("datasets/x/versions/v1") as staging:
        (staging / "data.parquet").write_bytes(b"1234")
        assert not store.exists("datasets/x/versions/v1/data.parquet")
    assert store.is_committed("datasets/x/versions/v1")
    assert store.read_bytes("datasets/x/versions/v1/data.parquet") == b"1234"
    assert store.list("datasets/x") == ["datasets/x/versions/v1/data.parquet"]


def test_failed_version_leaves_nothing(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    with pytest.raises(RuntimeError):
        with store.version("v/bad") as staging:
            (staging / "part0").write_bytes(b"partial")
            raise RuntimeError("crash mid-write")
    assert not store.exists("v/bad")
    assert not store.is_committed("v/bad")
    assert store.list("") == []


def test_committed_version_is_immutable(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "s"))
    with store.version("v/1") as staging:
        (staging / "f").write_bytes(b"a")
    with pytest.raises(StorageError):
        with store.version("v/1") as staging:
            (staging / "f").write_bytes(b"b")
    assert store.read_bytes("v/1/f") == b"a"


def test_unknown_scheme_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="unsupported store URL"):
        open_store("ftp://host/x")
