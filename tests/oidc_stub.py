"""A stand-in OpenID Connect identity provider for the sign-in tests, on 127.0.0.1 only.

It implements just the authorization-code flow Streamlit's ``st.login`` (Authlib) uses: the discovery
document, an authorize endpoint that signs in ``provider.user`` at once (no login form) and redirects
back with a one-time code, a token endpoint that checks the client, the code, the redirect URI and the
PKCE verifier and answers with an RS256 ``id_token`` signed by a key published at ``jwks_uri``, and a
userinfo endpoint. Each request is answered and the server shuts down when the context ends.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypedDict
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "medpath-test"
CLIENT_SECRET = secrets.token_hex(16)


class Grant(TypedDict):
    """What an authorization code stands for until it is exchanged at /token."""

    user: dict[str, object]
    nonce: str | None
    redirect_uri: str | None
    challenge: str | None


class Provider:
    """State of the stand-in provider: its key, the next user to sign in, issued codes and tokens."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key", "use": "sig", "alg": "RS256"})
        self.issuer = ""
        self.user: dict[str, object] = {}
        self.codes: dict[str, Grant] = {}
        self.tokens: dict[str, dict[str, object]] = {}
        self.log: list[str] = []  # "GET /authorize", "POST /token", ... in order
        self.lock = threading.Lock()

    def metadata(self) -> dict[str, object]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def id_token(self, claims: dict[str, object], nonce: object) -> str:
        now = int(time.time())
        payload = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, **claims}
        if nonce is not None:
            payload["nonce"] = nonce
        return jwt.encode({"alg": "RS256", "kid": "test-key"}, payload, self.key)


def _client_ok(headers, form: dict[str, str]) -> bool:
    auth = headers.get("Authorization", "")
    if auth.startswith("Basic "):
        client, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
    else:
        client, secret = form.get("client_id", ""), form.get("client_secret", "")
    return client == CLIENT_ID and secrets.compare_digest(secret, CLIENT_SECRET)


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet
            pass

        def _json(self, body: object, status: int = 200) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            provider.log.append(f"GET {url.path}")
            if url.path == "/.well-known/openid-configuration":
                return self._json(provider.metadata())
            if url.path == "/jwks":
                return self._json({"keys": [provider.key.as_dict(private=False)]})
            if url.path == "/authorize":
                if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code" or not provider.user:
                    return self._json({"error": "invalid_request"}, 400)
                code = secrets.token_urlsafe(16)
                with provider.lock:
                    provider.codes[code] = {
                        "user": dict(provider.user),
                        "nonce": query.get("nonce"),
                        "redirect_uri": query.get("redirect_uri"),
                        "challenge": query.get("code_challenge"),
                    }
                self.send_response(302)
                self.send_header(
                    "Location", f"{query['redirect_uri']}?" + urlencode({"code": code, "state": query.get("state", "")})
                )
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if url.path == "/userinfo":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                user = provider.tokens.get(token)
                return self._json(user, 200) if user else self._json({"error": "invalid_token"}, 401)
            return self._json({"error": "not_found"}, 404)

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            provider.log.append(f"POST {url.path}")
            length = min(int(self.headers.get("Content-Length") or 0), 64 * 1024)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if url.path != "/token":
                return self._json({"error": "not_found"}, 404)
            if not _client_ok(self.headers, form):
                return self._json({"error": "invalid_client"}, 401)
            with provider.lock:
                grant = provider.codes.pop(form.get("code", ""), None)  # one use only
            if (
                grant is None
                or form.get("grant_type") != "authorization_code"
                or form.get("redirect_uri") != grant["redirect_uri"]
            ):
                return self._json({"error": "invalid_grant"}, 400)
            if grant["challenge"]:
                verifier = form.get("code_verifier", "").encode()
                expected = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
                if expected != grant["challenge"]:
                    return self._json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
            access = secrets.token_urlsafe(16)
            provider.tokens[access] = grant["user"]
            return self._json(
                {
                    "access_token": access,
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "scope": "openid email profile",
                    "id_token": provider.id_token(grant["user"], grant["nonce"]),
                }
            )

    return Handler


@contextlib.contextmanager
def identity_provider() -> Iterator[Provider]:
    """The provider serving on a free 127.0.0.1 port (``provider.issuer`` is its URL)."""
    provider = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    server.daemon_threads = True
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
