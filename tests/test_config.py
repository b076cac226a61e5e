"""Settings: MEIHAO_* variables, meihao.toml, and start-up refusing wrong values with the setting's name."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from meihao.config import load_settings
from meihao.errors import ConfigurationError


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    """Each test runs in an empty folder, so no meihao.toml or database of the checkout is read."""
    monkeypatch.chdir(tmp_path)


def env(**values: str) -> dict[str, str]:
    return {f"MEIHAO_{k.upper()}": v for k, v in values.items()}


def test_defaults(tmp_path):
    settings = load_settings(environ={})
    assert settings.database_url == "sqlite:///meihao.db"
    assert settings.mode == "demo"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.disabled_plugins == []
    assert settings.default_timezone == "Asia/Shanghai"
    assert settings.is_sqlite


def test_demo_mode_keeps_a_generated_key_beside_the_database(tmp_path):
    first = load_settings(environ=env(database_url=f"sqlite:///{tmp_path}/data/x.db"))
    Fernet(first.data_key.encode())  # a usable key
    key_file = tmp_path / "data" / "x.db.key"
    assert key_file.read_text() == first.data_key
    assert key_file.stat().st_mode & 0o777 == 0o600
    again = load_settings(environ=env(database_url=f"sqlite:///{tmp_path}/data/x.db"))
    assert again.data_key == first.data_key  # a restart can still read the data


def test_environment_values_are_parsed(tmp_path):
    key = Fernet.generate_key().decode()
    settings = load_settings(
        environ={
            **env(
                database_url="postgresql://meihao@db.example:5432/meihao",
                mode="production",
                data_key=key,
                port=" 8080 ",
                host="0.0.0.0",
                max_page_size="500",
                default_page_size="20",
                default_timezone="Asia/Urumqi",
                load_entry_points="false",
            ),
            "MEIHAO_SOMETHING_FOR_A_PLUGIN": "ignored",
            "PORT": "1",
        }
    )
    assert settings.database_url == "postgresql://meihao@db.example:5432/meihao"
    assert not settings.is_sqlite
    assert settings.mode == "production"
    assert settings.data_key == key
    assert settings.port == 8080
    assert settings.host == "0.0.0.0"
    assert (settings.max_page_size, settings.default_page_size) == (500, 20)
    assert settings.default_timezone == "Asia/Urumqi"
    assert settings.load_entry_points is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", []),
        ("lantern", ["lantern"]),
        ("lantern,markets", ["lantern", "markets"]),
        (" lantern , markets ,, ", ["lantern", "markets"]),
    ],
)
def test_disabled_plugins_is_a_comma_separated_list(raw, expected):
    assert load_settings(environ=env(disabled_plugins=raw)).disabled_plugins == expected


def test_meihao_toml_is_read_and_the_environment_wins(tmp_path):
    Path("meihao.toml").write_text(
        'database_url = "sqlite:///from-file.db"\nport = 9000\ndisabled_plugins = ["lantern", "markets"]\nmode = "demo"\n',
        encoding="utf-8",
    )
    settings = load_settings(environ={})
    assert settings.database_url == "sqlite:///from-file.db"
    assert settings.port == 9000
    assert settings.disabled_plugins == ["lantern", "markets"]

    settings = load_settings(environ=env(port="9001", disabled_plugins="culture"))
    assert settings.port == 9001
    assert settings.disabled_plugins == ["culture"]
    assert settings.database_url == "sqlite:///from-file.db"


def test_meihao_config_names_another_file(tmp_path):
    other = tmp_path / "conf" / "street.toml"
    other.parent.mkdir()
    other.write_text("port = 9100\n", encoding="utf-8")
    assert load_settings(environ={"MEIHAO_CONFIG": str(other)}).port == 9100
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_settings(environ={"MEIHAO_CONFIG": str(tmp_path / "missing.toml")})


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        ("port = \n", "meihao.toml: not valid TOML"),
        ('port = "eighty"\n', "port in meihao.toml: Expected `int`"),
        ("prot = 8000\n", "meihao.toml: unknown setting 'prot'"),
        ('disabled_plugins = "lantern"\n', "disabled_plugins in meihao.toml: Expected `array`"),
    ],
)
def test_wrong_meihao_toml_names_the_file_and_setting(contents, message):
    Path("meihao.toml").write_text(contents, encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_settings(environ={})
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("variables", "names"),
    [
        (env(port="eighty"), "MEIHAO_PORT"),
        (env(port="70000"), "MEIHAO_PORT"),
        (env(port="0"), "MEIHAO_PORT"),
        (env(port=""), "MEIHAO_PORT"),
        (env(mode="prod"), "MEIHAO_MODE"),
        (env(max_page_size="many"), "MEIHAO_MAX_PAGE_SIZE"),
        (env(max_page_size="10"), "MEIHAO_DEFAULT_PAGE_SIZE"),
        (env(default_page_size="0"), "MEIHAO_DEFAULT_PAGE_SIZE"),
        (env(default_timezone="Beijing"), "MEIHAO_DEFAULT_TIMEZONE"),
        (env(load_entry_points="perhaps"), "MEIHAO_LOAD_ENTRY_POINTS"),
        (env(database_url="mysql://localhost/meihao"), "MEIHAO_DATABASE_URL"),
        (env(database_url="meihao.db"), "MEIHAO_DATABASE_URL"),
        (env(database_url="sqlite:///"), "MEIHAO_DATABASE_URL"),
    ],
)
def test_wrong_values_name_the_setting(variables, names):
    with pytest.raises(ConfigurationError) as caught:
        load_settings(environ=variables)
    assert str(caught.value).startswith(names)
    assert "\n" not in str(caught.value)


def test_production_needs_a_data_key(tmp_path):
    with pytest.raises(ConfigurationError) as caught:
        load_settings(environ=env(mode="production", database_url=f"sqlite:///{tmp_path}/x.db"))
    assert "MEIHAO_DATA_KEY" in str(caught.value)
    assert not (tmp_path / "x.db.key").exists()  # no key was made up


def test_postgresql_needs_a_shared_data_key_even_in_demo_mode():
    """A key made up by each process would differ between nodes and restarts: the data would be lost."""
    with pytest.raises(ConfigurationError, match="MEIHAO_DATA_KEY"):
        load_settings(environ=env(database_url="postgresql://localhost/meihao"))


def test_bad_data_key_stops_boot_naming_it(tmp_path):
    from meihao.runtime import boot

    settings = load_settings(environ=env(database_url=f"sqlite:///{tmp_path}/x.db", data_key="not-a-key"))
    with pytest.raises(ConfigurationError, match="MEIHAO_DATA_KEY is not a valid key"):
        boot(settings, entry_point_filter=lambda ep: False)


def test_unusable_database_folder_is_a_configuration_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigurationError) as caught:
        load_settings(environ=env(database_url=f"sqlite:///{blocker}/x.db"))
    assert "MEIHAO_DATABASE_URL" in str(caught.value)


def test_explicit_overrides_win(tmp_path):
    settings = load_settings(environ=env(port="9000"), port=9500, database_url=f"sqlite:///{tmp_path}/x.db")
    assert settings.port == 9500


def test_unusable_database_folder_stops_boot_naming_the_setting(tmp_path):
    from meihao.runtime import boot

    blocker = tmp_path / "file"
    blocker.write_text("")
    settings = load_settings(environ=env(database_url=f"sqlite:///{blocker}/x.db", data_key=Fernet.generate_key().decode()))
    with pytest.raises(ConfigurationError, match="^MEIHAO_DATABASE_URL: cannot create the folder"):
        boot(settings, entry_point_filter=lambda ep: False)


def test_a_demo_key_written_by_another_process_meanwhile_is_kept(tmp_path, monkeypatch):
    """Two commands started at once on a new database: the second must use the first one's key, not overwrite it."""
    from meihao import config

    other = Fernet.generate_key().decode()
    (tmp_path / "x.db.key").write_text(other)
    # The other process wrote the file just after this one looked for it.
    monkeypatch.setattr(config.Path, "is_file", lambda self: False)
    settings = load_settings(environ=env(database_url=f"sqlite:///{tmp_path}/x.db"))
    assert settings.data_key == other
    assert (tmp_path / "x.db.key").read_text() == other
