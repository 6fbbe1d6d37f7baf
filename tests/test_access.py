"""Sign-in rules: when it is required, and the allow-list (issue 8)."""

import pytest

from medpath.access import allow_list, is_allowed, login_required


@pytest.mark.parametrize("configured, env, expected", [
    (False, {}, False), (True, {}, True), (False, {"MEDPATH_REQUIRE_LOGIN": "1"}, True),
    (False, {"MEDPATH_REQUIRE_LOGIN": "no"}, False), (True, {"MEDPATH_REQUIRE_LOGIN": "0"}, True)])
def test_login_required(configured, env, expected):
    assert login_required(configured, env) is expected


def test_allow_list_parsing():
    assert allow_list(" PI@RSCM.co.id, @ui.ac.id ,,") == ("pi@rscm.co.id", "@ui.ac.id")
    assert allow_list(["nurse@rscm.co.id", " "]) == ("nurse@rscm.co.id",)
    assert allow_list(None) == ()


@pytest.mark.parametrize("email, expected", [
    ("pi@rscm.co.id", True), ("PI@RSCM.CO.ID", True), ("co-pi@ui.ac.id", True), ("someone@rscm.co.id", False),
    ("x@evil-ui.ac.id", False), ("x@ui.ac.id.evil.com", False), (None, False), ("", False), ("no-at-sign", False)])
def test_is_allowed(email, expected):
    assert is_allowed(email, ("pi@rscm.co.id", "@ui.ac.id")) is expected


def test_empty_allow_list_admits_any_signed_in_email_but_not_a_missing_one():
    assert is_allowed("anyone@example.org", ()) is True
    assert is_allowed(None, ()) is False
