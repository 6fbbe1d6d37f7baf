"""``streamlit run dashboard.py`` with extra settings (a secrets file, a base URL path, environment switches)
for the sign-in and deployment tests; the plain server of the other browser tests is
``browser_support.streamlit_server``. Loopback only, bounded start-up wait, stopped on exit."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator

from browser_support import ROOT, STARTUP_TIMEOUT, free_port


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def dashboard(
    *flags: str,
    env: dict[str, str] | None = None,
    port: int | None = None,
    base_path: str = "",
    timeout: float = STARTUP_TIMEOUT,
) -> Iterator[str]:
    """Serve the dashboard on 127.0.0.1 with ``flags`` (``--section.option=value``) and ``env`` added to a
    clean environment (no STREAMLIT_* or MEDPATH_* of the caller); yields its URL (with the base path)."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}" + (f"/{base_path.strip('/')}" if base_path.strip("/") else "")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STREAMLIT_", "MEDPATH_"))}
    clean |= {"PYTHONUNBUFFERED": "1", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"} | (env or {})
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard.py",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--server.headless=true",
            *flags,
        ],
        cwd=ROOT,
        env=clean,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(
                    f"streamlit did not become healthy at {url} (exit {process.poll()}):\n"
                    + log.read().decode(errors="replace")[-4000:]
                )
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
