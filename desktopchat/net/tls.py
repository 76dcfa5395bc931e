"""The room's certificate identity, its fingerprint, and the TLS contexts both sides use.

A machine that hosts a room has one identity: an ECDSA P-256 key and a
self-signed certificate in ``paths.data_dir()/identity`` (``key.pem``, mode
0600 from the moment it exists, and ``cert.pem``), made on first use and
reused, so the room's fingerprint -- the SHA-256 of the certificate's DER
bytes -- is the same from run to run. Nobody checks the certificate against
an authority: our client compares its fingerprint with the one it pinned
(docs/PROTOCOL.md, "Encryption (TLS)").

An identity that cannot be read (a damaged file, a key that does not match
the certificate) is an :class:`IdentityError` naming the directory: it is
never replaced silently, because a new certificate means a new fingerprint
and every member who pinned the old one would be told the room changed.
Moving the directory away makes a fresh identity on the next start.

``cryptography`` is imported only when an identity is created; reusing one
needs the standard library only.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import logging
import os
import re
import secrets
import ssl
import stat
from dataclasses import dataclass
from pathlib import Path

from desktopchat import paths

__all__ = [
    "HANDSHAKE_FIRST_BYTE",
    "Identity",
    "IdentityError",
    "client_context",
    "fingerprint_of",
    "load_or_create_identity",
    "long_fingerprint",
    "normalize_fingerprint",
    "server_context",
    "short_fingerprint",
]

log = logging.getLogger(__name__)

#: The first byte of every TLS connection (a handshake record: the ClientHello).
#: A tutorial frame header starts with an ASCII digit or a space instead.
HANDSHAKE_FIRST_BYTE = 0x16

_KEY_FILE = "key.pem"
_CERT_FILE = "cert.pem"
_COMMON_NAME = "desktopchat room"
_HEX64 = re.compile(r"[0-9a-f]{64}")
#: Hex digits of the short fingerprint people compare by eye: 64 bits, so a
#: look-alike certificate costs an attacker about 2^64 key generations.
SHORT_DIGITS = 16


class IdentityError(Exception):
    """The identity files exist but cannot be used; the message says what to do."""


@dataclass(frozen=True)
class Identity:
    """A room's certificate and key on disk, and the certificate's fingerprint."""

    cert_path: Path
    key_path: Path
    fingerprint: str
    cert_der: bytes


def fingerprint_of(cert_der: bytes) -> str:
    """SHA-256 of a DER certificate: 64 lowercase hex digits."""
    return hashlib.sha256(cert_der).hexdigest()


def normalize_fingerprint(text: str) -> str | None:
    """The 64-hex form of a SHA-256 fingerprint typed or pasted any way; None if it is not one.

    Accepts any case, an optional ``SHA256:`` prefix, and ``:``, ``-`` or
    whitespace between the digits.
    """
    cleaned = text.strip().lower()
    if cleaned.startswith("sha256:"):
        cleaned = cleaned[7:]
    cleaned = re.sub(r"[\s:\-]", "", cleaned)
    return cleaned if _HEX64.fullmatch(cleaned) else None


def short_fingerprint(fp: str) -> str:
    """The short form people compare by eye: the first 16 hex digits in groups of 4."""
    return _grouped(fp[:SHORT_DIGITS])


def long_fingerprint(fp: str) -> str:
    """The whole fingerprint in groups of 4 hex digits, for Room info and warnings."""
    return _grouped(fp)


def _grouped(digits: str) -> str:
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def server_context(identity: Identity) -> ssl.SSLContext:
    """A TLS 1.3 server context presenting ``identity``'s certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(identity.cert_path, identity.key_path)
    context.num_tickets = 0  # no session resumption: nothing to send after the handshake
    return context


def client_context() -> ssl.SSLContext:
    """A TLS 1.3 client context that accepts any certificate.

    Authentication is the pin check (the certificate's fingerprint against
    the one the user trusts), done by the client after the handshake and
    before it sends anything; there is no authority and no host name to check.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def load_or_create_identity(directory: Path | None = None) -> Identity:
    """This machine's room identity, made on first use (see the module docstring).

    Raises :class:`IdentityError` if the files exist but are unusable, and
    :class:`OSError` if the directory cannot be written.
    """
    if directory is None:
        directory = paths.data_dir() / "identity"
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_path = directory / _KEY_FILE
    cert_path = directory / _CERT_FILE
    if not key_path.exists():
        _create(key_path, cert_path)
    elif not cert_path.exists():
        raise IdentityError(
            f"The room's certificate is missing from {directory} (the key is there):"
            " move that folder away to make a new identity (members will see a new"
            " fingerprint)."
        )
    _keep_private(key_path)
    try:
        pem = cert_path.read_text("ascii")
        der = ssl.PEM_cert_to_DER_cert(pem)
        identity = Identity(cert_path, key_path, fingerprint_of(der), der)
        server_context(identity)  # parses both files and checks that they match
    except (OSError, ValueError, ssl.SSLError) as exc:
        raise IdentityError(
            f"The room's identity in {directory} cannot be used ({exc}): move that"
            " folder away to make a new one (members will see a new fingerprint)."
        ) from exc
    return identity


def _keep_private(key_path: Path) -> None:
    """A key that others may read (copied around, say) is made owner-only again."""
    if os.name != "posix":
        return
    mode = stat.S_IMODE(key_path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s was readable by others (mode %o): making it owner-only", key_path, mode)
        key_path.chmod(0o600)


def _create(key_path: Path, cert_path: Path) -> None:
    """Make a key and certificate; a process that made them first wins."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, _COMMON_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        # RFC 5280's "no well-defined expiration date": nobody checks it, and a
        # room's identity must not change because a date passed.
        .not_valid_after(datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=datetime.UTC))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    # The key first: if another process is creating the identity at the same
    # moment, whoever links the key first wins and the other keeps it (and
    # makes no certificate: it waits for the winner's, written just after).
    if _publish(key_path, key_pem, 0o600):
        _publish(cert_path, cert_pem, 0o644)
        log.info("created the room's identity in %s", key_path.parent)
    else:
        _await(cert_path)


def _publish(path: Path, data: bytes, mode: int) -> bool:
    """Write ``data`` to ``path`` whole, if nothing is there; False if something was."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    # os.open with the mode: the key is never readable by others, even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(tmp, path)  # atomic, and fails if the file exists
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links
            if path.exists():
                return False
            os.replace(tmp, path)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _await(path: Path, seconds: float = 2.0) -> None:
    """Wait briefly for another process to finish writing the certificate."""
    import time

    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
