from pathlib import Path

import pytest

from forecasthub.errors import InvalidInputError
from forecasthub.settings import get_settings


def test_defaults_live_in_the_home(home: Path) -> None:
    s = get_settings()
    assert s.home == home
    assert s.database_url == f"sqlite:///{home / 'metadata.db'}"
    assert s.store_url == str(home / "store")


def test_import_roots_from_comma_separated_env(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORECASTHUB_IMPORT_ROOTS", "/data/a, /data/b ,s3://bucket/in")
    assert get_settings().import_roots == ["/data/a", "/data/b", "s3://bucket/in"]


def test_default_import_roots_are_home_and_cwd(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORECASTHUB_IMPORT_ROOTS")
    assert get_settings().import_roots == [str(home), str(Path.cwd())]


def test_config_file_is_read_and_env_wins(home: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "fh.toml"
    cfg.write_text('[forecasthub]\nregion = "eu-west-1"\naccount_id = "123456789012"\n')
    monkeypatch.setenv("FORECASTHUB_CONFIG_FILE", str(cfg))
    monkeypatch.setenv("FORECASTHUB_ACCOUNT_ID", "999999999999")
    s = get_settings()
    assert (s.region, s.account_id) == ("eu-west-1", "999999999999")


def test_broken_config_file_is_a_clear_error(home: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("region = \n")
    monkeypatch.setenv("FORECASTHUB_CONFIG_FILE", str(cfg))
    with pytest.raises(InvalidInputError, match="bad.toml"):
        get_settings()
