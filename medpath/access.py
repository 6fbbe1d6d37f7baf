"""Who may see the dashboard when it runs on a server with sign-in switched on.

Sign-in itself is Streamlit's OpenID Connect login (``st.login``), configured in ``secrets.toml``;
this module only holds the pure rules, and every one of them fails closed:

- sign-in is on when an ``[auth]`` section exists or ``MEDPATH_REQUIRE_LOGIN`` says so;
- with sign-in on, only accounts on the allow-list are admitted. No allow-list (or a blank one)
  admits nobody; ``"*"`` must be written to admit every account of the identity provider;
- an e-mail address counts only when the provider says it is verified (``email_verified`` is the
  boolean ``true``). For a provider that never sends the claim (e.g. Microsoft Entra ID) the
  administrator can opt in with ``MEDPATH_TRUST_UNVERIFIED_EMAIL=1`` or
  ``[medpath] trust_unverified_email = true``; an explicit ``false`` is refused even then;
- a switch with a value that is not clearly on or off, or an allow-list of the wrong type, is a
  configuration error (the app stops with a message), never silently "off".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

REQUIRE_ENV = "MEDPATH_REQUIRE_LOGIN"
ALLOW_ENV = "MEDPATH_ALLOWED_USERS"
TRUST_ENV = "MEDPATH_TRUST_UNVERIFIED_EMAIL"
ALLOW_KEY = "allowed_users"  # in the [medpath] secrets section
TRUST_KEY = "trust_unverified_email"
EVERYONE = "*"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigurationError(ValueError):
    """A sign-in setting that cannot be read safely; the message says which and what to write."""


def switch(environ: Mapping[str, str], name: str) -> bool:
    """An on/off environment switch: unset or empty is off; 1/true/yes/on and 0/false/no/off (any case)
    are on and off; anything else is a ``ConfigurationError``, so a typo never switches a guard off."""
    value = environ.get(name, "").strip().lower()
    if not value:
        return False
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigurationError(f"{name}={environ[name]!r} is neither on nor off: write 1 (on) or 0 (off).")


def login_required(auth_configured: bool, environ: Mapping[str, str]) -> bool:
    """Sign-in is on when an ``[auth]`` section is configured, or when ``MEDPATH_REQUIRE_LOGIN`` is on
    (then a missing ``[auth]`` section locks everyone out rather than opening the data)."""
    return switch(environ, REQUIRE_ENV) or auth_configured


def allow_list(configured: object) -> tuple[str, ...]:
    """Normalise an allow-list given as a comma-separated string or a list: lower case, no blanks.
    A blank list is the empty tuple: not configured; anything else (a number, a list with a non-text
    item) raises ``ConfigurationError``."""
    if configured is None:
        return ()
    if isinstance(configured, str):
        items = configured.split(",")
    elif isinstance(configured, (list, tuple)) and all(isinstance(item, str) for item in configured):
        items = list(configured)
    else:
        raise ConfigurationError(f"{ALLOW_KEY} must be a list of e-mail addresses or @domains, not {configured!r}.")
    return tuple(item.strip().lower() for item in items if item.strip())


def is_allowed(email: str | None, allowed: tuple[str, ...]) -> bool:
    """Whether a signed-in user with this (verified) e-mail may see data.

    An empty allow-list admits nobody; ``"*"`` admits every address. Entries are full addresses
    ("pi@rscm.co.id") or domains ("@rscm.co.id" or "rscm.co.id"); a domain does not admit its
    sub-domains' look-alikes ("evil-rscm.co.id").
    """
    if not email or "@" not in email:
        return False
    email = email.strip().lower()
    if EVERYONE in allowed:
        return True
    domain = email.rsplit("@", 1)[1]
    return any(email == entry or domain == entry.lstrip("@") for entry in allowed)


def verified_email(user: Mapping[str, object], trust_unverified: bool = False) -> str | None:
    """The user's e-mail address if it may be trusted, else None.

    Trusted: ``email_verified`` is the boolean ``True``. A missing claim is trusted only when the
    administrator opted in (``trust_unverified``); ``False``, strings such as "true"/"false" and any
    other value are never trusted."""
    email = user.get("email")
    if not isinstance(email, str) or not email.strip():
        return None
    claim = user.get("email_verified", None)
    if claim is True or (claim is None and "email_verified" not in user and trust_unverified):
        return email.strip()
    return None


@dataclass(frozen=True)
class AccessSettings:
    """Everything the sign-in gate needs, read once per run from the environment and the secrets."""

    required: bool  # sign-in is on
    auth_configured: bool  # an [auth] section exists (without it nobody can sign in)
    allowed: tuple[str, ...]  # empty: nobody is admitted
    trust_unverified: bool  # admit an e-mail whose provider sends no email_verified claim


def access_settings(
    auth_configured: bool, environ: Mapping[str, str], medpath_secrets: Mapping[str, object] | None
) -> AccessSettings:
    """Read the sign-in settings; raises ``ConfigurationError`` for anything that is not clearly set.

    The allow-list comes from ``MEDPATH_ALLOWED_USERS`` when it is non-blank, else from
    ``[medpath] allowed_users``; the trust switch from ``MEDPATH_TRUST_UNVERIFIED_EMAIL`` or
    ``[medpath] trust_unverified_email`` (a TOML boolean)."""
    settings = dict(medpath_secrets or {})
    required = login_required(auth_configured, environ)
    allowed = allow_list(environ.get(ALLOW_ENV)) or allow_list(settings.get(ALLOW_KEY))
    trust = settings.get(TRUST_KEY, False)
    if not isinstance(trust, bool):
        raise ConfigurationError(f"[medpath] {TRUST_KEY} must be true or false, not {trust!r}.")
    return AccessSettings(
        required=required,
        auth_configured=auth_configured,
        allowed=allowed,
        trust_unverified=trust or switch(environ, TRUST_ENV),
    )
