"""Located YAML (medpath.located_yaml): the reader of protocol files and mapping profiles, every problem with its
line."""

from __future__ import annotations

import math

import pytest
import yaml

from medpath.located_yaml import FileError, FileProblem, Node, YamlFile, line_of

TRIAL = """\
id: T1
title: A trial
colour: blue
target_n: 12
target_n: 13
range: [5, 1]
"""


def _read_trial() -> tuple[dict[str, Node], YamlFile]:
    file = YamlFile("t.yaml")
    root = Node(file.compose(TRIAL, "empty"), file).mapping(("id", "title", "target_n", "site"), ("range",))
    return root, file


def test_a_schema_reading_names_the_place_and_line_of_each_problem():
    root, file = _read_trial()
    assert root["range"].pair() == (5.0, 1.0)
    assert file.problems == [
        FileProblem(3, "colour: unknown key (expected one of: id, title, target_n, site, range)"),
        FileProblem(5, "target_n: is given twice"),
        FileProblem(1, "'site' is missing"),  # a problem of the whole file: no place before it
        FileProblem(6, "range: the low end 5 must be below the high end 1"),
    ]


def test_the_last_of_a_key_given_twice_is_read_and_values_are_typed():
    root, file = _read_trial()
    assert root["target_n"].number() == 13.0 and root["id"].text() == "T1"
    assert math.isnan(root["title"].number())
    assert file.problems[-1] == FileProblem(2, "title: must be a number (got 'A trial')")


def test_a_problem_met_twice_is_kept_once():
    file = YamlFile("t.yaml")
    node = Node(file.compose("a: 1\nb:\n  c: 2\n", "empty"), file).mapping(("a", "b"))["b"]
    assert node.items() == [] and node.texts() == ()
    assert file.problems == [FileProblem(3, "b: must be a list ('- ' lines)")]


def test_a_list_names_each_item_by_its_position():
    file = YamlFile("t.yaml")
    items = Node(file.compose("aliases:\n  - one\n  - [two]\n  - 3\n", "empty"), file).mapping(("aliases",))
    assert items["aliases"].texts() == ("one", "", "")
    assert file.problems == [
        FileProblem(3, "aliases[2]: must be a single value"),  # one problem, not a second "must be text"
        FileProblem(4, "aliases[3]: must be text (got 3)"),
    ]


def test_a_value_of_no_standard_type_is_a_problem_with_its_line_not_an_exception():
    """A Python tag (which ``yaml.unsafe_load`` would run) or a date that does not exist: a problem naming the
    tag and the text, one per value, and the reader's stand-in value."""
    file = YamlFile("t.yaml")
    root = Node(file.compose("id: x\nsite: !!python/object/apply:os.system ls\nsize: 2020-13-45\n", "empty"), file)
    values = root.mapping(("id", "site", "size"))
    assert values["site"].text() == "" and math.isnan(values["size"].number())
    assert file.problems == [
        FileProblem(2, "site: cannot be read as a value (tag:yaml.org,2002:python/object/apply:os.system 'ls')"),
        FileProblem(3, "size: cannot be read as a value (tag:yaml.org,2002:timestamp '2020-13-45')"),
    ]


class Refused(FileError):
    """The error a caller gives its file."""


def test_invalid_yaml_is_refused_with_the_line_where_the_parser_stopped():
    with pytest.raises(Refused) as caught:
        YamlFile("p.yaml", Refused).compose("id: X\ntitle: [unclosed\nsite: y\n", "empty")
    [problem] = caught.value.problems
    assert problem.line == 3 and problem.message.startswith("not valid YAML: ")
    assert str(caught.value).startswith("p.yaml, line 3: not valid YAML: ")


def test_an_empty_text_is_refused_as_a_whole():
    with pytest.raises(FileError) as caught:
        YamlFile("p.yaml").compose("# only a comment\n", "the file is empty")
    assert caught.value.problems == [FileProblem(None, "the file is empty")]
    assert caught.value.lines() == ["p.yaml: the file is empty"]


def test_pairs_keep_the_first_of_a_key_given_twice_and_the_line_of_each_key():
    file = YamlFile("m.yaml")
    root = file.compose("columns:\n  Usia: age\n  ? [a, b]\n  : x\n  ' Usia ': sex\n  Umur: [age]\n", "empty")
    [(section, _, columns)] = file.pairs(root, "the profile")
    pairs = file.pairs(columns, "columns")
    assert section == "columns" and [(key, line_of(node)) for key, node, _ in pairs] == [("Usia", 2), ("Umur", 6)]
    assert [file.written(value, f"the field of column '{key}'") for key, _, value in pairs] == ["age", None]
    assert file.problems == [
        FileProblem(3, "a key in columns must be a plain text"),
        FileProblem(5, "'Usia' is given twice in columns (first on line 2)"),
        FileProblem(6, "the field of column 'Umur' must be a single value, not a list or mapping"),
    ]


def test_an_empty_section_is_an_empty_mapping_and_a_list_is_not():
    file = YamlFile("m.yaml")
    root = file.compose("values:\nsheets:\n  - Data\n", "empty")
    [(_, _, values), (_, _, sheets)] = file.pairs(root, "the profile")
    assert file.pairs(values, "values") == [] and file.pairs(sheets, "sheets") == []
    assert file.problems == [FileProblem(3, "sheets must be a mapping of 'name: value' lines")]


def test_a_value_as_written_stays_text_where_a_schema_reads_its_yaml_type():
    file = YamlFile("m.yaml")
    text = "enrolled: no\nrun: !!python/object/apply:os.system exit 3\n"
    [(_, _, enrolled), (_, _, run)] = file.pairs(file.compose(text, "empty"), "values")
    assert file.written(enrolled, "x") == "no" and file.written(run, "x") == "exit 3"
    assert Node(enrolled, file).flag() is False and file.problems == []


def test_the_composer_builds_no_python_object_from_a_tag():
    root = YamlFile("m.yaml").compose("a: !!python/object/apply:os.system ['exit 3']\n", "empty")
    [(_, value)] = root.value
    assert isinstance(value, yaml.SequenceNode) and value.tag == "tag:yaml.org,2002:python/object/apply:os.system"
    assert [item.value for item in value.value] == ["exit 3"]
