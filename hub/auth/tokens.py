"""JWT access tokens in the RFC 9068 profile, signed and checked with joserfc.

The issuer is the hub's base URL (``settings.base_url``). The audience is the same base URL: the
hub is one resource server whose TAXII, policy and audit APIs share the token, so a token minted
for another hub (another base URL) is refused. Besides the RFC 9068 §2.2 claims a token carries
``tenant``, the slug of the client's tenant.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from joserfc import jws, jwt
from joserfc.errors import ExpiredTokenError, JoseError

from hub.auth.errors import InvalidToken
from hub.auth.signing import ALGORITHM, SigningKeys

__all__ = ["LEEWAY", "TOKEN_TYPES", "AccessClaims", "TokenIssuer"]

#: Clock skew tolerated on exp, nbf and iat (seconds).
LEEWAY = 30
#: Acceptable ``typ`` header values (RFC 9068 §4).
TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
_MAX_TOKEN_BYTES = 8192
_MAX_VERIFIED = 50_000


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """The claims of a verified access token that the hub acts on."""

    client_id: str
    tenant: str
    scopes: frozenset[str]
    token_id: str
    expires_at: int


class TokenIssuer:
    """Mints and verifies the hub's access tokens."""

    def __init__(
        self,
        keys: SigningKeys,
        *,
        issuer: str,
        audience: str,
        ttl: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl
        self._clock = clock
        self._verified: OrderedDict[bytes, AccessClaims] = OrderedDict()
        self._lock = threading.Lock()

    def issue(self, client_id: str, tenant: str, scopes: tuple[str, ...]) -> tuple[str, str]:
        """A signed access token (RFC 9068 §2) and its jti."""
        now = int(self._clock())
        jti = secrets.token_urlsafe(16)
        claims = {
            "iss": self.issuer,
            "sub": client_id,
            "aud": self.audience,
            "exp": now + self.ttl,
            "iat": now,
            "nbf": now,
            "jti": jti,
            "client_id": client_id,
            "scope": " ".join(scopes),
            "tenant": tenant,
        }
        key = self.keys.current()
        header = {"alg": ALGORITHM, "typ": "at+jwt", "kid": key.kid}
        token = jwt.encode(header, claims, key.key, algorithms=[ALGORITHM])
        return token, jti

    def verify(self, token: str) -> AccessClaims:
        """Check a token as RFC 9068 §4 asks; raise :class:`InvalidToken` with the reason.

        A token that verified before is recognised by its SHA-256 until it expires, sparing
        the signature check (the client's revocation is still checked by the caller).
        """
        if len(token) > _MAX_TOKEN_BYTES:
            raise InvalidToken("token-malformed")
        digest = hashlib.sha256(token.encode("utf-8", "replace")).digest()
        now = self._clock()
        with self._lock:
            cached = self._verified.get(digest)
            if cached is not None:
                if now < cached.expires_at + LEEWAY:
                    return cached
                del self._verified[digest]
        claims = self._verify(token)
        with self._lock:
            self._verified[digest] = claims
            while len(self._verified) > _MAX_VERIFIED:
                self._verified.popitem(last=False)
        return claims

    def _verify(self, token: str) -> AccessClaims:
        try:
            header = jws.extract_compact(token.encode("ascii")).headers()
        except (JoseError, ValueError, UnicodeError):
            raise InvalidToken("token-malformed") from None
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("token-alg")
        if str(header.get("typ", "")).lower() not in TOKEN_TYPES:
            raise InvalidToken("token-typ")
        kid = header.get("kid")
        key = self.keys.verification_key(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken("token-unknown-kid")
        try:
            claims = jwt.decode(token, key.key, algorithms=[ALGORITHM]).claims
        except JoseError:
            raise InvalidToken("token-signature") from None
        registry = jwt.JWTClaimsRegistry(
            now=int(self._clock()),
            leeway=LEEWAY,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            jti={"essential": True},
            client_id={"essential": True},
            tenant={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise InvalidToken("token-expired", "The access token has expired") from None
        except JoseError as exc:
            raise InvalidToken(f"token-claim-{getattr(exc, 'claim', 'invalid')}") from None
        scope = claims.get("scope", "")
        if (
            claims["sub"] != claims["client_id"]
            or not isinstance(claims["client_id"], str)
            or not isinstance(claims["tenant"], str)
            or not isinstance(scope, str)
        ):
            raise InvalidToken("token-claims")
        return AccessClaims(
            client_id=claims["client_id"],
            tenant=claims["tenant"],
            scopes=frozenset(scope.split()),
            token_id=claims["jti"],
            expires_at=int(claims["exp"]),
        )
