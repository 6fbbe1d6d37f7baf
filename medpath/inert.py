"""Text from an upload (file names, sheet names, patient ids, visit labels, finding values) made inert
before it is shown: it must read exactly as typed and can never act as markup.

Two dangers, two functions:

- ``reveal_controls``: invisible characters that change how text *around* them is shown are replaced
  by a visible marker such as ``⟨U+202E⟩``. Above all the bidirectional controls (U+202A–U+202E,
  U+2066–U+2069, U+200E/U+200F, U+061C), which can reverse the app's own caption ("exe.xlsx" shown
  as "xlsx.exe"), and every other control or format character (zero-width spaces and joiners, soft
  hyphens, escape codes), which can make two different ids look the same. Used for HTML (the report)
  and data grids, where markup is already escaped.
- ``inert_markdown``: for Streamlit's Markdown (captions, banners, warnings). On top of
  ``reveal_controls``: line breaks become a visible "⏎" (so no heading, list or quote can start),
  every Markdown-special character is backslash-escaped, and the characters on which GitHub-style
  autolinks and Streamlit's shortcodes hinge ("www.", ":", "@") get an invisible U+2060 WORD JOINER
  after them, because autolinks are found in the text *after* backslash escapes are undone.

Pure: no Streamlit here; ``pages.components.literal`` and ``medpath.report`` call these.
"""

from __future__ import annotations

import re
import unicodedata

#: The bidirectional formatting characters (Unicode UAX #9): embeddings, overrides, isolates, marks.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAK_MARK = "⏎"
WORD_JOINER = "\u2060"
_KEEP = {"\t", "\n", "\r"}  # ordinary whitespace: harmless in HTML and grids, handled in Markdown below
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029]")
# The characters that start Markdown anywhere in a line (emphasis, code, links and images, HTML,
# entities, tables, strikethrough, LaTeX, headings, quotes); "(" or "!" act only next to "[" or "]".
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$&])")
# What starts a block only at the beginning of the text (line breaks are gone): a list item
# ("- ", "+ ", "1. ", "1) ") or a thematic break; leading spaces (an indented code block) are dropped.
_BLOCK_START = re.compile(r"^(?:([-+=])|(\d{1,9})(?=[.)]))")
# After escaping: "www." (any case) and every ":" and "@" get a word joiner so that no autolink
# (www.…, http://…, mailto:…, user@host) and no shortcode (:smile:, :material/x:, :red[…]) can form.
_LINK_HINGES = re.compile(r"(?i)www(?=\.)|[:@]")


def _marker(char: str) -> str:
    return f"⟨U+{ord(char):04X}⟩"


def _hidden(char: str) -> bool:
    if char in _KEEP:
        return False
    return char in BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs")


def reveal_controls(text: object) -> str:
    """``text`` as a string with every bidirectional control and every other invisible control or
    format character replaced by a visible ``⟨U+XXXX⟩``; tabs and line breaks are kept."""
    text = str(text)
    if text.isprintable() and not (BIDI_CONTROLS & set(text)):
        return text  # the common case, fast
    return "".join(_marker(c) if _hidden(c) else c for c in text)


def inert_markdown(text: object) -> str:
    """``text`` made inert for Markdown: reads as typed (controls revealed, line breaks as "⏎"),
    and produces no formatting, link, image, HTML, heading, list, table, LaTeX or shortcode."""
    text = _LINE_BREAKS.sub(LINE_BREAK_MARK, reveal_controls(text)).replace("\t", " ")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text).lstrip(" ")
    text = _BLOCK_START.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\", text)
    return _LINK_HINGES.sub(lambda m: m.group(0) + WORD_JOINER, text)
