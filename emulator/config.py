"""The emulator's settings, read from the environment with fixed demo defaults.

Variables, with their defaults:

* ``LIVE_CALLBACK_KEYS``: callback keys, comma-separated, primary first
  (``emulator-callback-key``).
* ``LIVE_API_KEY``: the legacy API key, ``sign = MD5(key + t)``
  (``emulator-api-key``).
* ``LIVE_APPID``: the account APPID, also the legacy ``appid`` and ``cmd``
  (``1250000001``).
* ``TENCENTCLOUD_SECRET_ID``: the one API 3.0 SecretId accepted (Tencent's
  published example id).
* ``TENCENTCLOUD_SECRET_KEY``: its SecretKey (Tencent's published example key).
* ``LIVE_PUSH_KEYS``: push authentication keys, comma-separated, primary first;
  empty leaves pushes unauthenticated (empty).
* ``LIVE_PUSH_DOMAIN``: the push domain streams live on by default
  (``push.example.com``).

The SecretId and SecretKey defaults are the pair Tencent prints in its TC3
signature documentation (``AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE``), so the
published test vectors work against an emulator started with nothing set. The
defaults are demo values for loopback only; a :class:`Settings` never shows a
key in its repr.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["DEFAULTS", "Settings", "load"]

#: The value of every variable when the environment does not set it.
DEFAULTS: dict[str, str] = {
    "LIVE_CALLBACK_KEYS": "emulator-callback-key",
    "LIVE_API_KEY": "emulator-api-key",
    "LIVE_APPID": "1250000001",
    "TENCENTCLOUD_SECRET_ID": "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
    "TENCENTCLOUD_SECRET_KEY": "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
    "LIVE_PUSH_KEYS": "",
    "LIVE_PUSH_DOMAIN": "push.example.com",
}


@dataclass(frozen=True)
class Settings:
    """Who the emulated account is and which keys it holds.

    Attributes:
        callback_keys: keys that sign callbacks, primary first.
        api_key: the legacy API key.
        appid: the account APPID.
        secret_id: the API 3.0 SecretId accepted.
        secret_key: the SecretKey of ``secret_id``.
        push_keys: push authentication keys, primary first.
        push_domain: the default push domain.
    """

    callback_keys: tuple[str, ...] = field(repr=False)
    api_key: str = field(repr=False)
    appid: int
    secret_id: str
    secret_key: str = field(repr=False)
    push_keys: tuple[str, ...] = field(repr=False)
    push_domain: str

    @property
    def secrets(self) -> dict[str, str]:
        """API 3.0 credentials: SecretId to SecretKey."""
        return {self.secret_id: self.secret_key}


def _keys(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings, falling back to :data:`DEFAULTS` for unset variables.

    Args:
        environ: the variables to read; the process environment when None.

    Returns:
        The settings.

    Raises:
        ValueError: LIVE_APPID is not a positive integer, or a key list is
            empty where one key at least is needed.
    """
    source = os.environ if environ is None else environ

    def value(name: str) -> str:
        return source.get(name, DEFAULTS[name]).strip()

    appid = value("LIVE_APPID")
    if not appid.isascii() or not appid.isdigit() or int(appid) == 0:
        raise ValueError("LIVE_APPID must be a positive integer")
    callback_keys = _keys(value("LIVE_CALLBACK_KEYS"))
    if not callback_keys:
        raise ValueError("LIVE_CALLBACK_KEYS must name at least one key")

    return Settings(
        callback_keys=callback_keys,
        api_key=value("LIVE_API_KEY"),
        appid=int(appid),
        secret_id=value("TENCENTCLOUD_SECRET_ID"),
        secret_key=value("TENCENTCLOUD_SECRET_KEY"),
        push_keys=_keys(value("LIVE_PUSH_KEYS")),
        push_domain=value("LIVE_PUSH_DOMAIN"),
    )
