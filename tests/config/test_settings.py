"""Settings: defaults, parsing, cross-checks, and one readable line per bad setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings, SettingsError, environment_names, load_settings, redacted


def test_defaults_need_no_tenant() -> None:
    s = load_settings()
    assert s.store == "sqlite" and s.data_dir == Path("var")
    assert s.resolved_sources_dir == Path("var/sources")
    assert s.sqlite_path == Path("var/lists.sqlite3")
    assert s.graph_endpoint == "https://graph.microsoft.com"
    assert s.authority_host == "https://login.microsoftonline.com" and s.authority_is_public_cloud
    assert s.bot_port == 3978 and s.bot_host == "127.0.0.1" and s.admin_group_ids == []


def test_environment_is_read_with_the_dx_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DX_SOURCES_DIR", str(tmp_path / "drop"))
    monkeypatch.setenv("DX_BOT_PORT", "4000")
    monkeypatch.setenv("DX_ADMIN_GROUP_IDS", "aaa, bbb  ccc")
    monkeypatch.setenv("DX_GRAPH_ENDPOINT", "https://graph.microsoft.us/")
    monkeypatch.setenv("DX_AUTHORITY_HOST", "https://login.microsoftonline.us")
    monkeypatch.setenv("DX_LOG_LEVEL", "debug")
    s = load_settings()
    assert s.data_dir == tmp_path and s.resolved_sources_dir == tmp_path / "drop"
    assert s.bot_port == 4000 and s.admin_group_ids == ["aaa", "bbb", "ccc"]
    assert s.graph_endpoint == "https://graph.microsoft.us" and not s.authority_is_public_cloud
    assert s.log_level == "DEBUG"


def test_dotenv_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DX_BOT_PORT=3999\nDX_STORE=memory\n", encoding="utf-8")
    s = load_settings()
    assert s.bot_port == 3999 and s.store == "memory"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DX_BOT_PORT": "abc"}, "DX_BOT_PORT: Input should be a valid integer"),
        ({"DX_BOT_PORT": "70000"}, "DX_BOT_PORT: Input should be less than or equal to 65535"),
        ({"DX_STORE": "excel"}, "DX_STORE: Input should be 'sqlite', 'memory' or 'sharepoint'"),
        ({"DX_GRAPH_ENDPOINT": "graph.microsoft.com"}, "DX_GRAPH_ENDPOINT: must be an absolute URL"),
        ({"DX_STORE": "sharepoint"}, "DX_TENANT_ID: required when DX_STORE=sharepoint"),
        ({"DX_STORE": "sharepoint", "DX_TENANT_ID": "t", "DX_CLIENT_ID": "c"},
         "DX_SITE_ID: required (or DX_SITE_URL)"),
        ({"DX_STORE": "sharepoint", "DX_TENANT_ID": "t", "DX_CLIENT_ID": "c", "DX_SITE_ID": "s"},
         "DX_CLIENT_CERTIFICATE_PATH: a credential is required"),
        ({"DX_BOT_APP_ID": "app"}, "DX_BOT_APP_PASSWORD: required when DX_BOT_APP_ID is set"),
        ({"DX_CA_BUNDLE": "/nonexistent/ca.pem"}, "DX_CA_BUNDLE: file not found"),
        ({"DX_STATE_STORE": "azure"}, "DX_STATE_CONNECTION_STRING: required when DX_STATE_STORE=azure"),
        ({"DX_STATE_STORE": "blob"}, "DX_STATE_STORE: Input should be 'file' or 'azure'"),
        ({"DX_STATE_CONNECTION_STRING_FILE": "/nonexistent/cs"}, "DX_STATE_CONNECTION_STRING_FILE: file not found"),
        ({"DX_STATE_PREFIX": "DX-city"}, "DX_STATE_PREFIX: String should match pattern"),
    ],
)
def test_bad_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).startswith(expected)
    assert "\n" not in str(info.value)


def test_secrets_are_never_echoed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("s3cr3t-from-file\n", encoding="utf-8")
    monkeypatch.setenv("DX_CLIENT_SECRET_FILE", str(secret_file))
    monkeypatch.setenv("DX_BOT_APP_ID", "app")
    monkeypatch.setenv("DX_BOT_APP_PASSWORD", "hunter2-password")
    monkeypatch.setenv("DX_STATE_CONNECTION_STRING", "AccountName=city;AccountKey=k3y-of-the-account")
    s = load_settings()
    assert s.client_secret_value() == "s3cr3t-from-file"
    assert s.state_connection_string_value() == "AccountName=city;AccountKey=k3y-of-the-account"
    shown = repr(s) + str(redacted(s))
    assert "hunter2" not in shown and "s3cr3t" not in shown and "k3y" not in shown
    assert redacted(s)["DX_BOT_APP_PASSWORD"] == "********"


def test_every_field_has_a_description_for_the_docs() -> None:
    assert all(info.description for info in Settings.model_fields.values())
    assert "DX_DATA_DIR" in environment_names() and "DX_BOT_APP_PASSWORD" in environment_names()
