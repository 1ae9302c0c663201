"""The token signing keys: ES256 (RFC 7518 §3.4) key pairs in ``<data_dir>/signing-keys.json``.

The file (mode 0600, refused if group or others can access it) holds the current key first and,
after a rotation, the previous keys with the time until which they still verify: the key's
retirement plus the longest token lifetime plus the leeway, so no token it signed is cut short.
Creation is race-free across processes (write a private temp file, hard-link it into place: the
first process wins); rotation takes an exclusive lock and replaces the file atomically. Running
processes notice a new file within `RELOAD_SECONDS`, and at once when they meet an unknown kid.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey

from hub.errors import HubError

__all__ = [
    "ALGORITHM",
    "SIGNING_KEYS_FILE",
    "SigningKey",
    "SigningKeyError",
    "SigningKeys",
]

SIGNING_KEYS_FILE = "signing-keys.json"
ALGORITHM = "ES256"
RELOAD_SECONDS = 1.0
LEEWAY_SECONDS = 30


class SigningKeyError(HubError):
    """The signing key file is missing, unreadable or exposed."""

    title = "Signing keys unavailable"
    error_code = "signing-keys-unavailable"


@dataclass(frozen=True, slots=True)
class SigningKey:
    """One key pair; `verify_until` is None for the current key."""

    key: ECKey
    created: int
    verify_until: int | None

    @property
    def kid(self) -> str:
        """The RFC 7638 thumbprint of the public key."""
        assert self.key.kid is not None
        return self.key.kid

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK (RFC 7517 §4) for the JWK set."""
        return dict(self.key.as_dict(private=False, alg=ALGORITHM, use="sig"))


def _new_key(now: int) -> dict[str, Any]:
    key = ECKey.generate_key("P-256", private=True)
    key.ensure_kid()
    return {"jwk": key.as_dict(private=True), "created": now, "verify_until": None}


def _write_private(path: Path, content: dict[str, Any]) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(content, fh)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


class SigningKeys:
    """The key file of one data directory, reloaded when another process rotates it."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self._clock = clock
        self._keys: list[SigningKey] = []
        self._stamp: tuple[int, int, int] | None = None
        self._checked = float("-inf")
        self._lock = threading.Lock()

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> SigningKeys:
        """The key file under `data_dir` (not read until first use)."""
        return cls(data_dir / SIGNING_KEYS_FILE)

    def ensure(self) -> None:
        """Create the file with one fresh key if there is none; harmless to call twice."""
        if self.path.exists():
            return
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = _write_private(self.path, {"version": 1, "keys": [_new_key(int(self._clock()))]})
        try:
            os.link(tmp, self.path)  # fails if another process got there first: keep theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink()

    def rotate(self, token_ttl: int) -> SigningKey:
        """Make a new current key; the old ones keep verifying for `token_ttl` + leeway seconds."""
        self.ensure()
        now = int(self._clock())
        with self._exclusive():
            raw = self._read()
            kept = []
            for entry in raw["keys"]:
                if entry.get("verify_until") is None:
                    entry["verify_until"] = now + token_ttl + LEEWAY_SECONDS
                if entry["verify_until"] > now:
                    kept.append(entry)
            tmp = _write_private(self.path, {"version": 1, "keys": [_new_key(now), *kept]})
            os.replace(tmp, self.path)
        self._reload(force=True)
        return self.current()

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        lock = self.path.with_name(f".{self.path.name}.lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _read(self) -> dict[str, Any]:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            raise SigningKeyError(f"{self.path} does not exist; run `fusion-hub init`") from None
        with os.fdopen(fd) as fh:
            mode = os.fstat(fh.fileno()).st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise SigningKeyError(
                    f"{self.path} is accessible to other users (mode {stat.S_IMODE(mode):o}); "
                    "chmod 600 it"
                )
            try:
                raw: dict[str, Any] = json.load(fh)
            except ValueError:
                raise SigningKeyError(f"{self.path} is not valid JSON") from None
        if raw.get("version") != 1 or not raw.get("keys"):
            raise SigningKeyError(f"{self.path} holds no signing keys")
        return raw

    def _reload(self, *, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            if not force and self._keys and now - self._checked < RELOAD_SECONDS:
                return
            self._checked = now
            if not self._keys:
                self.ensure()
            try:
                st = self.path.stat()
            except FileNotFoundError:
                raise SigningKeyError(f"{self.path} disappeared") from None
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
            if stamp == self._stamp and self._keys:
                return
            raw = self._read()
            keys = []
            for entry in raw["keys"]:
                key = ECKey.import_key(entry["jwk"])
                key.ensure_kid()
                if not key.is_private:
                    raise SigningKeyError(f"{self.path} holds a key without its private half")
                keys.append(SigningKey(key, int(entry["created"]), entry.get("verify_until")))
            self._keys, self._stamp = keys, stamp

    def current(self) -> SigningKey:
        """The key that signs new tokens."""
        self._reload()
        return self._keys[0]

    def verification_key(self, kid: str) -> SigningKey | None:
        """The key `kid` if it may still verify tokens; an unknown kid makes us re-read the file."""
        for attempt in (False, True):
            self._reload(force=attempt)  # a stat; the file is only parsed if it changed
            now = self._clock()
            for key in self._keys:
                if key.kid == kid:
                    if key.verify_until is not None and key.verify_until <= now:
                        return None
                    return key
        return None

    def public_jwks(self) -> dict[str, Any]:
        """The JWK set of every key that may still verify (RFC 7517 §5), current first."""
        self._reload()
        now = self._clock()
        return {
            "keys": [
                k.public_jwk() for k in self._keys if k.verify_until is None or k.verify_until > now
            ]
        }
