"""Child processes the bench starts (hub, peers, profiler): start, wait for, watch, stop."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

__all__ = ["Child", "RssSampler", "clear_hwm", "proc_status_kb", "started"]


class Child:
    """A process in a session of its own, stopped (TERM, then KILL) by its own id."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        log: Path | None = None,
    ) -> None:
        self.argv = list(argv)
        self.log = log
        self._log_fh = open(log, "ab") if log else None  # noqa: SIM115
        self.proc = subprocess.Popen(
            self.argv,
            env=env,
            cwd=cwd,
            stdout=self._log_fh or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if self._log_fh else subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self.proc.pid

    def alive(self) -> bool:
        """True while the child runs."""
        return self.proc.poll() is None

    def tail(self, chars: int = 600) -> str:
        """The end of the child's log, for error messages."""
        if not self.log or not self.log.exists():
            return ""
        return self.log.read_text(errors="replace")[-chars:]

    def stop(self, timeout: float = 10.0) -> None:
        """TERM the child's process group, KILL it if it lingers."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout)
        if self._log_fh:
            self._log_fh.close()
            self._log_fh = None


@contextlib.contextmanager
def started(
    argv: Sequence[str],
    *,
    ready_url: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
    timeout: float = 60.0,
    ready_status: Sequence[int] = (200, 401, 403, 404, 406),
) -> Iterator[Child]:
    """Start a server and wait until `ready_url` (on 127.0.0.1) answers; always stop it."""
    if not ready_url.startswith("http://127.0.0.1:"):
        raise ValueError("servers are only ever reached on 127.0.0.1")
    child = Child(argv, env=env, cwd=cwd, log=log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if not child.alive():
                raise RuntimeError(f"{argv[0]} exited early: {child.tail()}")
            try:
                if httpx.get(ready_url, timeout=2).status_code in ready_status:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{argv[0]} did not answer within {timeout}s: {child.tail()}")
            time.sleep(0.2)
        yield child
    finally:
        child.stop()


def proc_status_kb(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM, ... of a process, in kB (from /proc/<pid>/status)."""
    out: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, rest = line.partition(":")
            if key.startswith("Vm"):
                out[key] = int(rest.split()[0])
    return out


def clear_hwm(pid: int) -> bool:
    """Reset the process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


class RssSampler:
    """Samples VmRSS of a process every `interval` s in a thread; `peak_kb` is the max seen."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_kb = max(self.peak_kb, proc_status_kb(self.pid).get("VmRSS", 0))
            except OSError:
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
