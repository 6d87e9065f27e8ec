import pytest

from bot.identity import IdentityRejected, sign, verify

SECRET = "test-secret"


def test_a_signed_identity_verifies():
    assert verify(sign("C1001", SECRET, now=1000), SECRET, now=1500) == "C1001"


def test_a_forged_or_tampered_identity_is_rejected():
    good = sign("C1001", SECRET, now=1000)
    with pytest.raises(IdentityRejected, match="does not match"):
        verify(good.model_copy(update={"customer_id": "C1002"}), SECRET, now=1500)
    with pytest.raises(IdentityRejected, match="does not match"):
        verify(sign("C1001", "someone-elses-secret", now=1000), SECRET, now=1500)
    with pytest.raises(IdentityRejected, match="does not match"):
        verify(good.model_copy(update={"expires": good.expires + 10_000}), SECRET, now=1500)


def test_an_expired_identity_is_rejected():
    with pytest.raises(IdentityRejected, match="expired"):
        verify(sign("C1001", SECRET, ttl_s=60, now=1000), SECRET, now=2000)


def test_without_a_secret_nothing_verifies():
    with pytest.raises(IdentityRejected, match="not configured"):
        verify(sign("C1001", SECRET), None)


def test_the_signature_is_plain_hmac_sha256_of_id_and_expiry():
    import hashlib
    import hmac

    identity = sign("C1001", SECRET, now=0, ttl_s=100)
    assert identity.signature == hmac.new(b"test-secret", b"C1001:100", hashlib.sha256).hexdigest()
