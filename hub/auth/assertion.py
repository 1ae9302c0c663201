"""``private_key_jwt`` client authentication (RFC 7523 §2.2 and §3) on authlib."""

from __future__ import annotations

import json
import time
from typing import Any

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from hub.auth.clients import CLIENT_KEY_ALGS
from hub.auth.errors import Throttled
from hub.auth.oauth_model import Backend, HubClient, SlowDown, TokenRequest
from hub.auth.tokens import LEEWAY

__all__ = ["ASSERTION_TYPE", "MAX_ASSERTION_LIFETIME", "PrivateKeyJWT"]

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#: A client assertion may not be valid for longer than this (seconds), bounding the replay table.
MAX_ASSERTION_LIFETIME = 600


def _claimed_subject(assertion: str) -> str | None:
    """The unverified ``sub`` of an assertion, only to key throttling and events."""
    try:
        payload = jws.extract_compact(assertion.encode("ascii")).payload
        sub = json.loads(payload).get("sub")
    except (JoseError, ValueError, UnicodeError, AttributeError):
        return None
    return sub if isinstance(sub, str) and 0 < len(sub) <= 64 else None


_GENERIC = "The client assertion is not valid"


class _Refused(InvalidClientError):  # type: ignore[misc]
    """A refused assertion; only one whose signature verified may say why (`public`)."""

    def __init__(self, reason: str, description: str = _GENERIC) -> None:
        super().__init__(description=description)
        self.reason = reason
        self.public = description != _GENERIC


class PrivateKeyJWT(JWTBearerClientAssertion):  # type: ignore[misc]
    """``private_key_jwt`` (RFC 7523 §2.2, §3): the client signs an assertion with its own key."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, backend: Backend) -> None:
        super().__init__(validate_jti=True, leeway=LEEWAY)
        self.backend = backend

    def __call__(self, query_client: Any, request: TokenRequest) -> HubClient | None:
        form = request.form
        assertion = form.get("client_assertion")
        if not assertion or form.get("client_assertion_type") != ASSERTION_TYPE:
            return None
        claimed = _claimed_subject(assertion)
        try:
            self.backend.check_throttle(claimed, request.source, self.CLIENT_AUTH_METHOD)
        except Throttled as exc:
            raise SlowDown(exc.retry_after) from None
        try:
            client: HubClient = super().__call__(query_client, request)
        except InvalidClientError as exc:
            record = self.backend.client(claimed) if claimed else None
            reason = getattr(exc, "reason", "bad-assertion")
            if record is None:
                reason = "unknown-client"
            elif not record.active:
                reason = "revoked" if record.revoked else "tenant-inactive"
            self.backend.failed(claimed, request.source, self.CLIENT_AUTH_METHOD, reason)
            public = isinstance(exc, _Refused) and exc.public and record is not None
            raise InvalidClientError(description=exc.description if public else _GENERIC) from None
        return client

    def get_audiences(self) -> list[str]:
        return [self.backend.token_endpoint, self.backend.issuer]

    def resolve_client_public_key(self, client: HubClient) -> KeySet:
        if not client.record.jwks:
            raise _Refused("no-jwks")
        return KeySet.import_key_set(client.record.jwks)  # type: ignore[arg-type]

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict[str, Any]:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=list(CLIENT_KEY_ALGS))
        except JoseError:
            raise _Refused("assertion-signature") from None
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims: dict[str, Any]) -> None:
        exp = claims.get("exp")
        if isinstance(exp, int | float) and exp - time.time() > MAX_ASSERTION_LIFETIME:
            raise _Refused(
                "assertion-lifetime",
                f"The client assertion must expire within {MAX_ASSERTION_LIFETIME} seconds",
            )
        try:
            super().verify_claims(claims)
        except _Refused:
            raise
        except InvalidClientError:
            raise _Refused(
                "assertion-claims",
                "The client assertion needs iss = sub = client_id, an aud naming this server, "
                "a jti and an exp in the future",
            ) from None

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        if not self.backend.first_use(claims["sub"], jti, int(claims["exp"])):
            raise _Refused("assertion-replay", "The client assertion was used before")
        return True
