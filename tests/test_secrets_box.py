"""Secrets at rest: sealing, key rotation, forgeries and expiry."""
import time

import pytest

from plugin.secrets_box import SecretsBox

VALUE = {"access_token": "tok-123", "nested": ["é", 1, None]}


def test_seal_and_open_round_trip():
    box = SecretsBox("a-key")
    token = box.seal(VALUE)
    assert token.isascii()
    assert "tok-123" not in token
    assert box.open(token) == VALUE
    assert box.seal(VALUE) != token  # fresh IV each time
    assert box.open(box.seal("plain string")) == "plain string"


def test_rotation_old_tokens_open_with_the_new_key_first():
    old = SecretsBox("old")
    sealed_with_old = old.seal(VALUE)
    rotated = SecretsBox("new,old")
    assert rotated.open(sealed_with_old) == VALUE
    assert SecretsBox(" new , old ").open(sealed_with_old) == VALUE

    sealed_with_new = rotated.seal(VALUE)  # the first key seals
    assert SecretsBox("new").open(sealed_with_new) == VALUE
    with pytest.raises(ValueError):
        old.open(sealed_with_new)
    with pytest.raises(ValueError):
        SecretsBox("new").open(sealed_with_old)  # old key retired too soon


@pytest.mark.parametrize("garbage", ["", "not-a-token", "gAAAAABnotreally==", "ünïcode",
                                     "x" * 500])
def test_garbage_is_a_value_error(garbage):
    with pytest.raises(ValueError):
        SecretsBox("a-key").open(garbage)


def test_forged_or_foreign_tokens_are_value_errors():
    box = SecretsBox("a-key")
    token = box.seal(VALUE)
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]
    with pytest.raises(ValueError):
        box.open(flipped)
    with pytest.raises(ValueError):
        box.open(token[:-4])
    with pytest.raises(ValueError):
        SecretsBox("another-key").open(token)


def test_ttl_expiry(monkeypatch):
    box = SecretsBox("a-key")
    token = box.seal(VALUE)
    assert box.open(token, ttl=60) == VALUE
    later = time.time() + 120
    with monkeypatch.context() as patch:
        patch.setattr(time, "time", lambda: later)
        assert box.open(token, ttl=300) == VALUE
        with pytest.raises(ValueError, match="invalid or expired"):
            box.open(token, ttl=60)
        assert box.open(token) == VALUE  # no ttl: age does not matter


def test_empty_secret_key_is_refused():
    with pytest.raises(ValueError):
        SecretsBox(" , ")
