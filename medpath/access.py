"""Who may see the dashboard when it runs on a server with sign-in switched on.

Sign-in itself is Streamlit's OpenID Connect login (``st.login``), configured in ``secrets.toml``;
this module only holds the pure rules: whether sign-in is required, and the optional allow-list of
e-mail addresses and domains. It fails closed: when sign-in is required but an identity has no
e-mail address, access is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

REQUIRE_ENV = "MEDPATH_REQUIRE_LOGIN"
ALLOW_ENV = "MEDPATH_ALLOWED_USERS"
_TRUE = {"1", "true", "yes", "on"}


def login_required(auth_configured: bool, environ: Mapping[str, str]) -> bool:
    """Sign-in is on when an ``[auth]`` section is configured, or when ``MEDPATH_REQUIRE_LOGIN`` is set
    (then a missing ``[auth]`` section locks everyone out rather than opening the data)."""
    return auth_configured or environ.get(REQUIRE_ENV, "").strip().lower() in _TRUE


def allow_list(configured: str | Iterable[str] | None) -> tuple[str, ...]:
    """Normalise an allow-list given as a comma-separated string or a list: lower case, no blanks."""
    if configured is None:
        return ()
    items = configured.split(",") if isinstance(configured, str) else configured
    return tuple(item.strip().lower() for item in items if item and item.strip())


def is_allowed(email: str | None, allowed: tuple[str, ...]) -> bool:
    """Whether a signed-in user with this e-mail may see data.

    An empty allow-list admits every signed-in user with an e-mail. Entries are full addresses
    ("pi@rscm.co.id") or domains ("@rscm.co.id" or "rscm.co.id"); a domain does not admit its
    sub-domains' look-alikes ("evil-rscm.co.id").
    """
    if not email or "@" not in email:
        return False
    email = email.strip().lower()
    if not allowed:
        return True
    domain = email.rsplit("@", 1)[1]
    return any(email == entry or domain == entry.lstrip("@") for entry in allowed)
