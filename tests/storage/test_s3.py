"""The object store on S3 (moto's server on 127.0.0.1): atomic versions, clear errors for a
missing bucket, wrong credentials and an interrupted upload."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecasthub.errors import InvalidInputError, NotFoundError, StorageError
from forecasthub.settings import get_settings
from forecasthub.storage.objectstore import MARKER, open_store


@pytest.fixture
def store(s3_bucket: str, home: Path):
    return open_store(f"s3://{s3_bucket}/root", get_settings())


def _assert_clean(error: BaseException) -> None:
    """One readable line: no botocore traceback chained, no exception reprs."""
    text = str(error)
    assert "Traceback" not in text and "botocore" not in text and "\n" not in text
    assert error.__cause__ is None and error.__suppress_context__


def test_write_read_list_delete(store) -> None:
    store.write_bytes("a/b/c.txt", b"hello")
    assert store.read_bytes("a/b/c.txt") == b"hello"
    assert store.exists("a/b/c.txt") and not store.exists("a/nope")
    assert store.list("a") == ["a/b/c.txt"]
    assert store.list("missing") == []
    assert store.uri("a/b/c.txt") == f"s3://{store.root}/a/b/c.txt"
    with pytest.raises(NotFoundError):
        store.read_bytes("a/nope")
    with store.local_copy("a/b/c.txt") as local:
        assert Path(local).read_bytes() == b"hello"
    store.delete("a")
    assert store.list("") == []


def test_version_is_invisible_until_committed(store) -> None:
    import polars as pl

    with store.version("datasets/x/versions/v1") as staging:
        pl.DataFrame({"k": ["a", "b", "c"], "v": [1, 2, 3]}).write_parquet(staging / "data.parquet")
        (staging / "sub").mkdir()
        (staging / "sub" / "meta.json").write_text("{}")
        assert not store.exists("datasets/x/versions/v1/data.parquet")
    assert store.is_committed("datasets/x/versions/v1")
    assert store.list("datasets/x") == ["datasets/x/versions/v1/data.parquet",
                                        "datasets/x/versions/v1/sub/meta.json"]
    lazy = store.scan_parquet("datasets/x/versions/v1/data.parquet")
    assert lazy.filter(pl.col("k") == "b").collect()["v"].to_list() == [2]
    with pytest.raises(StorageError, match="already exists"), \
            store.version("datasets/x/versions/v1") as staging:
        (staging / "data.parquet").write_bytes(b"other")


def test_failed_block_uploads_nothing(store) -> None:
    with pytest.raises(RuntimeError), store.version("v/bad") as staging:
        (staging / "part0").write_bytes(b"partial")
        raise RuntimeError("crash mid-write")
    assert not store.is_committed("v/bad")
    assert store.fs.find(store.path("v")) == []


def test_interrupted_upload_leaves_nothing_visible(store, monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection drops after the first of three files: no marker, no files, clear error."""
    real_put = store.fs.put_file
    calls = []

    def flaky_put(lpath, rpath, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(rpath)
        if len(calls) == 2:
            raise ConnectionResetError("connection reset by peer")
        return real_put(lpath, rpath, *args, **kwargs)

    monkeypatch.setattr(store.fs, "put_file", flaky_put)
    with pytest.raises(StorageError, match="cannot publish") as info, \
            store.version("forecasts/f/1") as staging:
        for n in range(3):
            (staging / f"part{n}.parquet").write_bytes(b"x" * 100)
    _assert_clean(info.value)
    assert not store.is_committed("forecasts/f/1")
    assert store.fs.find(store.path("forecasts")) == []  # the one uploaded file was removed
    monkeypatch.setattr(store.fs, "put_file", real_put)
    with store.version("forecasts/f/1") as staging:  # a retry publishes normally
        (staging / "part0.parquet").write_bytes(b"ok")
    assert store.is_committed("forecasts/f/1")


def test_crash_before_the_marker_reads_as_missing(store, fh) -> None:
    """A writer killed between the files and the marker: readers see no version."""
    from forecasthub.services.import_jobs import read_version

    store.fs.pipe_file(store.path("datasets/d/versions/v1/data.parquet"), b"half")
    assert not store.is_committed("datasets/d/versions/v1")
    fh.hub.__dict__["store"] = store
    with pytest.raises(NotFoundError, match="missing or incomplete"):
        read_version(fh.hub, "datasets/d/versions/v1")
    with store.version("datasets/d/versions/v1") as staging:  # the leftover is replaced
        (staging / "data.parquet").write_bytes(b"whole")
    assert store.read_bytes("datasets/d/versions/v1/data.parquet") == b"whole"


def test_missing_bucket_is_a_clear_error(s3_bucket: str, home: Path) -> None:
    store = open_store("s3://no-such-bucket-here/x", get_settings())
    with pytest.raises(StorageError, match="bucket 'no-such-bucket-here' does not exist") as info:
        store.write_bytes("k", b"1")
    _assert_clean(info.value)
    with pytest.raises(StorageError, match="does not exist"):
        store.check()


@pytest.mark.parametrize("wrong", ["FORECASTHUB_S3_ACCESS_KEY_ID", "FORECASTHUB_S3_SECRET_ACCESS_KEY"])
def test_wrong_credentials_are_a_clear_error(s3_bucket: str, home: Path, wrong: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(wrong, "AKIAWRONGWRONGWRONG0")
    store = open_store(f"s3://{s3_bucket}/x", get_settings())
    with pytest.raises(StorageError, match="access denied") as info:
        store.read_bytes("anything")
    _assert_clean(info.value)
    assert "FORECASTHUB_S3_ACCESS_KEY_ID" in str(info.value)


def test_unreachable_endpoint_is_a_clear_error(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("s3fs")
    from tests.infra import free_port

    monkeypatch.setenv("FORECASTHUB_S3_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("FORECASTHUB_S3_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("FORECASTHUB_S3_SECRET_ACCESS_KEY", "s")
    store = open_store("s3://bucket/x", get_settings(), config_kwargs={
        "connect_timeout": 1, "retries": {"max_attempts": 1}})
    with pytest.raises(StorageError, match="unreachable") as info:
        store.exists("k")
    _assert_clean(info.value)


def test_settings_build_s3fs_options(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("FORECASTHUB_S3_ENDPOINT_URL", "http://minio:9000")
    monkeypatch.setenv("FORECASTHUB_S3_REGION", "eu-central-1")
    monkeypatch.setenv("FORECASTHUB_S3_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("FORECASTHUB_S3_SECRET_ACCESS_KEY", "wJalrXUtnFEMI")
    settings = get_settings()
    assert settings.s3_options() == {"endpoint_url": "http://minio:9000", "key": "id", "secret": "wJalrXUtnFEMI",
                                     "client_kwargs": {"region_name": "eu-central-1"}}
    assert "wJalrXUtnFEMI" not in repr(settings)
    for var in ("FORECASTHUB_S3_ENDPOINT_URL", "FORECASTHUB_S3_REGION",
                "FORECASTHUB_S3_ACCESS_KEY_ID", "FORECASTHUB_S3_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var)
    assert get_settings().s3_options() == {}  # botocore's default credential chain


@pytest.mark.parametrize("url", ["s3://", "s3:///key", "s3://b/../x"])
def test_bad_s3_urls_are_rejected(url: str) -> None:
    with pytest.raises(InvalidInputError):
        open_store(url)


def test_marker_name() -> None:
    assert MARKER == "_SUCCESS"
