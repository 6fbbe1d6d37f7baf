"""Sign-in rules (issues 8 and 18): when sign-in is required, who is admitted, and that every
misconfiguration fails closed."""

import pytest

from medpath.access import (
    ConfigurationError,
    access_settings,
    allow_list,
    is_allowed,
    login_required,
    switch,
    verified_email,
)

ALLOWED = ("pi@rscm.co.id", "@ui.ac.id")


@pytest.mark.parametrize(
    "configured, env, expected",
    [
        (False, {}, False),
        (True, {}, True),
        (False, {"MEDPATH_REQUIRE_LOGIN": "1"}, True),
        (False, {"MEDPATH_REQUIRE_LOGIN": "no"}, False),
        (True, {"MEDPATH_REQUIRE_LOGIN": "0"}, True),
        (False, {"MEDPATH_REQUIRE_LOGIN": " ON "}, True),
        (False, {"MEDPATH_REQUIRE_LOGIN": "True"}, True),
        (False, {"MEDPATH_REQUIRE_LOGIN": ""}, False),
    ],
)
def test_login_required(configured, env, expected):
    assert login_required(configured, env) is expected


@pytest.mark.parametrize("value", ["y", "enabled", "2", "-1", "tru", "required", "1 # on"])
def test_an_unknown_switch_value_is_an_error_not_off(value):
    """Break 4: "y", "enabled", "2" used to switch the guard off silently."""
    with pytest.raises(ConfigurationError, match="MEDPATH_REQUIRE_LOGIN"):
        login_required(False, {"MEDPATH_REQUIRE_LOGIN": value})
    with pytest.raises(ConfigurationError):
        login_required(True, {"MEDPATH_REQUIRE_LOGIN": value})  # an error even where [auth] turns it on anyway
    with pytest.raises(ConfigurationError, match="MEDPATH_TRUST_UNVERIFIED_EMAIL"):
        switch({"MEDPATH_TRUST_UNVERIFIED_EMAIL": value}, "MEDPATH_TRUST_UNVERIFIED_EMAIL")


def test_allow_list_parsing():
    assert allow_list(" PI@RSCM.co.id, @ui.ac.id ,,") == ("pi@rscm.co.id", "@ui.ac.id")
    assert allow_list(["nurse@rscm.co.id", " "]) == ("nurse@rscm.co.id",)
    assert allow_list(None) == () and allow_list(" ") == () and allow_list(" , ,") == () and allow_list([]) == ()
    with pytest.raises(ConfigurationError):
        allow_list(42)
    with pytest.raises(ConfigurationError):
        allow_list(["pi@rscm.co.id", 7])


@pytest.mark.parametrize(
    "email, expected",
    [
        ("pi@rscm.co.id", True),
        ("PI@RSCM.CO.ID", True),
        ("co-pi@ui.ac.id", True),
        ("someone@rscm.co.id", False),
        ("x@evil-ui.ac.id", False),
        ("x@ui.ac.id.evil.com", False),
        (None, False),
        ("", False),
        ("no-at-sign", False),
    ],
)
def test_is_allowed(email, expected):
    assert is_allowed(email, ALLOWED) is expected


def test_no_allow_list_admits_nobody_and_a_star_admits_every_account():
    """Break 4: with no allow-list (compose's default) any account of the provider used to get in."""
    assert is_allowed("anyone@example.org", ()) is False
    assert is_allowed("anyone@example.org", ("*",)) is True
    assert is_allowed(None, ("*",)) is False and is_allowed("no-at-sign", ("*",)) is False


@pytest.mark.parametrize(
    "claims, trust, expected",
    [
        ({"email": "pi@rscm.co.id", "email_verified": True}, False, "pi@rscm.co.id"),
        ({"email": "pi@rscm.co.id", "email_verified": False}, False, None),
        ({"email": "pi@rscm.co.id"}, False, None),  # missing claim
        ({"email": "pi@rscm.co.id", "email_verified": "false"}, False, None),  # a string, not a boolean
        ({"email": "pi@rscm.co.id", "email_verified": "true"}, False, None),
        ({"email": "pi@rscm.co.id", "email_verified": 1}, False, None),
        ({"email": "pi@rscm.co.id", "email_verified": None}, False, None),
        ({"email": "pi@rscm.co.id"}, True, "pi@rscm.co.id"),  # opted in: a provider without the claim
        ({"email": "pi@rscm.co.id", "email_verified": False}, True, None),  # an explicit "no" is never trusted
        ({"email": "pi@rscm.co.id", "email_verified": "false"}, True, None),
        ({"email": "pi@rscm.co.id", "email_verified": None}, True, None),
        ({"email_verified": True}, False, None),
        ({"email": "  ", "email_verified": True}, False, None),
        ({"email": ["pi@rscm.co.id"], "email_verified": True}, False, None),
    ],
)
def test_verified_email(claims, trust, expected):
    """Break 4: a missing or string "false" email_verified used to be admitted."""
    assert verified_email(claims, trust) == expected


def test_settings_come_from_the_environment_then_the_secrets():
    secrets = {"allowed_users": ["@ui.ac.id"], "trust_unverified_email": True}
    settings = access_settings(True, {}, secrets)
    assert settings.required and settings.auth_configured and settings.allowed == ("@ui.ac.id",)
    assert settings.trust_unverified is True
    env = {"MEDPATH_ALLOWED_USERS": "pi@rscm.co.id"}
    assert access_settings(True, env, secrets).allowed == ("pi@rscm.co.id",)
    assert access_settings(False, {}, None) == access_settings(False, {}, {})
    assert not access_settings(False, {}, None).required
    assert access_settings(True, {"MEDPATH_TRUST_UNVERIFIED_EMAIL": "1"}, None).trust_unverified is True
    assert access_settings(True, {}, None).trust_unverified is False


def test_a_blank_allow_list_is_not_a_configured_one():
    """Break 4: MEDPATH_ALLOWED_USERS=" " counted as set and admitted everyone."""
    settings = access_settings(True, {"MEDPATH_ALLOWED_USERS": " "}, None)
    assert settings.allowed == () and not is_allowed("anyone@example.org", settings.allowed)
    # a blank environment value does not hide the secrets' list either
    assert access_settings(True, {"MEDPATH_ALLOWED_USERS": " , "}, {"allowed_users": ["@ui.ac.id"]}).allowed == (
        "@ui.ac.id",
    )


@pytest.mark.parametrize(
    "secrets",
    [
        {"trust_unverified_email": "yes"},
        {"trust_unverified_email": 1},
        {"allowed_users": 5},
        {"allowed_users": {"a": "b"}},
    ],
)
def test_misconfigured_secrets_are_an_error(secrets):
    with pytest.raises(ConfigurationError):
        access_settings(True, {}, secrets)
