"""Every environment variable the package reads, in one place.

An explicit argument beats an environment variable, which beats a default:
``load_settings(store_url="sqlite:///x.db")`` ignores ``LIVE_STORE_URL``.

The model is plain pydantic rather than pydantic-settings: the callback runs on
every cold start of a cloud function, and pydantic-settings loads about 195 more
modules (asyncio, ssl, dotenv among them) for features we do not use.
``python -m bench settings_import`` measures it in fresh processes: on a
two-core machine pydantic-settings with one setting took 1.35x as long as
pydantic with one model (224 ms against 165 ms), while importing and loading
these settings took 1.01x. The difference is a fifth of the callback's whole
cold start. The names below are the whole contract; the README's table lists
the same ones.

A bad value fails at start with a :class:`~shared.errors.ConfigError` that
names the variable and never repeats the value, since many of them are secrets.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)

from shared.errors import ConfigError

__all__ = [
    "ENV_NAMES",
    "Settings",
    "default_store_url",
    "load_settings",
    "load_signing_keys",
]

#: Seconds Tencent's clock may run behind ours before a fresh pair looks stale.
_DEFAULT_GRACE = 30
_DEFAULT_MAX_FUTURE = 86_400


class Settings(BaseModel):
    """The package's configuration; field aliases are the environment names."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    callback_keys: tuple[SecretStr, ...] = Field(default=(), alias="LIVE_CALLBACK_KEYS")
    allow_unsigned: bool = Field(default=False, alias="LIVE_CALLBACK_ALLOW_UNSIGNED")
    sign_grace_seconds: int = Field(
        default=_DEFAULT_GRACE, ge=0, le=3600, alias="LIVE_SIGN_GRACE_SECONDS"
    )
    sign_max_future_seconds: int = Field(
        default=_DEFAULT_MAX_FUTURE, ge=60, alias="LIVE_SIGN_MAX_FUTURE_SECONDS"
    )
    store_url: str = Field(default="", alias="LIVE_STORE_URL")
    api_backend: Literal["api3", "legacy"] = Field(
        default="api3", alias="LIVE_API_BACKEND"
    )
    api_endpoint: str = Field(default="", alias="LIVE_API_ENDPOINT")
    appid: int | None = Field(default=None, gt=0, alias="LIVE_APPID")
    api_key: SecretStr | None = Field(default=None, alias="LIVE_API_KEY")
    push_domain: str = Field(default="", alias="LIVE_PUSH_DOMAIN")
    app_name: str = Field(default="live", min_length=1, alias="LIVE_APP_NAME")
    secret_id: SecretStr | None = Field(default=None, alias="TENCENTCLOUD_SECRET_ID")
    secret_key: SecretStr | None = Field(default=None, alias="TENCENTCLOUD_SECRET_KEY")
    wecom_url: SecretStr | None = Field(default=None, alias="ALERT_WECOM_URL")
    dingtalk_url: SecretStr | None = Field(default=None, alias="ALERT_DINGTALK_URL")
    dingtalk_secret: SecretStr | None = Field(
        default=None, alias="ALERT_DINGTALK_SECRET"
    )
    webhook_url: SecretStr | None = Field(default=None, alias="ALERT_WEBHOOK_URL")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", alias="LIVE_LOG_LEVEL"
    )

    @field_validator("callback_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        # The environment gives one comma-separated string; callers may pass a list.
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("store_url")
    @classmethod
    def _check_store_url(cls, value: str) -> str:
        if value and not value.startswith(_STORE_SCHEMES):
            raise ValueError("must start with sqlite:///, postgresql:// or postgres://")
        return value

    @field_validator("api_endpoint")
    @classmethod
    def _check_endpoint(cls, value: str) -> str:
        if value:
            _check_http_url(value)
        return value.rstrip("/")

    @field_validator("wecom_url", "dingtalk_url", "webhook_url")
    @classmethod
    def _check_alert_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            _check_http_url(value.get_secret_value())
        return value

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # The store URL stays a plain string, as its driver takes it, but a
        # PostgreSQL URL may hold a password: printing the settings masks it.
        for name, value in super().__repr_args__():
            yield name, _masked_url(value) if name == "store_url" else value

    @property
    def resolved_store_url(self) -> str:
        """The store URL, or the embedded default when none is set."""
        return self.store_url or default_store_url()

    def key_values(self) -> tuple[str, ...]:
        """The callback keys as plain strings, primary first."""
        return tuple(key.get_secret_value() for key in self.callback_keys)


_STORE_SCHEMES = ("sqlite:///", "postgresql://", "postgres://")

_NOT_HTTP_URL = "must be an http:// or https:// URL with a host"

#: A query parameter of a PostgreSQL URL that carries a password.
_PASSWORD_PARAMETER = re.compile(r"(?i)(password=)[^&]*")

#: The settings the signing helpers take their keys from, in order of preference.
_SIGNING_KEY_FIELDS = ("callback_keys", "api_key")


def _check_http_url(value: str) -> None:
    # Whitespace and control characters are refused outright: urlsplit would
    # quietly drop some of them, so the URL checked would not be the one used.
    if not value.isprintable() or any(char.isspace() for char in value):
        raise ValueError(_NOT_HTTP_URL)

    # Our own message every time: urlsplit's may quote part of the URL.
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError(_NOT_HTTP_URL) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or port == 0:
        raise ValueError(_NOT_HTTP_URL)


def _masked_url(url: str) -> str:
    # String steps rather than urlsplit, which raises on some malformed hosts:
    # a repr must never fail. Masking too much is harmless here.
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url

    userinfo, at, location = rest.rpartition("@")
    if at and ":" in userinfo:
        rest = f"{userinfo.partition(':')[0]}:***@{location}"
    return f"{scheme}://" + _PASSWORD_PARAMETER.sub(r"\1***", rest)


#: Every environment variable name the package reads.
ENV_NAMES: tuple[str, ...] = tuple(
    str(field.alias) for field in Settings.model_fields.values()
)


def default_store_url(
    environ: Mapping[str, str] | None = None, cwd: str | None = None
) -> str:
    """Return the embedded SQLite store's URL.

    On SCF only /tmp is writable, so the file goes there; locally it sits in the
    working directory where a person will find it. SCF is recognised by the
    variables its runtime sets (``SCF_FUNCTIONNAME``, or ``TENCENTCLOUD_RUNENV``
    of ``SCF``); should a runtime set neither, a working directory that cannot
    be written sends the file to /tmp all the same, rather than failing every
    delivery. (os.path, not pathlib: this runs on every cold start and pathlib
    costs milliseconds to import.)

    Args:
        environ: the variables to read; ``os.environ`` when omitted.
        cwd: the working directory; the process's own when omitted.

    Returns:
        A ``sqlite:///`` URL of the file ``live-sync.sqlite3``.
    """
    env = os.environ if environ is None else environ
    here = os.getcwd() if cwd is None else cwd
    on_scf = "SCF_FUNCTIONNAME" in env or env.get("TENCENTCLOUD_RUNENV") == "SCF"
    writable = os.access(here, os.W_OK)
    folder = "/tmp" if on_scf or not writable else here  # noqa: S108
    return f"sqlite:///{os.path.join(folder, 'live-sync.sqlite3')}"


def load_settings(
    environ: Mapping[str, str] | None = None, **overrides: Any
) -> Settings:
    """Read the settings from the environment, with explicit overrides on top.

    Args:
        environ: the variables to read; ``os.environ`` when omitted.
        **overrides: field names (``store_url=...``) that beat the environment.

    Raises:
        ConfigError: a value is malformed; the message names the variable only.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {name: env[name] for name in ENV_NAMES if name in env}
    for name, value in overrides.items():
        values[_env_name(name)] = value
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def load_signing_keys(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Read only the keys that make and check (t, sign) pairs.

    The callback keys come first; without them, the legacy API key. No other
    variable is read, so a malformed one elsewhere cannot stop a command that
    only signs.

    Args:
        environ: the variables to read; ``os.environ`` when omitted.

    Returns:
        The keys, primary first; empty when neither variable holds one.
    """
    env = os.environ if environ is None else environ
    names = [_env_name(field) for field in _SIGNING_KEY_FIELDS]
    settings = load_settings({name: env[name] for name in names if name in env})

    if settings.callback_keys:
        return settings.key_values()
    api_key = settings.api_key.get_secret_value() if settings.api_key else ""
    return (api_key,) if api_key else ()


def _describe(exc: ValidationError) -> str:
    # pydantic's own text repeats the input value; build ours from loc and msg.
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        name = _env_name(str(error["loc"][0]))
        problems.append(f"{name}: {error['msg']}")
    return "invalid configuration: " + "; ".join(problems)


def _env_name(field_or_alias: str) -> str:
    field = Settings.model_fields.get(field_or_alias)
    return str(field.alias) if field is not None else field_or_alias
