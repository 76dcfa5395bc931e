"""The room's identity, fingerprint forms, the known-rooms file (net/tls, net/pins)."""

from __future__ import annotations

import json
import os
import ssl
import stat
import sys
from pathlib import Path

import pytest

from desktopchat import paths
from desktopchat.net import tls
from desktopchat.net.pins import KnownRooms
from desktopchat.net.tls import (
    IdentityError,
    fingerprint_of,
    load_or_create_identity,
    long_fingerprint,
    normalize_fingerprint,
    short_fingerprint,
)

FP = "3f2a9c1d77b0e412" + "0123456789abcdef" * 3


def test_identity_is_created_once_and_reused(tmp_path: Path) -> None:
    first = load_or_create_identity(tmp_path / "id")
    assert first.key_path.exists() and first.cert_path.exists()
    assert len(first.fingerprint) == 64 and first.fingerprint == fingerprint_of(first.cert_der)
    key_before = first.key_path.read_bytes()
    again = load_or_create_identity(tmp_path / "id")
    assert again == first
    assert again.key_path.read_bytes() == key_before


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")
def test_key_is_owner_only(tmp_path: Path) -> None:
    identity = load_or_create_identity(tmp_path / "id")
    assert stat.S_IMODE(identity.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(identity.key_path.parent.stat().st_mode) & 0o077 == 0
    identity.key_path.chmod(0o644)  # copied around with a loose mode: made private again
    load_or_create_identity(tmp_path / "id")
    assert stat.S_IMODE(identity.key_path.stat().st_mode) == 0o600


def test_identity_is_an_ecdsa_p256_self_signed_certificate(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

    identity = load_or_create_identity(tmp_path / "id")
    cert = x509.load_der_x509_certificate(identity.cert_der)
    key = cert.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    assert cert.issuer == cert.subject


def test_default_directory_follows_desktopchat_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path))
    identity = load_or_create_identity()
    assert identity.key_path.parent == tmp_path / "data" / "identity"


def test_damaged_certificate_is_a_clear_error_not_a_new_identity(tmp_path: Path) -> None:
    identity = load_or_create_identity(tmp_path / "id")
    identity.cert_path.write_text("garbage")
    with pytest.raises(IdentityError, match="move that folder away"):
        load_or_create_identity(tmp_path / "id")
    assert identity.cert_path.read_text() == "garbage"  # nothing replaced behind our back


def test_key_that_does_not_match_the_certificate_is_refused(tmp_path: Path) -> None:
    one = load_or_create_identity(tmp_path / "one")
    two = load_or_create_identity(tmp_path / "two")
    two.key_path.write_bytes(one.key_path.read_bytes())
    with pytest.raises(IdentityError):
        load_or_create_identity(tmp_path / "two")


def test_missing_certificate_is_refused(tmp_path: Path) -> None:
    identity = load_or_create_identity(tmp_path / "id")
    identity.cert_path.unlink()
    with pytest.raises(IdentityError, match="missing"):
        load_or_create_identity(tmp_path / "id")


def test_contexts_are_tls13_only(tmp_path: Path) -> None:
    identity = load_or_create_identity(tmp_path / "id")
    server = tls.server_context(identity)
    client = tls.client_context()
    for context in (server, client):
        assert context.minimum_version == ssl.TLSVersion.TLSv1_3
    assert client.verify_mode == ssl.CERT_NONE and not client.check_hostname


@pytest.mark.parametrize(
    "text",
    [
        FP,
        FP.upper(),
        ":".join(FP[i : i + 2] for i in range(0, 64, 2)),
        long_fingerprint(FP),
        f"  SHA256:{FP}\n",
    ],
)
def test_normalize_accepts_the_usual_spellings(text: str) -> None:
    assert normalize_fingerprint(text) == FP


@pytest.mark.parametrize("text", ["", FP[:-1], FP + "0", FP[:-1] + "g", "sha1:" + FP[:40]])
def test_normalize_rejects_what_is_not_a_sha256_fingerprint(text: str) -> None:
    assert normalize_fingerprint(text) is None


def test_short_and_long_forms() -> None:
    assert short_fingerprint(FP) == "3f2a 9c1d 77b0 e412"
    assert long_fingerprint(FP).split(" ")[:4] == ["3f2a", "9c1d", "77b0", "e412"]
    assert len(long_fingerprint(FP).split(" ")) == 16


def test_known_rooms_trust_get_forget_and_persist(tmp_path: Path) -> None:
    path = tmp_path / "known_rooms.json"
    rooms = KnownRooms(path)
    assert rooms.get("Example.org", 1234) is None
    rooms.trust("Example.org", 1234, FP.upper())
    rooms.trust("::1", 5, FP)
    assert rooms.get("example.org", 1234) == FP
    again = KnownRooms(path)
    assert again.get("EXAMPLE.ORG", 1234) == FP
    assert again.get("[::1]", 5) == FP
    assert again.get("example.org", 1235) is None
    again.forget("example.org", 1234)
    assert KnownRooms(path).get("example.org", 1234) is None
    assert json.loads(path.read_text())["rooms"] == {"[::1]:5": FP}
    with pytest.raises(ValueError):
        again.trust("x", 1, "not a fingerprint")


def test_known_rooms_default_path_and_damaged_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path))
    path = tmp_path / "data" / "known_rooms.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    rooms = KnownRooms()
    assert rooms.path == path and rooms.get("a", 1) is None
    assert (path.parent / "known_rooms.json.bad").read_text() == "{not json"
    rooms.trust("a", 1, FP)
    assert not path.with_name("known_rooms.json.tmp").exists()
    assert KnownRooms().get("a", 1) == FP


def test_identity_file_never_world_readable_while_written(tmp_path: Path) -> None:
    # The key is created with os.open(..., 0o600): check no temporary file is left.
    load_or_create_identity(tmp_path / "id")
    assert sorted(os.listdir(tmp_path / "id")) == ["cert.pem", "key.pem"]
