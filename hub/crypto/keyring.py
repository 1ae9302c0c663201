"""The local keyring: named random secrets in one file under the data directory.

`fusion-hub init` creates it (mode 0600). The hub refuses to use a keyring that other users
can read. Every hub process on a host shares it, so tokens signed by one process verify in
another.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
from pathlib import Path

from hub.errors import HubError

__all__ = ["KEYRING_FILE", "KeyringError", "LocalKeyring"]

KEYRING_FILE = "keyring.json"
_NAMES = ("pagination", "audit-chain", "session")


class KeyringError(HubError):
    """The keyring is missing, unreadable or exposed."""

    title = "Keyring unavailable"
    error_code = "keyring-unavailable"


class LocalKeyring:
    """Named 256-bit secrets kept in ``<data_dir>/keyring.json``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._secrets: dict[str, bytes] | None = None

    @classmethod
    def create_or_open(cls, data_dir: Path) -> LocalKeyring:
        """Create the keyring if absent (mode 0600, atomically), then open it."""
        path = data_dir / KEYRING_FILE
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            content = {n: base64.b64encode(secrets.token_bytes(32)).decode() for n in _NAMES}
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump({"version": 1, "secrets": content}, fh)
            try:
                os.link(tmp, path)  # fails if another process won the race: keep theirs
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        keyring = cls(path)
        keyring.load()
        return keyring

    def load(self) -> None:
        """Read the file, refusing one that group or others can read or write."""
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            raise KeyringError(f"{self.path} does not exist; run `fusion-hub init`") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyringError(
                f"{self.path} is accessible to other users (mode {stat.S_IMODE(mode):o}); "
                "chmod 600 it"
            )
        raw = json.loads(self.path.read_text())
        self._secrets = {k: base64.b64decode(v) for k, v in raw["secrets"].items()}

    def secret(self, name: str) -> bytes:
        """The secret called `name`."""
        if self._secrets is None:
            self.load()
        assert self._secrets is not None
        try:
            return self._secrets[name]
        except KeyError:
            raise KeyringError(f"the keyring has no secret {name!r}") from None
