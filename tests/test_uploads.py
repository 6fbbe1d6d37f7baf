"""Nothing uploaded reaches the disk, and one session's uploads are bounded (issue 18, break 6).

Streamlit's upload route parses the multipart body with Starlette, whose parser spools any file part over
1 MB to a temporary file. ``pages.session`` (imported by dashboard.py before anything else runs) sets the
spool size so parts stay in memory; here the same Starlette code parses a 3 MB upload."""

from __future__ import annotations

import asyncio
import tempfile

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartParser
from starlette.requests import Request

import pages.session
from pages.session import keep_uploads_in_memory

BOUNDARY = "medpathboundary"
SIZE = 3 * 1024 * 1024


def _parse_upload(size: int) -> tuple[bool, int]:
    """Parse a multipart body carrying one ``size``-byte file the way Streamlit's upload route does;
    returns (whether the part was spooled to a temporary file, its size)."""
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="study.xlsx"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"x" * size
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]

    async def run() -> tuple[bool, int]:
        async def receive():
            return (
                {"type": "http.request", "body": chunks.pop(0), "more_body": bool(chunks)}
                if chunks
                else {"type": "http.request", "body": b"", "more_body": False}
            )

        scope = {
            "type": "http",
            "method": "PUT",
            "path": "/",
            "headers": [
                (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
        form = await Request(scope, receive).form()
        upload = form["file"]
        try:
            assert isinstance(upload, UploadFile)  # a file part, not a text field
            return bool(getattr(upload.file, "_rolled", True)), len(await upload.read())
        finally:
            await form.close()

    return asyncio.run(run())


def test_an_upload_over_one_megabyte_stays_in_memory():
    assert _parse_upload(SIZE) == (False, SIZE)


def test_without_the_setting_starlette_would_spool_it_to_disk(monkeypatch, tmp_path):
    """The check above can fail: with Starlette's default spool size the same upload goes to a temp file."""
    monkeypatch.setattr(MultiPartParser, "spool_max_size", 1024 * 1024)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert _parse_upload(SIZE) == (True, SIZE)
    keep_uploads_in_memory()
    assert MultiPartParser.spool_max_size == 0


def test_one_session_cannot_hold_more_than_the_study_limit(monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(pages.session, "MAX_SESSION_UPLOAD_BYTES", 1000)
    app = AppTest.from_string(
        "import streamlit as st\n"
        "from pages.session import FILES_KEY, use_files\n"
        "st.session_state['message'] = use_files((('a.csv', b'x' * 600), ('b.csv', b'y' * 600)))\n"
        "st.session_state['kept'] = FILES_KEY in st.session_state\n"
        "st.session_state['small'] = use_files((('a.csv', b'x' * 600),))\n"
        "st.session_state['kept_small'] = FILES_KEY in st.session_state\n",
        default_timeout=30,
    )
    app.run()
    assert not app.exception
    assert "at most" in app.session_state["message"] and app.session_state["kept"] is False
    assert app.session_state["small"] is None and app.session_state["kept_small"] is True


def test_the_setting_means_never_spool():
    """A spool size of 0 is SpooledTemporaryFile's "never roll over"."""
    spool = tempfile.SpooledTemporaryFile(max_size=0)
    spool.write(b"x" * SIZE)
    assert spool._rolled is False
    spool.close()
