"""Settings: every environment variable, its parsing and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from shared.errors import ConfigError
from shared.settings import (
    ENV_NAMES,
    default_store_url,
    load_settings,
    load_signing_keys,
)

#: Looks like a credential, so a test can tell if an error message repeats it.
SECRET = "sk_live_9QzT4xWv"

#: One valid raw value per variable, with the field it fills and what it becomes.
#: A secret field's expected value is its plain text.
VALID: dict[str, tuple[str, str, object]] = {
    "LIVE_CALLBACK_KEYS": ("callback_keys", "k1,k2", ("k1", "k2")),
    "LIVE_CALLBACK_ALLOW_UNSIGNED": ("allow_unsigned", "true", True),
    "LIVE_SIGN_GRACE_SECONDS": ("sign_grace_seconds", "45", 45),
    "LIVE_SIGN_MAX_FUTURE_SECONDS": ("sign_max_future_seconds", "3600", 3600),
    "LIVE_STORE_URL": (
        "store_url",
        "postgresql://live@127.0.0.1/live",
        "postgresql://live@127.0.0.1/live",
    ),
    "LIVE_API_BACKEND": ("api_backend", "legacy", "legacy"),
    "LIVE_API_ENDPOINT": (
        "api_endpoint",
        "http://127.0.0.1:9000",
        "http://127.0.0.1:9000",
    ),
    "LIVE_APPID": ("appid", "1250000001", 1250000001),
    "LIVE_API_KEY": ("api_key", "legacy-api-key", "legacy-api-key"),
    "LIVE_PUSH_DOMAIN": ("push_domain", "push.example.com", "push.example.com"),
    "LIVE_APP_NAME": ("app_name", "show", "show"),
    "TENCENTCLOUD_SECRET_ID": ("secret_id", "AKIDexample", "AKIDexample"),
    "TENCENTCLOUD_SECRET_KEY": ("secret_key", "secret-key", "secret-key"),
    "ALERT_WECOM_URL": (
        "wecom_url",
        "https://qyapi.weixin.qq.com/hook?key=1",
        "https://qyapi.weixin.qq.com/hook?key=1",
    ),
    "ALERT_DINGTALK_URL": (
        "dingtalk_url",
        "https://oapi.dingtalk.com/robot/send?access_token=1",
        "https://oapi.dingtalk.com/robot/send?access_token=1",
    ),
    "ALERT_DINGTALK_SECRET": ("dingtalk_secret", "SECabc", "SECabc"),
    "ALERT_WEBHOOK_URL": (
        "webhook_url",
        "http://127.0.0.1:8080/alerts",
        "http://127.0.0.1:8080/alerts",
    ),
    "LIVE_LOG_LEVEL": ("log_level", "DEBUG", "DEBUG"),
}

#: One malformed value per validation rule; each carries the secret-looking text.
INVALID: list[tuple[str, str]] = [
    ("LIVE_CALLBACK_ALLOW_UNSIGNED", SECRET),
    ("LIVE_SIGN_GRACE_SECONDS", SECRET),
    ("LIVE_SIGN_GRACE_SECONDS", "-1"),
    ("LIVE_SIGN_GRACE_SECONDS", "3601"),
    ("LIVE_SIGN_MAX_FUTURE_SECONDS", "59"),
    ("LIVE_STORE_URL", f"mysql://live:{SECRET}@127.0.0.1/live"),
    ("LIVE_API_BACKEND", SECRET),
    ("LIVE_API_ENDPOINT", f"ftp://{SECRET}@127.0.0.1"),
    ("LIVE_API_ENDPOINT", "http://"),
    ("LIVE_API_ENDPOINT", f"https:///{SECRET}"),
    ("LIVE_API_ENDPOINT", f"http://[::1/{SECRET}"),
    ("LIVE_API_ENDPOINT", f"http://127.0.0.1:{SECRET}"),
    ("LIVE_API_ENDPOINT", "http://127.0.0.1:0"),
    ("LIVE_API_ENDPOINT", f" http://{SECRET}.example"),
    ("LIVE_API_ENDPOINT", f"http://127.0.0.1\t/{SECRET}"),
    ("ALERT_WEBHOOK_URL", "https://"),
    ("ALERT_WECOM_URL", f"https://[{SECRET}/hook"),
    ("LIVE_APPID", SECRET),
    ("LIVE_APPID", "0"),
    ("LIVE_APP_NAME", ""),
    ("ALERT_WECOM_URL", f"qyapi.weixin.qq.com/hook?key={SECRET}"),
    ("ALERT_DINGTALK_URL", f"oapi.dingtalk.com/robot/send?access_token={SECRET}"),
    ("ALERT_WEBHOOK_URL", f"file:///{SECRET}"),
    ("LIVE_LOG_LEVEL", SECRET),
]


def plain(value: object) -> object:
    """A field's value with secrets revealed, for comparison."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, tuple):
        return tuple(plain(item) for item in value)
    return value


def test_the_table_covers_every_variable() -> None:
    """Each name in ENV_NAMES has a row in this file's table of valid values."""
    assert set(VALID) == set(ENV_NAMES)


def test_env_names_are_unique_and_upper_case() -> None:
    """Every variable name appears once and is spelled in upper case."""
    assert len(set(ENV_NAMES)) == len(ENV_NAMES)
    assert all(name == name.upper() for name in ENV_NAMES)


@pytest.mark.parametrize("name", sorted(VALID))
def test_every_variable_parses(name: str) -> None:
    """Each variable's valid raw value lands, parsed, in its field."""
    field, raw, expected = VALID[name]

    settings = load_settings({name: raw})

    assert plain(getattr(settings, field)) == expected


def test_defaults_apply_when_nothing_is_set() -> None:
    """An empty environment gives the documented defaults and fails nothing."""
    settings = load_settings({})

    assert settings.callback_keys == ()
    assert settings.allow_unsigned is False
    assert (settings.sign_grace_seconds, settings.sign_max_future_seconds) == (
        30,
        86_400,
    )
    assert (settings.api_backend, settings.app_name, settings.log_level) == (
        "api3",
        "live",
        "INFO",
    )
    assert settings.api_key is None


def test_callback_keys_split_on_commas() -> None:
    """Keys are comma-separated, trimmed, and empty entries are dropped."""
    settings = load_settings({"LIVE_CALLBACK_KEYS": " primary , ,backup,"})

    assert settings.key_values() == ("primary", "backup")


def test_callback_keys_accept_a_list_from_code() -> None:
    """A caller may pass the keys as a list instead of one string."""
    settings = load_settings({}, callback_keys=["primary", "backup"])

    assert settings.key_values() == ("primary", "backup")


def test_secrets_stay_out_of_repr() -> None:
    """Printing the settings never shows a key or secret."""
    settings = load_settings(
        {"LIVE_CALLBACK_KEYS": SECRET, "TENCENTCLOUD_SECRET_KEY": SECRET}
    )

    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            f"postgresql://live:{SECRET}@127.0.0.1:5432/live",
            "postgresql://live:***@127.0.0.1:5432/live",
        ),
        (
            f"postgres://live@db/live?sslmode=require&password={SECRET}",
            "postgres://live@db/live?sslmode=require&password=***",
        ),
        (f"postgresql://live:a/b?{SECRET}@db/live", "postgresql://live:***@db/live"),
        (f"postgresql://live:{SECRET}@[::1/live", "postgresql://live:***@[::1/live"),
    ],
    ids=["userinfo", "query", "unescaped-characters", "malformed-host"],
)
def test_store_password_is_masked_in_repr_and_str(url: str, shown: str) -> None:
    """A PostgreSQL password never shows when the settings are printed, while
    the store still gets the real URL."""
    settings = load_settings({"LIVE_STORE_URL": url})

    for text in (repr(settings), str(settings)):
        assert SECRET not in text
        assert f"store_url={shown!r}" in text
    assert settings.resolved_store_url == url


def test_store_url_without_a_password_is_printed_as_it_is() -> None:
    """Nothing is masked in a URL that holds no password."""
    settings = load_settings({"LIVE_STORE_URL": "sqlite:///x.db"})

    assert "store_url='sqlite:///x.db'" in repr(settings)


def test_store_password_stays_out_of_an_error_about_another_variable() -> None:
    """A refusal of another variable names that one and repeats no password."""
    environ = {"LIVE_STORE_URL": f"postgresql://u:{SECRET}@db/x", "LIVE_APPID": "0"}

    with pytest.raises(ConfigError) as caught:
        load_settings(environ)

    assert "LIVE_APPID" in str(caught.value)
    assert SECRET not in str(caught.value)


# Signing keys alone ------------------------------------------------------------


def test_signing_keys_are_the_callback_keys_first() -> None:
    """The callback keys, primary first, win over the legacy API key."""
    environ = {"LIVE_CALLBACK_KEYS": "k1,k2", "LIVE_API_KEY": "api"}

    assert load_signing_keys(environ) == ("k1", "k2")


def test_signing_keys_fall_back_to_the_api_key() -> None:
    """Without callback keys, the legacy API key is the one key."""
    environ = {"LIVE_CALLBACK_KEYS": " , ", "LIVE_API_KEY": "api"}

    assert load_signing_keys(environ) == ("api",)


@pytest.mark.parametrize(
    "environ", [{}, {"LIVE_API_KEY": ""}], ids=["unset", "empty-api-key"]
)
def test_signing_keys_are_empty_without_a_key(environ: dict[str, str]) -> None:
    """Neither variable holding a key gives no keys, never an empty key."""
    assert load_signing_keys(environ) == ()


def test_signing_keys_ignore_every_other_variable() -> None:
    """Malformed variables that hold no key do not stop reading the keys."""
    environ = {"LIVE_CALLBACK_KEYS": "k1", "LIVE_APPID": "abc", "LIVE_API_BACKEND": "x"}

    assert load_signing_keys(environ) == ("k1",)


def test_signing_keys_read_the_process_environment_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without an explicit mapping, os.environ is read."""
    monkeypatch.setenv("LIVE_CALLBACK_KEYS", "from-process")

    assert load_signing_keys() == ("from-process",)


def test_read_from_the_process_environment_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without an explicit mapping, os.environ is read."""
    monkeypatch.setenv("LIVE_APP_NAME", "from-process")

    assert load_settings().app_name == "from-process"


def test_unrelated_variables_are_ignored() -> None:
    """Variables the package does not read do not disturb it."""
    assert load_settings({"PATH": "/bin", "LIVE_UNKNOWN": "x"}).app_name == "live"


def test_an_override_beats_the_environment() -> None:
    """An explicit argument wins over the variable of the same setting."""
    environ = {"LIVE_STORE_URL": "sqlite:///from-env.db"}

    settings = load_settings(environ, store_url="sqlite:///from-arg.db")

    assert settings.store_url == "sqlite:///from-arg.db"


def test_an_override_may_use_the_variable_name() -> None:
    """Overrides are accepted under the environment name as well."""
    settings = load_settings({"LIVE_APP_NAME": "env"}, LIVE_APP_NAME="arg")

    assert settings.app_name == "arg"


def test_an_override_of_none_clears_an_optional_secret() -> None:
    """None passed for an optional URL leaves it unset, without error."""
    environ = {"ALERT_WECOM_URL": "https://qyapi.weixin.qq.com/hook"}

    assert load_settings(environ, wecom_url=None).wecom_url is None


@pytest.mark.parametrize(("name", "raw"), INVALID)
def test_a_bad_value_names_the_variable_but_not_the_value(name: str, raw: str) -> None:
    """The error names the variable and never repeats what it held."""
    with pytest.raises(ConfigError) as caught:
        load_settings({name: raw})

    assert name in str(caught.value)
    assert SECRET not in str(caught.value)


def test_every_bad_value_is_reported_at_once() -> None:
    """Several bad variables are all named in one error."""
    with pytest.raises(ConfigError) as caught:
        load_settings({"LIVE_APPID": "0", "LIVE_LOG_LEVEL": "TRACE"})

    assert "LIVE_APPID" in str(caught.value)
    assert "LIVE_LOG_LEVEL" in str(caught.value)


def test_an_unknown_override_is_refused() -> None:
    """An override that names no setting is a ConfigError naming it, not its value."""
    with pytest.raises(ConfigError) as caught:
        load_settings({}, stroe_url=SECRET)

    assert "stroe_url" in str(caught.value)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://live.tencentcloudapi.com",
        "http://127.0.0.1:9100",
        "http://[::1]:9100",
        "HTTP://Emulator.Local/base",
    ],
)
def test_api_endpoint_accepts_an_http_base_url_with_a_host(url: str) -> None:
    """http or https, a host (name, IPv4 or IPv6), an optional port and path."""
    assert load_settings({"LIVE_API_ENDPOINT": url}).api_endpoint == url


def test_api_endpoint_loses_its_trailing_slash() -> None:
    """A base URL written with a trailing slash is stored without it."""
    settings = load_settings({"LIVE_API_ENDPOINT": "http://127.0.0.1:9000/"})

    assert settings.api_endpoint == "http://127.0.0.1:9000"


def test_empty_store_url_and_endpoint_mean_unset() -> None:
    """Empty strings for the store URL and endpoint are accepted as unset."""
    settings = load_settings({"LIVE_STORE_URL": "", "LIVE_API_ENDPOINT": ""})

    assert (settings.store_url, settings.api_endpoint) == ("", "")


def test_default_store_is_in_the_working_directory_locally() -> None:
    """Outside SCF, the embedded store file sits in the working directory."""
    expected = f"sqlite:///{Path.cwd() / 'live-sync.sqlite3'}"

    assert default_store_url({}) == expected


@pytest.mark.parametrize(
    "environ",
    [{"SCF_FUNCTIONNAME": "callback"}, {"TENCENTCLOUD_RUNENV": "SCF"}],
    ids=["function-name", "run-env"],
)
def test_default_store_is_in_tmp_on_scf(environ: dict[str, str]) -> None:
    """On SCF, where only /tmp is writable, the store file goes there."""
    assert default_store_url(environ) == "sqlite:////tmp/live-sync.sqlite3"


def test_default_store_leaves_a_working_directory_it_cannot_write(
    tmp_path: Path,
) -> None:
    """Without the SCF markers, an unwritable working directory still sends the
    file to /tmp instead of making every delivery fail."""
    gone = tmp_path / "removed"

    assert default_store_url({}, cwd=str(gone)) == "sqlite:////tmp/live-sync.sqlite3"
    assert default_store_url({}, cwd=str(tmp_path)) == (
        f"sqlite:///{tmp_path / 'live-sync.sqlite3'}"
    )


def test_default_store_reads_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a mapping, the SCF markers are read from os.environ."""
    monkeypatch.setenv("SCF_FUNCTIONNAME", "callback")

    assert default_store_url() == "sqlite:////tmp/live-sync.sqlite3"


def test_resolved_store_url_prefers_the_setting() -> None:
    """A configured store URL is used as it is."""
    settings = load_settings({"LIVE_STORE_URL": "sqlite:///x.db"})

    assert settings.resolved_store_url == "sqlite:///x.db"


def test_resolved_store_url_falls_back_to_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without a configured store URL, the embedded default applies."""
    monkeypatch.delenv("SCF_FUNCTIONNAME", raising=False)
    monkeypatch.delenv("TENCENTCLOUD_RUNENV", raising=False)

    assert load_settings({}).resolved_store_url == default_store_url({})


def test_readme_lists_every_variable() -> None:
    """The README's configuration table names every variable the package reads."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()

    missing = [name for name in ENV_NAMES if f"| `{name}` |" not in readme]

    assert missing == []
