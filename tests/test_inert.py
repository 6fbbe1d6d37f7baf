"""Uploaded text (file names, sheet names, ids, labels, finding values) is shown inert (issue 18, break 7):
no autolink, no Markdown structure, no HTML, bidirectional and invisible controls shown visibly."""

from __future__ import annotations

import html
import io
import re

import pandas as pd
import pytest
from workbooks import SCREENING_HEADER, screening_row, xlsx_bytes

from medpath.inert import BIDI_CONTROLS, WORD_JOINER, inert_markdown, reveal_controls
from medpath.protocol import default_protocol

# Uploaded text that would act as markup somewhere: a link, an image, HTML, a script, an autolink, a bidi override.
LINK = "[x](https://evil.example/a)"
IMAGE = "![i](https://evil.example/i.png)"
ANCHOR = '<a href="https://evil.example">x</a>'
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
JAVASCRIPT = "javascript:alert(1)"
WWW = "www.evil.example"
BIDI = "P\u202e1"
HOSTILE = (LINK, IMAGE, ANCHOR, IMG, SCRIPT, JAVASCRIPT, WWW, BIDI)
#: An upload's name is any text the browser sends (but a browser sends " as %22): a Markdown link and an HTML link.
FILE_NAME = "[f](https:evil.example) <a href='https:evil.example'>x.xlsx"
#: A tag plotly, a browser or an SVG viewer would act on (plotly draws <a href> as a link).
LIVE_TAG = re.compile(r"<\s*/?\s*(a|img|script)\b", re.IGNORECASE)

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
    from pages.components import inert_cells, literal, plain

    assert literal("[x](http://evil.example)") == "\\[x\\](http:\u2060//evil.example)"
    assert plain("P\u202e1") == "P⟨U+202E⟩1"
    frame = pd.DataFrame({"patient_id": ["P\u202e1", None], "vas": [1.0, 2.0]})
    grid = inert_cells(frame)  # st.dataframe draws text as it is
    assert grid["patient_id"][0] == "P⟨U+202E⟩1" and pd.isna(grid["patient_id"][1])
    assert grid["vas"].tolist() == [1.0, 2.0]
    static = inert_cells(frame.assign(patient_id=[LINK, None]), literal)  # st.table renders Markdown
    assert static["patient_id"][0] == inert_markdown(LINK) and pd.isna(static["patient_id"][1])


def test_report_shows_bidirectional_controls_in_uploaded_text():
    from medpath.report import _table, _text

    assert _text("evil\u202eslx.exe") == "evil⟨U+202E⟩slx.exe"
    html = _table(pd.DataFrame({"Patient": ["P\u2067x\u2069"]}))
    assert "⟨U+2067⟩" in html and "\u2067" not in html


# --- every surface, with a hostile upload -------------------------------------------------------------------------


def hostile_workbook() -> bytes:
    """A valid study of eight enrolled patients whose ids and adverse-event terms are the ``HOSTILE`` strings, with two
    yes/no values, a visit label and a withdrawal reason from them, and two more sheets named after them (neither
    screening nor visits: findings, and boxes of the mapping step)."""
    screening = [SCREENING_HEADER, *(screening_row(pid) for pid in HOSTILE)]
    screening[1][SCREENING_HEADER.index("corticosteroid")] = LINK
    screening[2][SCREENING_HEADER.index("anticoagulant")] = IMAGE
    visits: list[list[object]] = [["patient_id", "visit", "bmd_tscore", "vas", "bmd_g_cm2"]]
    for i, pid in enumerate(HOSTILE):
        visits += [[pid, "baseline", -3.0, 7, 0.8], [pid, "month 6", -3.0 + 0.1 * i, 7 - i % 4, 0.8 + 0.01 * i]]
    visits.append([LINK, ANCHOR, -2.8, 5, 0.81])  # an unknown visit label
    events: list[list[object]] = [["patient_id", "term", "onset", "grade", "serious", "relatedness", "outcome"]]
    events += [
        [pid, term, "month 1", 2, "yes" if pid == ANCHOR else "no", "possible", "recovered"]
        for pid, term in zip(HOSTILE, reversed(HOSTILE))
    ]
    disposition: list[list[object]] = [["patient_id", "status", "reason", "date"], [BIDI, "discontinued", ANCHOR, None]]
    return xlsx_bytes(
        {
            "screening": screening,
            "visits": visits,
            "adverse_events": events,
            "disposition": disposition,
            WWW: [["note"], [IMG]],
            IMG: [["note"], [WWW]],
        }
    )


@pytest.fixture(scope="module")
def hostile():
    from medpath.study import load_study

    return load_study([(FILE_NAME, hostile_workbook())], protocol=default_protocol())


@pytest.fixture(scope="module")
def hostile_analysis(hostile):
    from medpath.analysis import analyse

    return analyse(hostile)


def markup_free(markdown: str) -> bool:
    """Whether CommonMark and GFM make nothing of ``markdown`` but text: once backslash escapes are taken out, no
    "[", "]", "<" or ">" is left (every link, image and HTML needs one), and no autolink forms."""
    shown = rendered_text(markdown)
    bare = re.sub(r"\\.", "", markdown)
    return not re.search(r"[\[\]<>]", bare) and not GFM_URL.search(shown) and not GFM_EMAIL.search(shown)


def plotly_shows(text: str) -> str:
    """What plotly draws for its pseudo-HTML ``text``: tags dropped, then the entities it knows decoded."""
    entities = {"amp": "&", "lt": "<", "gt": ">"}
    return re.sub(r"&(amp|lt|gt);", lambda m: entities[m.group(1)], re.sub(r"<[^>]*>", "", text))


@pytest.mark.parametrize("text", [*HOSTILE, FILE_NAME])
def test_each_inert_form_reads_as_typed_and_holds_no_markup(text):
    from medpath.inert import inert_html, inert_plotly

    typed = reveal_controls(text)
    if text not in (JAVASCRIPT, BIDI):
        assert not markup_free(text)  # the raw text is markup: the check below can fail
    markdown = inert_markdown(text)
    assert markup_free(markdown) and rendered_text(markdown).replace(WORD_JOINER, "") == typed
    plotly = inert_plotly(text)
    assert "<" not in plotly and ">" not in plotly and plotly_shows(plotly) == typed
    page = inert_html(text)
    assert not set("<>\"'") & set(page) and html.unescape(page) == typed
    assert not (BIDI_CONTROLS & set(markdown + plotly + page))


def test_plotly_text_keeps_quotes_and_entities_as_typed():
    from medpath.inert import inert_plotly

    assert inert_plotly('say "hi" & <b>') == 'say "hi" &amp; &lt;b&gt;'  # plotly would show &quot; as it is
    assert plotly_shows(inert_plotly("&lt;a&gt; &#60;")) == "&lt;a&gt; &#60;"


def test_characters_xml_cannot_hold_are_shown():
    assert reveal_controls("P\ufffe1\uffff") == "P⟨U+FFFE⟩1⟨U+FFFF⟩"


def _strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    values = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
    return [s for v in values for s in _strings(v)]


def _figures(study, analysis) -> dict:
    from medpath.figures.consort import consort_figure
    from medpath.figures.funnel import funnel_figure
    from medpath.figures.safety import timeline_figure
    from medpath.figures.trajectory import before_after_figure, small_multiples_figure, spaghetti_figure
    from medpath.figures.waterfall import waterfall_figure
    from medpath.secondary import lsc_table

    bmd = analysis.secondary["bmd_g_cm2"]
    lsc = bmd.meta.lsc.value
    ids = list(study.patient_ids)
    visits = study.visits
    many = pd.concat([visits, *(visits[visits["patient_id"] == LINK].assign(patient_id=f"F{i}") for i in range(50))])
    return {
        "timeline": timeline_figure(study.adverse_events, study.visits, ids),
        "waterfall": waterfall_figure(lsc_table(bmd, lsc), lsc, bmd.meta, analysis.followup_month),
        "spaghetti": spaghetti_figure(study.visits, "vas", protocol=study.protocol),
        "change": spaghetti_figure(study.visits, "bmd_tscore", mode="change", protocol=study.protocol),
        "small multiples": small_multiples_figure(study.visits, protocol=study.protocol),
        "many patients": spaghetti_figure(many, "vas", protocol=study.protocol),  # one trace of all, ids in its hover
        "before-after": before_after_figure(analysis.primary["vas"], all_patients=ids),
        "funnel": funnel_figure(analysis.eligibility),
        "consort": consort_figure(analysis.flow),
    }


#: What each figure must show of the hostile study, read as typed: patient ids, adverse-event terms, the reason.
SHOWN = {
    "timeline": [*HOSTILE[:-1], "P⟨U+202E⟩1"],  # ids on the axis and terms beside the markers
    "waterfall": [ANCHOR, IMG, SCRIPT, "P⟨U+202E⟩1"],
    "spaghetti": [ANCHOR, IMG, SCRIPT],
    "change": [ANCHOR, IMG, SCRIPT],
    "small multiples": [ANCHOR, IMG, SCRIPT],
    "many patients": [ANCHOR, IMG, SCRIPT],
    "before-after": [ANCHOR, IMG, SCRIPT],
    "funnel": ["Screened"],
    "consort": ["withdrew: <a href="],  # the withdrawal reason, in its box
}


@pytest.mark.parametrize("name", list(SHOWN))
def test_every_figure_draws_uploaded_text_as_text(name, hostile, hostile_analysis):
    import json

    from medpath.export import stamped

    fig = stamped(_figures(hostile, hostile_analysis)[name], hostile)
    texts = _strings(json.loads(fig.to_json()))
    live = [t for t in texts if LIVE_TAG.search(t) or BIDI_CONTROLS & set(t)]
    assert not live, live
    shown = "\n".join(plotly_shows(t) for t in texts)
    for text in [*SHOWN[name], FILE_NAME]:  # the footer names the file
        assert text in shown, text


def test_the_static_svgs_draw_uploaded_text_as_text(hostile, hostile_analysis):
    import xml.etree.ElementTree as ET

    from medpath.export import stamped
    from medpath.figures.consort import consort_svg
    from medpath.figures.svg import can_draw, figure_svg

    figures = {k: f for k, f in _figures(hostile, hostile_analysis).items() if can_draw(f)}
    assert {"timeline", "waterfall", "spaghetti", "before-after", "many patients"} <= set(figures)
    svgs = {k: figure_svg(stamped(f, hostile), "chart") for k, f in figures.items()}
    svgs["consort"] = consort_svg(hostile_analysis.flow)
    for name, svg in svgs.items():
        root = ET.fromstring(svg)  # well-formed: the text is escaped
        tags = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
        assert not tags & {"a", "img", "script", "foreignObject"}, name
        text = "".join(root.itertext())
        expected = {"consort": ["withdrew: <a"], "funnel": [FILE_NAME], "many patients": [FILE_NAME]}  # no ids drawn
        for shown in expected.get(name, [ANCHOR, FILE_NAME]):
            assert shown in text, (name, shown)  # a patient id, the footer's file name, the withdrawal reason
        assert not BIDI_CONTROLS & set(text), name


def _hyperlinks(package_parts) -> list[str]:
    """Hyperlink relationships, hyperlink markup and fields other than the page numbers in the parts of an Office
    file."""
    found = []
    for part in package_parts:
        found += [r.reltype for r in part.rels.values() if r.reltype.endswith("/hyperlink") or r.is_external]
        blob = getattr(part, "blob", b"")
        found += re.findall(rb"hlinkClick|<w:hyperlink|HYPERLINK", blob)
        instructions = re.findall(rb"<w:instrText[^>]*>([^<]*)<|w:instr=\"([^\"]*)\"", blob)
        found += [b"".join(i) for i in instructions if b"".join(i).strip() not in (b"PAGE", b"NUMPAGES")]
    return found


def test_slides_and_word_tables_write_uploaded_text_as_plain_text(hostile, hostile_analysis):
    from docx import Document
    from pptx import Presentation

    from medpath.slides import build_deck
    from medpath.word_tables import word_tables

    typed = {reveal_controls(pid) for pid in HOSTILE}
    deck = Presentation(io.BytesIO(build_deck(hostile_analysis)))
    names, texts = set(), []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_chart:
                names |= {series.name for plot in shape.chart.plots for series in plot.series}
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
    assert typed <= names  # every patient a series, named as typed
    assert any(reveal_controls(FILE_NAME) in text for text in texts)  # title slide and footers
    assert not _hyperlinks(deck.part.package.iter_parts())

    document = Document(io.BytesIO(word_tables(hostile_analysis)))
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert typed <= cells
    footers = [p.text for section in document.sections for p in section.footer.paragraphs]
    assert any(reveal_controls(FILE_NAME) in text for text in footers)
    assert not _hyperlinks(document.part.package.iter_parts())


def markdown_texts(node) -> list[str]:
    """Every string of an AppTest run that Streamlit renders as Markdown: text elements, alerts and headings, widget,
    expander and tab labels, help, radio options and ``st.table`` cells (not select-box or multiselect options,
    which it draws as plain text)."""
    from streamlit.testing.v1.element_tree import AlertBase, HeadingBase, Markdown, Radio, Table

    if isinstance(node, Table):
        frame = node.value
        return [str(v) for v in [*frame.columns, *frame.index, *frame.to_numpy().ravel()]]
    found = [t for t in (getattr(node, "label", None), getattr(node, "help", None)) if isinstance(t, str)]
    if isinstance(node, (Markdown, AlertBase, HeadingBase)):
        found.append(node.value)
    if isinstance(node, Radio):
        found += node.options
    return found + [t for child in getattr(node, "children", {}).values() for t in markdown_texts(child)]


#: What each page must show of the hostile study through Markdown (inert): the proof that the check saw the data.
ON_PAGE = {
    "pages/overview.py": [FILE_NAME],
    "pages/data.py": [FILE_NAME, LINK, IMAGE, ANCHOR, WWW, IMG],  # yes/no values, visit label, sheet names
    "pages/eligibility.py": [FILE_NAME],
    "pages/trajectories.py": [FILE_NAME],
    "pages/outcomes.py": [FILE_NAME],
    "pages/secondary.py": [FILE_NAME],
    "pages/safety.py": [FILE_NAME, ANCHOR],  # the serious event
}


@pytest.mark.parametrize("page", list(ON_PAGE))
def test_every_page_passes_uploaded_text_to_markdown_inert(page):
    from test_pages import run_page

    at = run_page(page, ((FILE_NAME, hostile_workbook()),))
    texts = markdown_texts(at.main)
    raw = [(h, t) for t in texts for h in (*HOSTILE, FILE_NAME) if h in t]
    assert not raw, raw
    for text in ON_PAGE[page]:
        assert any(inert_markdown(text) in t for t in texts), text
    assert all(markup_free(t) for t in texts if "evil" in t)
