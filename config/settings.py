"""One pydantic-settings model for the whole product, read once by each entry point."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping
from urllib.parse import urlparse

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "DX_"

PUBLIC_AUTHORITY_HOSTS = frozenset({"login.microsoftonline.com"})


class SettingsError(Exception):
    """A setting is missing or wrong; `str()` is one line naming the setting."""

    exit_code = 2


def _split_ids(value: object) -> object:
    # Admin group ids arrive as "id1,id2" (or whitespace separated) from env files.
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    return value


class Settings(BaseSettings):
    """Every knob of the product; environment variables are `DX_` + the upper-case field name."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    # Where things live.
    data_dir: Path = Field(Path("./var"), description="State, the SQLite store and sample data.")
    sources_dir: Path | None = Field(None, description="Exports to sync; default DATA_DIR/sources.")
    store: Literal["sqlite", "memory", "sharepoint"] = Field(
        "sqlite", description="Where the lists live."
    )

    # Microsoft Graph (app-only).
    tenant_id: str | None = Field(None, description="Entra ID tenant (directory) id.")
    client_id: str | None = Field(None, description="App registration (client) id for Graph.")
    client_secret: SecretStr | None = Field(None, description="Client secret (prefer a certificate).")
    client_secret_file: Path | None = Field(None, description="File holding the client secret.")
    client_certificate_path: Path | None = Field(None, description="PEM with key and certificate.")
    client_certificate_password: SecretStr | None = Field(None, description="Password of the PEM.")
    use_managed_identity: bool = Field(False, description="Use the managed identity of the host.")
    managed_identity_client_id: str | None = Field(None, description="User-assigned identity id.")
    site_id: str | None = Field(None, description="SharePoint site id (host,siteCollectionId,webId).")
    site_url: str | None = Field(None, description="SharePoint site URL, resolved to an id.")
    graph_endpoint: str = Field("https://graph.microsoft.com", description="Graph root (sovereign clouds).")
    authority_host: str = Field("https://login.microsoftonline.com", description="Entra ID authority.")
    ca_bundle: Path | None = Field(None, description="Extra CA bundle for TLS-inspecting proxies.")
    https_proxy: str | None = Field(None, description="Proxy for Graph and token calls.")
    organisation: str = Field("CityHall", description="Organisation name in the Graph User-Agent.")
    division_name: str = Field("デジタル行政戦略課", min_length=1, max_length=40,
                               description="The DX division's name as staff know it, in the bot's replies.")
    division_name_en: str = Field("the DX division", min_length=1, max_length=80,
                                  description="The same name in English replies.")
    graph_ru_per_minute: int = Field(
        2500, ge=60, description="SharePoint resource units a minute this app may spend."
    )

    # Bot Framework.
    bot_app_id: str | None = Field(None, description="Bot app id; when set, requests must be signed.")
    bot_app_password: SecretStr | None = Field(None, description="Bot app secret.")
    bot_tenant_id: str | None = Field(None, description="Tenant of a single-tenant bot.")
    bot_host: str = Field("127.0.0.1", description="Address the bot server binds to.")
    bot_port: int = Field(3978, ge=1, le=65535, description="Port the bot server listens on.")
    bot_openid_metadata_url: str = Field(
        "https://login.botframework.com/v1/.well-known/openidconfiguration",
        description="OpenID metadata of the Bot Connector's signing keys (sovereign clouds differ).")
    bot_token_issuer: str = Field("https://api.botframework.com",
                                  description="Issuer of the Bot Connector's tokens.")
    faq_refresh_seconds: float = Field(60.0, gt=0, description="How often the bot rereads the FAQ list.")
    expert_channel_id: str | None = Field(
        None, min_length=1, max_length=300,
        description="Teams channel id (19:…@thread.tacv2) that gets a card for each question sent to a person.")
    expert_group_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated Entra ID group ids whose members answer questions.")
    expert_route_to_leaders: bool = Field(
        False, description="Send a question first to the DX leaders of the asker's section (LeaderRoster), "
                           "then to the experts' channel.")
    expert_leader_hours: float = Field(
        4.0, gt=0, description="A question routed to the section's leaders that none of them has taken after "
                               "this goes to the experts' channel.")
    expert_remind_hours: float = Field(
        48.0, gt=0, description="A question sent to a person that nobody has taken after this is posted again, once.")
    expert_close_days: float = Field(
        14.0, gt=0, description="An answered question the asker has not settled is closed after this many days.")
    expert_answer_days: int = Field(
        3, ge=1, le=30, description="Working days within which staff are told to expect an answer from a person.")
    training_file: Path | None = Field(
        None, description="The division's training settings (format of config/training.toml): deadlines of "
                          "required courses, when to remind.")
    training_nudges: bool = Field(
        False, description="Remind staff of a required course they have not completed, once, "
                           "before its deadline (config/training.toml).")
    watch_seconds: float = Field(
        60.0, gt=0, description="How often the bot reads the Proposals and Questions lists for changes to tell of.")
    outbox_retry_seconds: float = Field(
        5.0, gt=0, description="First wait before the bot retries a list write that failed (it doubles each time).")
    faq_synonyms_file: Path | None = Field(
        None, description="The division's FAQ synonym file (format of config/faq_synonyms.toml); reread on change.")
    faq_encoder: Literal["e5", "none"] = Field(
        "e5", description="Sentence encoder of the FAQ matcher (none: words only).")
    faq_embedding_cache: Path | None = Field(
        None, description="SQLite cache of FAQ sentence vectors; default DATA_DIR/faq-embeddings.sqlite3.")

    # The sync scheduler's health endpoint (`dx-sync schedule`).
    sync_health_host: str = Field("127.0.0.1", description="Address of the scheduler's /healthz.")
    sync_health_port: int = Field(3980, ge=0, le=65535, description="Port of the scheduler's /healthz (0: off).")

    # Who may run admin actions (Entra ID group object ids).
    admin_group_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated Entra ID group ids of DX division admins."
    )

    # Reviewing proposals: the Teams channel that gets a card per proposal, and who may change
    # a proposal's status from it (members of these Entra ID groups, read through Graph).
    proposal_review_channel_id: str | None = Field(
        None, min_length=1, max_length=300,
        description="Teams channel id (19:…@thread.tacv2) that gets a review card per new proposal.")
    proposal_reviewer_group_ids: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated Entra ID group ids whose members review proposals.")

    # The Teams app package (`dx-bot teams-app build`).
    teams_app_id: str | None = Field(None, description="The Teams app's id (a GUID; default: DX_BOT_APP_ID).")
    teams_app_website_url: str | None = Field(
        None, description="https page about the app, shown in its details in Teams (needed to build the package).")
    teams_app_privacy_url: str | None = Field(None, description="https privacy statement (default: the website).")
    teams_app_terms_url: str | None = Field(None, description="https terms of use (default: the website).")
    teams_app_developer: str | None = Field(
        None, max_length=32, description="Who publishes the app, as Teams shows it (default: DX_DIVISION_NAME).")
    teams_app_valid_domains: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated domains the app may open in Teams (validDomains).")

    # Where the bot and the sync keep their own state (conversation references, sent cards, the
    # outbox, drafts; the sync's mirror, cursors and runs, and its run lock).
    state_store: Literal["file", "azure"] = Field(
        "file", description="file: SQLite and lock files under DX_DATA_DIR (one instance); azure: Azure Storage "
                            "tables and blobs, shared by several bot instances and sync workers.")
    state_connection_string: SecretStr | None = Field(
        None, description="Azure Storage connection string for DX_STATE_STORE=azure.")
    state_connection_string_file: Path | None = Field(
        None, description="File holding the Azure Storage connection string.")
    state_prefix: str = Field(
        "dx", pattern=r"^[a-z][a-z0-9]{1,19}$",
        description="Prefix of the state's table and container names (several installations in one account).")

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level.")

    _split_admin_ids = field_validator("admin_group_ids", "proposal_reviewer_group_ids", "expert_group_ids",
                                       "teams_app_valid_domains", mode="before")(_split_ids)

    @field_validator("teams_app_website_url", "teams_app_privacy_url", "teams_app_terms_url")
    @classmethod
    def _https_page(cls, value: str | None) -> str | None:
        if value is not None and (urlparse(value).scheme != "https" or not urlparse(value).netloc
                                  or any(c.isspace() or c in '<>"' for c in value)):
            raise ValueError("must be an https URL such as https://www.city.example.jp/dx/")
        return value

    @field_validator("teams_app_valid_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        for domain in value:
            if not re.fullmatch(r"(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", domain):
                raise ValueError(f"{domain!r} is not a domain such as city.example.jp")
        return value

    @field_validator("graph_endpoint", "authority_host", "bot_openid_metadata_url", "bot_token_issuer")
    @classmethod
    def _https_root(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in {"https", "http"} or not parsed.netloc:
            raise ValueError("must be an absolute URL such as https://graph.microsoft.com")
        return value.rstrip("/")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def resolved_sources_dir(self) -> Path:
        """Where exports are dropped: DX_SOURCES_DIR, else DATA_DIR/sources."""
        return self.sources_dir or self.data_dir / "sources"

    @property
    def sqlite_path(self) -> Path:
        """The embedded store's database file."""
        return self.data_dir / "lists.sqlite3"

    @property
    def faq_embedding_cache_path(self) -> Path:
        """Where FAQ sentence vectors are cached: DX_FAQ_EMBEDDING_CACHE, else in DATA_DIR."""
        return self.faq_embedding_cache or self.data_dir / "faq-embeddings.sqlite3"

    @property
    def authority_is_public_cloud(self) -> bool:
        """Instance discovery only works against the public cloud's authority."""
        return urlparse(self.authority_host).hostname in PUBLIC_AUTHORITY_HOSTS

    def client_secret_value(self) -> str | None:
        """The Graph client secret from DX_CLIENT_SECRET or the file DX_CLIENT_SECRET_FILE names."""
        if self.client_secret is not None:
            return self.client_secret.get_secret_value()
        if self.client_secret_file is not None:
            return self.client_secret_file.read_text(encoding="utf-8").strip()
        return None

    def state_connection_string_value(self) -> str | None:
        """The state's connection string from DX_STATE_CONNECTION_STRING or the file
        DX_STATE_CONNECTION_STRING_FILE names."""
        if self.state_connection_string is not None:
            return self.state_connection_string.get_secret_value()
        if self.state_connection_string_file is not None:
            return self.state_connection_string_file.read_text(encoding="utf-8").strip()
        return None

    def check_consistency(self) -> None:
        """Cross-setting rules that a single field cannot express."""
        _check_folder("DX_DATA_DIR", self.data_dir)
        if self.sources_dir is not None:
            _check_folder("DX_SOURCES_DIR", self.sources_dir)
        if self.client_secret_file is not None and not self.client_secret_file.is_file():
            raise SettingsError(
                f"DX_CLIENT_SECRET_FILE: file not found: {self.client_secret_file}"
            )
        if self.client_certificate_path is not None and not self.client_certificate_path.is_file():
            raise SettingsError(
                f"DX_CLIENT_CERTIFICATE_PATH: file not found: {self.client_certificate_path}"
            )
        if self.ca_bundle is not None and not self.ca_bundle.is_file():
            raise SettingsError(f"DX_CA_BUNDLE: file not found: {self.ca_bundle}")
        if self.state_connection_string_file is not None and not self.state_connection_string_file.is_file():
            raise SettingsError(
                f"DX_STATE_CONNECTION_STRING_FILE: file not found: {self.state_connection_string_file}")
        if self.state_store == "azure" and not (self.state_connection_string or self.state_connection_string_file):
            raise SettingsError("DX_STATE_CONNECTION_STRING: required when DX_STATE_STORE=azure "
                                "(or DX_STATE_CONNECTION_STRING_FILE)")
        if self.bot_app_id and self.bot_app_password is None:
            raise SettingsError("DX_BOT_APP_PASSWORD: required when DX_BOT_APP_ID is set")
        if self.store == "sharepoint":
            for name in ("tenant_id", "client_id"):
                if not getattr(self, name):
                    raise SettingsError(f"DX_{name.upper()}: required when DX_STORE=sharepoint")
            if not (self.site_id or self.site_url):
                raise SettingsError("DX_SITE_ID: required (or DX_SITE_URL) when DX_STORE=sharepoint")
            credentials = [
                self.client_secret is not None or self.client_secret_file is not None,
                self.client_certificate_path is not None,
                self.use_managed_identity,
            ]
            if not any(credentials):
                raise SettingsError(
                    "DX_CLIENT_CERTIFICATE_PATH: a credential is required when DX_STORE=sharepoint "
                    "(or DX_CLIENT_SECRET / DX_CLIENT_SECRET_FILE / DX_USE_MANAGED_IDENTITY=true)"
                )


def _check_folder(setting: str, path: Path) -> None:
    """A folder the product writes in: a folder if it exists, else creatable where it would go."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise SettingsError(f"{setting}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise SettingsError(f"{setting}: {existing} is not writable")


def _describe(error: Mapping[str, Any], secret_fields: set[str]) -> str:
    """One line for one pydantic error, naming the environment variable, never echoing secrets."""
    field = str(error["loc"][0]) if error["loc"] else "?"
    env_name = ENV_PREFIX + field.upper()
    message = error["msg"].removeprefix("Value error, ")
    if field in secret_fields or "input" not in error:
        return f"{env_name}: {message}"
    value = error["input"]
    shown = value if isinstance(value, str) and len(value) <= 80 else str(value)[:80]
    return f"{env_name}: {message} (got {shown!r})"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `.env`; raise SettingsError with one line per problem."""
    secret_fields = {
        name for name, info in Settings.model_fields.items() if "SecretStr" in repr(info.annotation)
    }
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError("\n".join(_describe(e, secret_fields) for e in exc.errors())) from None
    except UnicodeDecodeError as exc:
        raise SettingsError(
            f".env: UTF-8 として読めません（{exc.start} バイト目）。UTF-8 で保存し直してください / "
            f"not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    settings.check_consistency()
    return settings


def environment_names() -> list[str]:
    """Every DX_ variable the product reads, for docs and `--help`."""
    return [ENV_PREFIX + name.upper() for name in Settings.model_fields]


def redacted(settings: Settings) -> dict[str, object]:
    """Settings as a dict safe to print or log: secrets replaced by a marker."""
    out: dict[str, object] = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = "********"
        elif isinstance(value, Path):
            value = str(value)
        out[ENV_PREFIX + name.upper()] = value
    return out


__all__ = ["Settings", "SettingsError", "load_settings", "environment_names", "redacted"]

