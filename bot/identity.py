"""Signed customer identities: the store's backend vouches for a logged-in customer.

As live-chat products do, the backend signs `customer_id:expires` with HMAC-SHA256 and a
secret it shares with the desk (ASSISTANT_IDENTITY_SECRET); the widget passes the result
on, and the desk accepts the customer id only if the signature matches and has not expired.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from pydantic import BaseModel, Field


class IdentityRejected(ValueError):
    """The identity is forged, tampered with, expired, or cannot be checked."""


class SignedIdentity(BaseModel):
    customer_id: str = Field(min_length=1, max_length=64)
    expires: int = Field(description="Unix time after which the signature is no longer accepted")
    signature: str = Field(min_length=64, max_length=64, description="hex HMAC-SHA256")


def _mac(secret: str, customer_id: str, expires: int) -> str:
    return hmac.new(secret.encode(), f"{customer_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def sign(customer_id: str, secret: str, ttl_s: int = 3600, now: float | None = None) -> SignedIdentity:
    """What the store's backend does (shown here for the demo store and the tests)."""
    expires = int((now if now is not None else time.time()) + ttl_s)
    return SignedIdentity(customer_id=customer_id, expires=expires,
                          signature=_mac(secret, customer_id, expires))


def verify(identity: SignedIdentity, secret: str | None, now: float | None = None) -> str:
    """The verified customer id, or IdentityRejected saying why."""
    if not secret:
        raise IdentityRejected("identity verification is not configured on this desk")
    expected = _mac(secret, identity.customer_id, identity.expires)
    if not hmac.compare_digest(expected, identity.signature.lower()):
        raise IdentityRejected("identity signature does not match")
    if identity.expires < (now if now is not None else time.time()):
        raise IdentityRejected("identity has expired; reload the page to sign in again")
    return identity.customer_id
