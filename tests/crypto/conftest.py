"""Fixtures of the crypto tests: a local key provider, a key service per backend, tenants, and a
SoftHSM2 token for the PKCS#11 provider."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from hub.crypto.keyring import LocalKeyring
from hub.crypto.kms_local import LocalKeyProvider
from hub.crypto.service import KeyService
from hub.store.db import Database
from hub.store.models import Tenant

SOFTHSM_LIBRARY = "/usr/lib/softhsm/libsofthsm2.so"
HSM_PIN = "4711-test"
HSM_SO_PIN = "0815-test-so"
HSM_LABEL = "fh-test"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    """A hand-driven clock for cache expiry."""
    return Clock()


@pytest.fixture
def local_provider(tmp_path: Path) -> LocalKeyProvider:
    """A local provider over a fresh keyring (mode 0600) in a temporary data directory."""
    LocalKeyring.create_or_open(tmp_path)
    return LocalKeyProvider.from_data_dir(tmp_path)


@pytest.fixture
def make_tenant(db: Database) -> Callable[[str], int]:
    """Insert a tenant row (keys reference it) and return its id."""

    def make(slug: str) -> int:
        with db.write_session() as session:
            tenant = Tenant(
                slug=slug,
                name=slug.upper(),
                kind="national-cell",
                identity_id=f"identity--{uuid.uuid4()}",
                identity={},
                created_at=datetime.now(UTC),
            )
            session.add(tenant)
            session.flush()
            assert tenant.id is not None
            return tenant.id

    return make


@pytest.fixture
def keys(db: Database, local_provider: LocalKeyProvider, clock: Clock) -> KeyService:
    """A key service on the test database with the local provider and a hand-driven clock."""
    return KeyService(db, local_provider, cache_ttl=30.0, clock=clock)


def _softhsm_missing() -> str | None:
    if shutil.which("softhsm2-util") is None:
        return "softhsm2-util is not installed (Debian package softhsm2)"
    if not Path(SOFTHSM_LIBRARY).exists():
        return f"{SOFTHSM_LIBRARY} is missing (Debian package softhsm2)"
    try:
        import pkcs11  # noqa: F401
    except ImportError:
        return "python-pkcs11 is not installed"
    return None


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A fresh SoftHSM2 token in a private token directory: library, label and PIN.

    Skipped with the reason when SoftHSM2 is absent, except under CI=true, where it must be there.
    """
    missing = _softhsm_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the PKCS#11 tests cannot run: {missing}")
        pytest.skip(f"PKCS#11 tests need SoftHSM2: {missing}")
    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {base / 'tokens'}\n"
        "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
    )
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            HSM_LABEL,
            "--pin",
            HSM_PIN,
            "--so-pin",
            HSM_SO_PIN,
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield {"library": SOFTHSM_LIBRARY, "token_label": HSM_LABEL, "pin": HSM_PIN}
    finally:
        if previous is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = previous
