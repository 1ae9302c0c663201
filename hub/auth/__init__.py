"""Identity and access: OAuth 2.0 client credentials (authlib), JWT access tokens, HTTP Basic.

- :class:`Authorizer` — the FastAPI dependency every non-public route declares.
- :mod:`hub.auth.clients` — registering, listing, revoking clients and rotating secrets.
- :mod:`hub.auth.events` — authentication events for the audit trail.
- :mod:`hub.auth.signing` — the token signing keys and their rotation.
"""

from hub.auth.router import Authorizer

__all__ = ["Authorizer"]
