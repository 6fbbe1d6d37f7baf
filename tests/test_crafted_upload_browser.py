"""Crafted uploads in a real browser (issue 27): while one session uploads files made to break or flood the reader,
another session on the same server keeps working, each file is refused on screen within 5 s, and the server
process is the same process afterwards, its peak memory not grown past 50 MiB.

Needs /usr/bin/chromium (``scripts/test.sh`` installs it); skipped, saying so, where it is absent.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from browser_support import CHROMIUM, VIEWPORT, chromium, metric_value, open_page, streamlit_server, wait_for_app
from test_crafted_round_three import CRAFTED

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not found: install Debian's chromium"),
]

UPLOADS = {
    "amplified.xlsx": "1 MiB shared string referenced by 1,000 cells",
    "two_positions.xlsx": "cell with two r attributes",
    "many_sheets.xlsx": "400 small sheets",
}


def _server_pid(port: int) -> int:
    """The pid of the ``streamlit run`` process listening on ``port`` (found by its command line)."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                command = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in command and f"--server.port={port}".encode() in command:
                return int(proc.name)
    raise AssertionError(f"no streamlit process on port {port}")


def _peak_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+)", status)
    assert found is not None
    return int(found.group(1)) / 1024


def test_crafted_uploads_are_refused_while_another_session_works(tmp_path):
    from playwright.sync_api import sync_playwright

    files = {}
    for name, case in UPLOADS.items():
        files[name] = tmp_path / name
        files[name].write_bytes(CRAFTED[case][0]())
    with streamlit_server() as url, sync_playwright() as p, chromium(p) as browser:
        pid = _server_pid(int(url.rsplit(":", 1)[1]))
        other = browser.new_context(viewport=VIEWPORT).new_page()
        attacker = browser.new_context(viewport=VIEWPORT).new_page()
        for page in (other, attacker):
            page.set_default_timeout(30_000)
            page.goto(url)
            page.wait_for_selector("text=Primary results")
            wait_for_app(page)
        open_page(attacker, "Data")
        peak_before = _peak_mib(pid)
        for name, path in files.items():
            started = time.monotonic()
            attacker.set_input_files('[data-testid="stFileUploader"] input[type=file]', str(path))
            attacker.wait_for_selector(f'[data-testid="stMainBlockContainer"]:has-text("Data: {name}")')
            wait_for_app(attacker)
            seconds = time.monotonic() - started
            assert seconds < 5, (name, seconds)
            errors = attacker.locator('[data-testid="stAlertContentError"]').all_inner_texts()
            assert any("error(s)" in e for e in errors), (name, errors)
            # the other session, meanwhile: its study and its pages still there
            open_page(other, "Trajectories")
            open_page(other, "Overview", "MedPath")
            assert metric_value(other, "Enrolled") == "5"
            assert other.locator("text=Connection error").count() == 0
        assert _server_pid(int(url.rsplit(":", 1)[1])) == pid  # the same server process throughout
        assert _peak_mib(pid) - peak_before < 50, (peak_before, _peak_mib(pid))
