"""Text from an upload (file names, sheet names, patient ids, visit labels, adverse-event terms, column headers,
finding values) made inert before it is shown: it must read exactly as typed and can never act as markup (a link, an
image, HTML or a script). One function per kind of surface:

- ``reveal_controls``: for plain text (grid cells, select-box and multiselect options, slides, Word tables).
  Invisible characters that change how text *around* them is shown are replaced by a visible marker such as
  ``⟨U+202E⟩``. Above all the bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E/U+200F, U+061C), which
  can reverse the app's own caption ("exe.xlsx" shown as "xlsx.exe"), and every other control or format character
  (zero-width spaces and joiners, soft hyphens, escape codes), which can make two different ids look the same, and
  U+FFFE/U+FFFF, which XML cannot hold. The three functions below start with it.
- ``inert_markdown``: for Streamlit's Markdown (captions, banners, warnings, widget labels and help, radio options,
  ``st.table`` cells, expander labels). Line breaks become a visible "⏎" (so no heading, list or quote can start),
  every Markdown-special character is backslash-escaped, and the characters on which GitHub-style autolinks and
  Streamlit's shortcodes hinge ("www.", ":", "@") get an invisible U+2060 WORD JOINER after them, because autolinks
  are found in the text *after* backslash escapes are undone.
- ``inert_plotly``: for plotly's pseudo-HTML (titles, tick labels, hover text, annotations, legend names, text
  beside markers), in which ``<a href>``, ``<b>``, ``<br>``, ``<span style>``… are drawn as markup.
- ``inert_html``: for HTML and SVG/XML, in element text and in quoted attribute values.

Pure: no Streamlit here; ``pages.components``, the figures, ``medpath.report`` and ``medpath.slides`` call these.
"""

from __future__ import annotations

import html
import re
import unicodedata

#: The bidirectional formatting characters (Unicode UAX #9): embeddings, overrides, isolates, marks.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAK_MARK = "⏎"
WORD_JOINER = "\u2060"
#: The noncharacters XML 1.0 cannot hold (a slide or a Word file refuses them); the other characters it cannot
#: hold are controls and surrogates, revealed as such.
_XML_NONCHARACTERS = frozenset("\ufffe\uffff")
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
    return char in BIDI_CONTROLS or char in _XML_NONCHARACTERS or unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs")


def reveal_controls(text: object) -> str:
    """``text`` as a string with every bidirectional control, every other invisible control or format
    character and U+FFFE/U+FFFF replaced by a visible ``⟨U+XXXX⟩``; tabs and line breaks are kept. What is left
    is text XML can hold."""
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


def inert_plotly(text: object) -> str:
    """``text`` made inert for plotly's pseudo-HTML: controls revealed, then ``&``, ``<`` and ``>`` escaped, so that no
    tag and no entity can form; plotly decodes ``&amp;``, ``&lt;`` and ``&gt;`` back, so the text reads as typed.
    Quotes stay as they are: outside a tag they are text, and plotly would show ``&quot;`` literally."""
    return html.escape(reveal_controls(text), quote=False)


def inert_html(text: object) -> str:
    """``text`` made inert for HTML or SVG, as element text or a quoted attribute value: controls revealed, then
    ``& < > " '`` escaped."""
    return html.escape(reveal_controls(text), quote=True)
