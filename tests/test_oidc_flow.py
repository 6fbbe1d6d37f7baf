"""Sign-in end to end (issue 18, breaks 3 and 4): the whole OpenID Connect authorization-code flow of
``st.login`` against a stand-in identity provider (``oidc_stub``) on 127.0.0.1, with the dashboard served by
``streamlit run`` and a generated secrets file outside the repository, driven by headless Chromium.

A listed user with a verified e-mail sees the study; an unlisted one, and one whose provider does not vouch
for the e-mail, see no data; an anonymous visitor gets only the sign-in page, whatever URL they open.
"""

from __future__ import annotations

import json

import pytest
from browser_support import CHROMIUM, VIEWPORT, chromium, metric_value, streamlit_server, wait_for_app
from oidc_stub import CLIENT_ID, CLIENT_SECRET, identity_provider

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found (scripts/test.sh installs it)"),
]

LISTED = {"sub": "1", "email": "pi@hospital.example", "email_verified": True, "name": "Dr. PI"}
UNLISTED = {"sub": "2", "email": "someone@elsewhere.example", "email_verified": True, "name": "Someone"}
UNVERIFIED = {"sub": "3", "email": "nurse@hospital.example", "name": "Nurse"}  # no email_verified claim
MAIN = '[data-testid="stMainBlockContainer"]'


def _toml(value: object) -> str:
    return json.dumps(value)  # a JSON string or list of strings is also valid TOML


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The stand-in provider and the dashboard configured for it (one server for the whole module)."""
    from browser_support import free_port

    port = free_port()
    secrets_file = tmp_path_factory.mktemp("secrets") / "secrets.toml"
    with identity_provider() as provider:
        secrets_file.write_text(
            "[auth]\n"
            f"redirect_uri = {_toml(f'http://127.0.0.1:{port}/oauth2callback')}\n"
            f"cookie_secret = {_toml('test-cookie-secret-' + CLIENT_SECRET)}\n"
            f"client_id = {_toml(CLIENT_ID)}\n"
            f"client_secret = {_toml(CLIENT_SECRET)}\n"
            f"server_metadata_url = {_toml(provider.issuer + '/.well-known/openid-configuration')}\n"
            "[medpath]\n"
            f"allowed_users = {_toml(['pi@hospital.example', '@hospital.example'])}\n"
        )
        with streamlit_server(f"--secrets.files={secrets_file}", port=port, env={"MEDPATH_REQUIRE_LOGIN": "1"}) as url:
            yield provider, url


def _sign_in(browser, site, user):
    provider, url = site
    provider.user = user
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    exchanges = provider.log.count("POST /token")
    page.get_by_role("button", name="Sign in").click()
    # /auth/login -> the provider's /authorize -> /oauth2callback (code exchanged, id_token checked against the
    # provider's published key) -> back to the app, signed in: a "Sign out" button, admitted or not.
    page.get_by_role("button", name="Sign out").wait_for()
    wait_for_app(page)
    assert provider.log.count("POST /token") == exchanges + 1 and provider.log[-1] == "GET /jwks"
    return context, page


def test_sign_in_flow(site):
    from playwright.sync_api import sync_playwright

    provider, url = site
    with sync_playwright() as p, chromium(p) as browser:
        # Anonymous: only the sign-in page, also when a page's URL is opened directly.
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        page.goto(f"{url}/data")
        wait_for_app(page)
        text = page.locator(MAIN).inner_text()
        assert "Sign in" in text and "Upload" not in text
        assert page.locator('[data-testid="stMetric"], [data-testid="stFileUploader"]').count() == 0
        # the fresh server's first run did not leave Streamlit's legacy pages/ sidebar (every file, run directly)
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        context.close()

        # A listed user with a verified e-mail goes through the provider and sees the study.
        context, page = _sign_in(browser, site, LISTED)
        page.wait_for_selector("text=Primary results")
        assert metric_value(page, "Enrolled") == "5"
        assert "pi@hospital.example" in page.locator('[data-testid="stSidebar"]').inner_text().replace("\u2060", "")
        page.locator('[data-testid="stSidebarNav"] a', has_text="Data").first.click()
        page.wait_for_selector('[data-testid="stFileUploader"]')
        context.close()

        # Same provider, an account not on the allow-list: signed in, but no data.
        context, page = _sign_in(browser, site, UNLISTED)
        text = page.locator(MAIN).inner_text().replace("\u2060", "")
        assert "someone@elsewhere.example" in text and "not on the allow-list" in text
        assert page.locator('[data-testid="stMetric"]').count() == 0 and "Primary results" not in text
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
        context.close()

        # Listed domain, but the provider does not say the e-mail is verified: refused.
        context, page = _sign_in(browser, site, UNVERIFIED)
        text = page.locator(MAIN).inner_text()
        assert "not verified" in text and page.locator('[data-testid="stMetric"]').count() == 0
        context.close()
    assert provider.log.count("POST /token") == 3
