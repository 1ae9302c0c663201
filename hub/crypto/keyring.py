"""The local keyring: named random secrets, and the local master keys, in one file under the data
directory.

`fusion-hub init` creates it (mode 0600). The hub refuses to use a keyring that other users
can read. Every hub process on a host shares it, so tokens signed by one process verify in
another.

The file also holds the master keys of the ``local`` key provider (:mod:`hub.crypto.kms_local`):
``{"master_keys": {"current": kid, "keys": {kid: base64 key}}}``. Rotation adds a key and makes
it current; retired keys stay until no tenant key is wrapped by them. Changes take an exclusive
lock and replace the file atomically (write a private temporary file, fsync, rename), so
concurrent processes never see a torn file; running processes notice a replaced file by its
inode and modification time.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hub.errors import HubError

__all__ = ["KEYRING_FILE", "KeyringError", "LocalKeyring", "new_master_key_id"]

KEYRING_FILE = "keyring.json"
_NAMES = ("pagination", "audit-chain", "session")


class KeyringError(HubError):
    """The keyring is missing, unreadable or exposed."""

    title = "Keyring unavailable"
    error_code = "keyring-unavailable"


def new_master_key_id(prefix: str = "mk") -> str:
    """A fresh master key id that sorts by creation time: ``<prefix>-<UTC time, µs>-<random>``."""
    ns = time.time_ns()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(ns // 1_000_000_000))
    return f"{prefix}-{stamp}{ns // 1000 % 1_000_000:06d}-{secrets.token_hex(3)}"


def _new_master_section() -> dict[str, Any]:
    kid = new_master_key_id()
    return {"current": kid, "keys": {kid: base64.b64encode(secrets.token_bytes(32)).decode()}}


class LocalKeyring:
    """Named 256-bit secrets and local master keys kept in ``<data_dir>/keyring.json``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._secrets: dict[str, bytes] | None = None
        self._master: dict[str, bytes] = {}
        self._current: str | None = None
        self._stamp: tuple[int, int] | None = None

    @classmethod
    def create_or_open(cls, data_dir: Path) -> LocalKeyring:
        """Create the keyring if absent (mode 0600, atomically), then open it.

        A keyring written before master keys existed gets its first master key here.
        """
        path = data_dir / KEYRING_FILE
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            content = {n: base64.b64encode(secrets.token_bytes(32)).decode() for n in _NAMES}
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(
                    {"version": 1, "secrets": content, "master_keys": _new_master_section()}, fh
                )
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)  # fails if another process won the race: keep theirs
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        keyring = cls(path)
        keyring.load()
        if keyring._current is None:
            keyring.add_master_key(only_if_none=True)
        return keyring

    def load(self) -> None:
        """Read the file, refusing one that group or others can read or write."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise KeyringError(f"{self.path} does not exist; run `fusion-hub init`") from None
        mode = st.st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyringError(
                f"{self.path} is accessible to other users (mode {stat.S_IMODE(mode):o}); "
                "chmod 600 it"
            )
        try:
            raw = json.loads(self.path.read_text())
            self._secrets = {k: base64.b64decode(v) for k, v in raw["secrets"].items()}
            master = raw.get("master_keys") or {"current": None, "keys": {}}
            self._master = {k: base64.b64decode(v) for k, v in master["keys"].items()}
            self._current = master["current"]
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyringError(f"{self.path} is not a valid keyring: {exc}") from None
        if self._current is not None and self._current not in self._master:
            raise KeyringError(f"{self.path}: the current master key is missing")
        if any(len(k) != 32 for k in self._master.values()):
            raise KeyringError(f"{self.path}: master keys must be 256 bits")
        self._stamp = (st.st_ino, st.st_mtime_ns)

    @property
    def stamp(self) -> tuple[int, int] | None:
        """Identity of the file version last loaded (inode, mtime): changes when it is replaced."""
        return self._stamp

    def reload_if_changed(self) -> None:
        """Re-read the file if another process replaced it since it was loaded."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            raise KeyringError(f"{self.path} does not exist; run `fusion-hub init`") from None
        if self._stamp != (st.st_ino, st.st_mtime_ns):
            self.load()

    def secret(self, name: str) -> bytes:
        """The secret called `name`."""
        if self._secrets is None:
            self.load()
        assert self._secrets is not None
        try:
            return self._secrets[name]
        except KeyError:
            raise KeyringError(f"the keyring has no secret {name!r}") from None

    # -- master keys of the local key provider -------------------------------------------------

    @property
    def current_master_key_id(self) -> str | None:
        """The id of the master key new wraps use (None before `fusion-hub init`)."""
        if self._secrets is None:
            self.load()
        return self._current

    def master_key(self, kid: str) -> bytes | None:
        """The master key `kid`, re-reading the file once if it is unknown."""
        if self._secrets is None:
            self.load()
        if kid not in self._master:
            self.reload_if_changed()
        return self._master.get(kid)

    def master_key_ids(self) -> list[str]:
        """Every master key id in the file, oldest first."""
        if self._secrets is None:
            self.load()
        return sorted(self._master)

    def add_master_key(self, *, only_if_none: bool = False) -> str:
        """Add a fresh master key and make it current; returns its id (rotation)."""
        with self._update() as raw:
            master = raw.setdefault("master_keys", {"current": None, "keys": {}})
            if only_if_none and master.get("current"):
                return str(master["current"])
            section = _new_master_section()
            master["keys"].update(section["keys"])
            master["current"] = section["current"]
            return str(section["current"])

    def remove_master_key(self, kid: str) -> None:
        """Delete a retired master key from the file (the caller checks nothing uses it)."""
        with self._update() as raw:
            master = raw.get("master_keys") or {}
            if master.get("current") == kid:
                raise KeyringError("the current master key cannot be removed; rotate first")
            master.get("keys", {}).pop(kid, None)

    @contextlib.contextmanager
    def _update(self) -> Iterator[dict[str, Any]]:
        """Lock, read, let the caller edit, write a private temp file, fsync, rename."""
        lock_path = self.path.with_name(f".{self.path.name}.lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self.load()
            raw = json.loads(self.path.read_text())
            yield raw
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp_fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(tmp_fd, "w") as fh:
                json.dump(raw, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
            self.load()
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
