"""Uploaded text (file names, sheet names, ids, labels, finding values) is shown inert (issue 18, break 7):
no autolink, no Markdown structure, no HTML, bidirectional and invisible controls shown visibly."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from medpath.inert import BIDI_CONTROLS, WORD_JOINER, inert_markdown, reveal_controls

# What GitHub-flavoured Markdown (remark-gfm, which Streamlit uses) turns into links, applied to the text
# *after* backslash escapes are resolved: the mdast-util-gfm-autolink-literal patterns.
GFM_URL = re.compile(r"(https?://|www(?=\.))([-.\w]+)", re.IGNORECASE)
GFM_EMAIL = re.compile(r"(?<![\w.+-])([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)")
ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def rendered_text(markdown: str) -> str:
    """The text Markdown leaves once backslash escapes are resolved (what the autolink pass sees)."""
    return ESCAPE.sub(r"\1", markdown)


@pytest.mark.parametrize(
    "text",
    [
        "www.evil.example",
        "WWW.EVIL.EXAMPLE/x",
        "http://evil.example/S9",
        "https://evil.example",
        "see www.evil.example now",
        "evil@evil.example",
        "P1 (mail: a.b+c@evil.example)",
        "report www.evil.example.xlsx",
    ],
)
def test_no_autolink_survives(text):
    shown = rendered_text(inert_markdown(text))
    assert not GFM_URL.search(shown) and not GFM_EMAIL.search(shown), shown
    assert shown.replace(WORD_JOINER, "") == text  # reads exactly as typed


def test_the_gfm_patterns_do_find_the_raw_and_the_old_escaped_forms():
    """The check above can fail: the raw text, and the backslash escapes the pages used before, autolink."""
    for old in ["www\\.evil.example", "http\\://evil.example", "evil@evil.example"]:
        shown = rendered_text(old)
        assert GFM_URL.search(shown) or GFM_EMAIL.search(shown)


@pytest.mark.parametrize(
    "text, forbidden",
    [
        ("**P_1** <img src=x> $a$ | ~~s~~ `c` [x](y) &amp;", r"(?<!\\)[*_<>$|~`\[\]&]"),
        ("# heading", r"^#"),
        ("- item", r"^-"),
        ("+ item", r"^\+"),
        ("1. item", r"^1\."),
        ("12) item", r"^12\)"),
        ("    indented code", r"^ "),
        (":smile: :material/home: :red[x]", r":(?!\u2060)"),
    ],
)
def test_no_markdown_structure(text, forbidden):
    assert not re.search(forbidden, inert_markdown(text)), inert_markdown(text)


def test_line_breaks_become_a_visible_mark_not_structure():
    for newline in ["\n", "\r\n", "\r", "\u2028", "\u2029"]:
        shown = inert_markdown(f"P1{newline}# Heading{newline}- item")
        assert "\n" not in shown and "\r" not in shown and "\u2028" not in shown
        assert shown == "P1⏎\\# Heading⏎- item"


@pytest.mark.parametrize(
    "char", sorted(BIDI_CONTROLS) + ["\u200b", "\u200d", "\u2060", "\ufeff", "\u00ad", "\x00", "\x1b", "\x7f", "\x85"]
)
def test_bidirectional_and_invisible_controls_are_shown(char):
    name = f"report{char}xslx.exe"
    for shown in (reveal_controls(name), inert_markdown(name)):
        assert char not in shown
        assert f"⟨U+{ord(char):04X}⟩" in shown


def test_right_to_left_override_cannot_reverse_a_caption():
    shown = inert_markdown("invoice\u202excod.exe")
    assert not (set(shown) & BIDI_CONTROLS)
    assert shown == "invoice⟨U+202E⟩xcod.exe"


def test_ordinary_text_is_unchanged():
    for text in [
        "Synthetic sample study (not real patients)",
        "MSC-01",
        "pasien 3 — kunjungan bulan 6",
        "Ünïcödé façade",
        "T-score −2.7 (L1–L4)",
        "a\tb",
    ]:
        assert reveal_controls(text) == text
    assert reveal_controls("a\nb\tc") == "a\nb\tc"  # HTML and grids keep ordinary whitespace
    assert inert_markdown("Synthetic sample study (not real patients)") == "Synthetic sample study (not real patients)"


def test_pages_literal_and_grid_cells_use_the_sanitiser():
    from pages.components import _revealed, literal, plain

    assert literal("[x](http://evil.example)") == "\\[x\\](http:\u2060//evil.example)"
    assert plain("P\u202e1") == "P⟨U+202E⟩1"
    frame = _revealed(pd.DataFrame({"patient_id": ["P\u202e1", None], "vas": [1.0, 2.0]}))
    assert frame["patient_id"][0] == "P⟨U+202E⟩1" and pd.isna(frame["patient_id"][1])
    assert frame["vas"].tolist() == [1.0, 2.0]


def test_report_shows_bidirectional_controls_in_uploaded_text():
    from medpath.report import _table, _text

    assert _text("evil\u202eslx.exe") == "evil⟨U+202E⟩slx.exe"
    html = _table(pd.DataFrame({"Patient": ["P\u2067x\u2069"]}))
    assert "⟨U+2067⟩" in html and "\u2067" not in html
