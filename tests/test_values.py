"""Cell values as study teams write them (issue 11, item 5): every rule of ``medpath.pipeline.cells.values``' readers."""

from __future__ import annotations

import datetime as dt

import pytest

from medpath.pipeline.cells.values import (
    BadValue,
    column_unit,
    parse_consent,
    parse_number,
    parse_test,
    parse_yes_no,
    word_reader,
)
from medpath.pipeline.map.schema import schema_of
from medpath.protocol import default_protocol

SCHEMA = schema_of(default_protocol())  # a field's decorations are its protocol's


@pytest.mark.parametrize(
    "field, raw, value, note",
    [
        ("bmd_tscore", "-3,1 SD", -3.1, "'SD' after the number"),
        ("bmd_tscore", "-2.4sd", -2.4, "'sd' after the number"),
        ("age", "62 th", 62.0, "'th' after the number is read as years"),
        ("age", "62 tahun", 62.0, "'tahun' after the number"),
        ("age", "71 Thn", 71.0, "'Thn' after the number"),
        ("vas", "7/10", 7.0, "'/10' after the number is ignored"),
        ("vas", "VAS 6", 6.0, "'VAS' before the number is ignored"),
        ("vas", "8 (berat)", 8.0, "the comment '(berat)' is ignored"),
        ("vas", "65 mm", 6.5, "divided by 10"),
        ("vas", "VAS: 7/10 (sedang)", 7.0, "'(sedang)'"),
        ("bmd_tscore", "\u20132.7", -2.7, "the dash '\u2013' is read as a minus sign"),
        ("rom_deg", "45\u00b0", 45.0, "'\u00b0' after the number"),
    ],
)
def test_decorated_numbers_are_read_with_a_note(field, raw, value, note):
    read, got_note = SCHEMA.number_reader(field)(raw)
    assert read == value and note in got_note


@pytest.mark.parametrize(
    "field, raw, value",
    [
        ("bmd_tscore", "\u22122.7", -2.7),
        ("bmd_tscore", "-2,7", -2.7),
        ("vas", 6, 6.0),
        ("vas", 6.5, 6.5),
        ("vas", " 4 ", 4.0),
        ("age", "", None),
        ("vas", "-", None),
        ("vas", "\u2013", None),
        ("vas", None, None),
        ("vas", float("nan"), None),
    ],
)
def test_plain_numbers_and_missing_need_no_note(field, raw, value):
    assert SCHEMA.number_reader(field)(raw) == (value, None)


@pytest.mark.parametrize(
    "field, raw",
    [
        ("vas", "62 th"),  # a unit of another field
        ("bmd_tscore", "8 (berat)"),  # comments only in VAS
        ("bmd_tscore", "-2.7 (femoral neck)"),
        ("age", "sixty"),
        ("vas", "1,234.5"),
        (None, "2.5 cm"),
        ("vas", "7/10/2026"),
        ("vas", True),
    ],
)
def test_other_text_around_a_number_is_refused(field, raw):
    with pytest.raises(BadValue):
        SCHEMA.number_reader(field)(raw)


def test_a_date_in_a_number_column_names_the_fraction_excel_made_of_it():
    with pytest.raises(BadValue) as info:
        SCHEMA.number_reader("vas")(dt.datetime(2026, 10, 6))
    assert "found a date (06 Oct 2026)" in str(info.value) and "'6/10'" in str(info.value)


def test_parse_number_stays_strict():
    assert parse_number("-2,7") == -2.7
    with pytest.raises(BadValue):
        parse_number("-3,1 SD")  # no field: no decorations


@pytest.mark.parametrize(
    "raw, value, noted",
    [
        ("Reaktif", True, True),
        ("reactive", True, True),
        ("(+)", True, True),
        ("Non Reaktif", False, True),
        ("Non-reaktif", False, True),
        ("NON-REACTIVE", False, True),
        ("NR", False, True),
        ("(-)", False, True),
        ("negative", False, False),
        ("Positif", True, False),
        ("neg", False, False),
        ("no", False, False),
    ],
)
def test_infection_test_words(raw, value, noted):
    read, note = word_reader("test")(raw)
    assert read is value and (note is not None) is noted


def test_nr_says_what_else_it_could_mean():
    assert "not recorded" in word_reader("test")("NR")[1]


@pytest.mark.parametrize("kind", ["yes_no", "test", "consent"])
@pytest.mark.parametrize("raw", ["-", "\u2013", "--"])
def test_a_dash_in_a_yes_no_test_or_consent_cell_is_unknown_with_a_note(kind, raw):
    value, note = word_reader(kind)(raw)
    assert value is None and "read as unknown" in note and "write that" in note


def test_nr_is_a_test_word_only():
    with pytest.raises(BadValue):
        parse_yes_no("NR")  # in a history column NR may mean "not recorded": an error, not a guess
    assert parse_test("NR") is False


@pytest.mark.parametrize(
    "raw, value, noted", [("Ya", True, False), ("Tidak", False, False), ("ada", True, True), ("Tidak ada", False, True)]
)
def test_yes_no_words(raw, value, noted):
    read, note = word_reader("yes_no")(raw)
    assert read is value and (note is not None) is noted


@pytest.mark.parametrize(
    "raw, value",
    [
        ("Sudah TTD", "signed"),
        ("TTD", "signed"),
        ("Setuju", "signed"),
        ("Menolak", "declined"),
        ("Tolak", "declined"),
        ("Belum", "pending"),
        ("Ya", "signed"),
        ("Tidak", "declined"),
    ],
)
def test_indonesian_consent_words_are_read_with_a_note(raw, value):
    read, note = word_reader("consent")(raw)
    assert read == value and note


@pytest.mark.parametrize("raw, value", [("signed", "signed"), ("declined", "declined"), ("pending", "pending")])
def test_plain_consent_needs_no_note(raw, value):
    assert word_reader("consent")(raw) == (value, None)
    assert parse_consent(raw) == value


def test_words_are_read_once_per_distinct_text():
    read = word_reader("test")
    assert read("NR") is not None and read("NR") == read("NR")
    with pytest.raises(BadValue, match="expected a test result"):
        read("maybe")
    with pytest.raises(BadValue):  # the error is remembered too
        read("maybe")


@pytest.mark.parametrize(
    "values, millimetres",
    [
        ([70, 65, 80, 40, 55, 30, 20, 35, 15, 5], True),  # 9 of 10 above 10, all <= 100
        ([7, 6, 8, 4, 5, 3, 2, 3, 11, 5], False),  # one typo 11: not millimetres
        ([7, 11], False),  # too few values above 10
        ([70, 65, 80, 4, 5, 3], False),  # half above 10: not a majority
        ([70, 65, 80, 120], False),  # a value above 100
    ],
)
def test_vas_in_millimetres_is_recognised_from_the_whole_column(values, millimetres):
    rule = column_unit(default_protocol().outcomes["vas"].column_unit, [float(v) for v in values])
    assert (rule is not None) is millimetres
    if rule:
        assert rule.factor == 0.1


def test_a_percent_sign_and_a_unit_with_an_offset_are_read_as_the_protocol_writes_them():
    """Issue 26: ``{after: "%"}`` was accepted but never matched ("8.1 %" was left out); a unit whose scale has another
    zero needs an offset: HbA1c 64 mmol/mol (IFCC) = 0.09148 × 64 + 2.152 = 8.00672 % (NGSP), the IFCC–NGSP master
    equation (Hoelzel et al., Clin Chem 50 (2004) 166–174)."""
    from medpath.pipeline.cells.values import number_reader
    from medpath.protocol import Decoration

    read = number_reader(
        (Decoration("after", "%"), Decoration("after", "mmol/mol", 0.09148, "IFCC mmol/mol converted to NGSP %", 2.152))
    )
    assert read("8.1 %") == (8.1, "'%' after the number is ignored")
    assert read("8,1%")[0] == 8.1
    assert read("64 mmol/mol") == (8.00672, "'mmol/mol' after the number is read as IFCC mmol/mol converted to NGSP %")
    assert read(8.1) == (8.1, None)
    with pytest.raises(BadValue, match="the text 'kg' after it is not a unit MedPath knows here"):
        read("8.1 kg")
