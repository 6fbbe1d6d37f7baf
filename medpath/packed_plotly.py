"""plotly.js packed for a self-contained HTML report: the installed plotly's bundle (4.8 MB of JavaScript),
gzip-compressed and base-85 encoded in 1.8 MB of text that the report's own loader inflates in the browser
(``medpath.report``).

Compressing it takes about 0.15 s, a tenth of a ``medpath report`` run; so the packed text is kept in memory for the
rest of the process, and between processes in the user's cache folder (``$XDG_CACHE_HOME/medpath``, else
``~/.cache/medpath``) under the SHA-256 of the bundle it was made from, next to the SHA-256 of the text itself: a
file that does not match is not used, and a folder that cannot be read or written only means the work is done
again. Nothing from a study is ever written there.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

#: RFC 1924 base-85 digits (Python's base64.b85encode) with "<" written as ".", so that the encoded
#: plotly.js can sit in a <script> element ("</script" and "<!--" cannot occur in it).
BASE85_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~".replace(
    "<", "."
)


@functools.cache
def packed_plotly_js() -> str:
    """plotly.js, gzip-compressed and encoded with ``base85``: from the cache folder when it holds this bundle's
    packed text, else made (and stored there)."""
    from plotly.offline import get_plotlyjs

    source = get_plotlyjs().encode("utf-8")
    path = cache_folder() / f"plotly-{hashlib.sha256(source).hexdigest()[:32]}.b85"
    kept = _read(path)
    if kept is not None:
        return kept
    text = base85(gzip.compress(source, compresslevel=6, mtime=0))
    _write(path, text)
    return text


def cache_folder() -> Path:
    """Where the packed text is kept between processes (the XDG base directory convention)."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "medpath"


def _read(path: Path) -> str | None:
    """The text stored at ``path`` when its first line is the SHA-256 of the rest; else None."""
    try:
        digest, _, text = path.read_text(encoding="ascii").partition("\n")
    except (OSError, UnicodeDecodeError):
        return None
    return text if hashlib.sha256(text.encode("ascii")).hexdigest() == digest else None


def _write(path: Path, text: str) -> None:
    """Store ``text`` at ``path`` behind its SHA-256, atomically (a reader never sees half a file); a folder that
    cannot be written is left as it is."""
    partial = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="ascii", dir=path.parent, delete=False) as handle:
            partial = handle.name
            handle.write(f"{hashlib.sha256(text.encode('ascii')).hexdigest()}\n{text}")
        os.replace(partial, path)
    except OSError:
        if partial is not None:
            with contextlib.suppress(OSError):
                os.unlink(partial)


def base85(data: bytes) -> str:
    """``base64.b85encode(data)`` (RFC 1924: each 4 bytes, big-endian, as 5 base-85 digits; a final
    group of k < 4 bytes zero-padded and written with its first k + 1 digits) with
    ``BASE85_DIGITS``, computed with numpy (the standard library's is pure Python, 0.3 s here)."""
    padding = -len(data) % 4
    words = np.frombuffer(data + b"\0" * padding, dtype=">u4").astype(np.int64)
    digits = np.empty((len(words), 5), dtype=np.uint8)
    for position in range(4, -1, -1):
        words, digits[:, position] = np.divmod(words, 85)
    text = np.frombuffer(BASE85_DIGITS.encode("ascii"), dtype=np.uint8)[digits].tobytes().decode("ascii")
    return text[: len(text) - padding]
