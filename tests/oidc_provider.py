"""A real OpenID Connect provider for tests: an HTTP server on a free loopback port, in a thread, speaking
the authorization code flow (with PKCE) the way a province's identity service does. It approves every
authorization request as the identity the test sets (`provider.identity`), signs id_tokens RS256 with a
key made at start and publishes that key at /jwks. Django's single sign-on talks to it over real HTTP.

Knobs for the refusals a test wants to provoke: `forge_signature` (sign with a key the JWKS does not hold,
under the same key id), `id_token_claims` (added to or replacing the id_token's claims: `amr`, `aud` …),
`deny` (the person cancels at the provider).
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KEY_ID = "rencai-test-1"
TOKEN_SECONDS = 300


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


class LocalProvider:
    """Start with `with LocalProvider() as provider:`; `provider.issuer` is its address."""

    def __init__(self, client_id: str = "rencai-test", client_secret: str | None = None):
        self.client_id = client_id
        self.client_secret = client_secret or secrets.token_urlsafe(24)
        self.key = _new_key()
        self.forger_key = _new_key()
        self._lock = threading.Lock()
        self._codes: dict[str, dict] = {}
        self._access_tokens: dict[str, dict] = {}
        self.reset()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="oidc-provider", daemon=True)

    def reset(self) -> None:
        """Forget the previous test's identity, knobs and requests."""
        self.identity: dict = {}
        self.id_token_claims: dict = {}
        self.forge_signature = False
        self.deny = False
        self.hits: list[str] = []
        self.logged_out: list[dict] = []

    def __enter__(self) -> "LocalProvider":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    # -- the protocol ---------------------------------------------------------------------------------------

    def configuration(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "end_session_endpoint": f"{self.issuer}/logout",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }

    def jwks(self) -> dict:
        public = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]}

    def authorize(self, query: dict[str, str]) -> str:
        """The redirect back to the client: a code for the current identity, or the person's refusal."""
        redirect_uri, state = query["redirect_uri"], query.get("state", "")
        if self.deny:
            return f"{redirect_uri}?{urlencode({'error': 'access_denied', 'state': state})}"
        if query.get("response_type") != "code" or query.get("client_id") != self.client_id:
            return f"{redirect_uri}?{urlencode({'error': 'unauthorized_client', 'state': state})}"
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {
                "redirect_uri": redirect_uri,
                "nonce": query.get("nonce"),
                "challenge": query.get("code_challenge"),
                "claims": dict(self.identity),
            }
        return f"{redirect_uri}?{urlencode({'code': code, 'state': state})}"

    def token(self, form: dict[str, str], basic: tuple[str, str] | None) -> tuple[int, dict]:
        client_id, secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
        if client_id != self.client_id or secret != self.client_secret:
            return 401, {"error": "invalid_client"}
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # a code is good once
        if form.get("grant_type") != "authorization_code" or grant is None:
            return 400, {"error": "invalid_grant"}
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri differs"}
        if grant["challenge"] and _s256(form.get("code_verifier", "")) != grant["challenge"]:
            return 400, {"error": "invalid_grant", "error_description": "PKCE verification failed"}
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access_token] = grant["claims"]
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_SECONDS,
            "id_token": self.id_token(grant["claims"], grant["nonce"]),
        }

    def id_token(self, claims: dict, nonce: str | None) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "sub": claims.get("sub"),
            "aud": self.client_id,
            "iat": now,
            "exp": now + TOKEN_SECONDS,
            "auth_time": now,
            **({"nonce": nonce} if nonce else {}),
            **self.id_token_claims,
        }
        key = self.forger_key if self.forge_signature else self.key
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": KEY_ID})

    def userinfo(self, authorization: str) -> tuple[int, dict]:
        scheme, _, token = authorization.partition(" ")
        with self._lock:
            claims = self._access_tokens.get(token) if scheme.lower() == "bearer" else None
        return (200, claims) if claims is not None else (401, {"error": "invalid_token"})

    def end_session(self, query: dict[str, str]) -> str:
        self.logged_out.append(query)
        return query.get("post_logout_redirect_uri") or f"{self.issuer}/"


def _handler_for(provider: LocalProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # quiet: pytest shows failures, not every request
            pass

        def _query(self) -> dict[str, str]:
            return {key: values[0] for key, values in parse_qs(urlsplit(self.path).query).items()}

        def _json(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            route = urlsplit(self.path).path
            provider.hits.append(route)
            if route == "/.well-known/openid-configuration":
                self._json(200, provider.configuration())
            elif route == "/authorize":
                self._redirect(provider.authorize(self._query()))
            elif route == "/jwks":
                self._json(200, provider.jwks())
            elif route == "/userinfo":
                self._json(*provider.userinfo(self.headers.get("Authorization", "")))
            elif route == "/logout":
                self._redirect(provider.end_session(self._query()))
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self):
            route = urlsplit(self.path).path
            provider.hits.append(route)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
            form = {key: values[0] for key, values in parse_qs(body).items()}
            if route != "/token":
                self._json(404, {"error": "not_found"})
                return
            self._json(*provider.token(form, self._basic_credentials()))

        def _basic_credentials(self) -> tuple[str, str] | None:
            scheme, _, encoded = self.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "basic":
                return None
            client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
            return client_id, secret

    return Handler
