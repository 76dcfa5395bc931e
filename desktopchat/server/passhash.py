"""The room password kept as a salted scrypt hash, never as text (docs/PROTOCOL.md section 2).

The cost is chosen so one check takes under 10 ms on a small machine (it runs
on the room's loop): n = 2**12, r = 8, p = 1 is 4 MiB and 8.8 ms on the
2-core development machine (2**13: 18 ms, 2**14: 37 ms). The hash protects
the password in the server's memory (a core dump, swap, a debugger); the
room's guess budget (:mod:`.gate`) is what slows guessing over the network.
"""

from __future__ import annotations

import hmac
import os

__all__ = ["SCRYPT_N", "SCRYPT_P", "SCRYPT_R", "PasswordHash"]

#: scrypt's cost parameters: CPU/memory cost, block size, parallelism.
SCRYPT_N = 2**12
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_DIGEST_BYTES = 32
#: PBKDF2-SHA256 rounds with about the same cost, for a Python without scrypt.
_PBKDF2_ROUNDS = 20_000


def _derive(secret: bytes, salt: bytes) -> bytes:
    import hashlib  # lazily: OpenSSL costs the window ~6 ms at start and only a room needs it

    scrypt = getattr(hashlib, "scrypt", None)
    if scrypt is None:  # a Python built without OpenSSL 1.1
        return hashlib.pbkdf2_hmac("sha256", secret, salt, _PBKDF2_ROUNDS, _DIGEST_BYTES)
    digest: bytes = scrypt(
        secret,
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        maxmem=2 * 128 * SCRYPT_R * SCRYPT_N,
        dklen=_DIGEST_BYTES,
    )
    return digest


class PasswordHash:
    """A salted hash of one password: :meth:`matches` tells whether an attempt is it."""

    __slots__ = ("_digest", "_salt")

    def __init__(self, password: str) -> None:
        self._salt = os.urandom(_SALT_BYTES)
        self._digest = _derive(password.encode("utf-8"), self._salt)

    def matches(self, attempt: str) -> bool:
        """True if ``attempt`` is the password (compared in constant time)."""
        return hmac.compare_digest(_derive(attempt.encode("utf-8"), self._salt), self._digest)

    def __repr__(self) -> str:
        return "PasswordHash(<scrypt>)"
