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


# --- limits: checked on the parser's events before any node is built -------------------------------------------

import time  # noqa: E402

from medpath import located_yaml  # noqa: E402
from medpath.located_yaml import LOADER, MAX_BYTES, MAX_NODES, MAX_PROBLEMS, decode, read_text  # noqa: E402

#: libyaml's loader (checked with its own events) and PyYAML's (checked with libyaml's, then as it composes)
LOADERS = pytest.mark.parametrize("loader", [LOADER, yaml.SafeLoader], ids=["libyaml", "pyyaml"])
DEEP = "a: 1\nb:\n  " + "- " * 10_000 + "x\n"  # a list in a list ... 10,000 levels on one line of 20 KB
LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 10)}]\n" for a, b in zip("abcdefgh", "bcdefghi")
)  # 'i' would be 10^9 values: "a billion laughs"


def _refusal(text: str, loader=LOADER, **options) -> FileProblem:
    """The one problem that refuses ``text``, which must take under a second."""
    started = time.perf_counter()
    with pytest.raises(FileError) as caught:
        YamlFile("x.yaml", loader=loader, **options).compose(text, "empty")
    assert time.perf_counter() - started < 1.0
    [problem] = caught.value.problems
    return problem


@LOADERS
def test_a_text_nested_10000_levels_deep_is_refused_at_the_21st_level_with_its_line(loader):
    assert _refusal(DEEP, loader) == FileProblem(
        3, "lists and mappings are nested more than 20 levels deep here; a YAML file needs a few"
    )
    block = "".join(" " * i + f"k{i}:\n" for i in range(30))  # mappings by indentation: level 21 is line 21
    assert _refusal(block, loader, kind="protocol") == FileProblem(
        21, "lists and mappings are nested more than 20 levels deep here; a protocol needs a few"
    )


@LOADERS
def test_twenty_levels_are_read(loader):
    root = YamlFile("x.yaml", loader=loader).compose("[" * 20 + "deep" + "]" * 20, "empty")
    for _ in range(19):
        [root] = root.value
    assert [item.value for item in root.value] == ["deep"]


def test_a_run_of_brackets_libyaml_gives_up_on_is_still_refused_by_depth_not_recursion():
    """libyaml reads ahead through 10,000 '[' and stops at its own limit before any event; PyYAML's own loader
    then checks the events as it composes them."""
    assert _refusal("a: " + "[" * 10_000 + "]" * 10_000, yaml.SafeLoader).line == 1
    assert "nested more than 20 levels" in _refusal("a: " + "[" * 10_000 + "]" * 10_000, yaml.SafeLoader).message
    problem = _refusal("a: " + "[" * 10_000 + "]" * 10_000, LOADER)  # libyaml's loader: libyaml's own refusal
    assert problem == FileProblem(1, "not valid YAML: exceeded maximum nesting depth")


def test_without_libyaml_the_composer_checks_the_limits_itself(monkeypatch):
    monkeypatch.setattr(located_yaml, "LOADER", yaml.SafeLoader)
    assert _refusal(DEEP, yaml.SafeLoader).line == 3
    assert _refusal(LAUGHS, yaml.SafeLoader).line == 4
    assert _refusal("a: &x [1]\nb: *x\n", yaml.SafeLoader, aliases=False).line == 2


@LOADERS
def test_a_billion_laughs_is_refused_when_the_values_aliases_repeat_pass_the_limit(loader):
    # a: 11 values, b: 1 + 10 x 11 = 111, c: 1,111, d: 11,111: its 8th alias passes 10,000
    assert _refusal(LAUGHS, loader) == FileProblem(
        4,
        f"the file holds more than {MAX_NODES:,} values (each value an alias repeats counted again); "
        "a YAML file holds far fewer",
    )


@LOADERS
def test_an_alias_within_the_limits_is_read_as_the_value_it_repeats(loader):
    root = YamlFile("x.yaml", loader=loader).compose("a: &x [one, two]\nb: *x\n", "empty")
    [(_, a), (_, b)] = root.value
    assert b is a and [item.value for item in b.value] == ["one", "two"]


@LOADERS
def test_an_alias_counts_the_levels_of_the_value_it_repeats(loader):
    deep = "a: &a " + "[" * 15 + "]" * 15 + "\nb: [[[[[[*a]]]]]]\n"  # 1 + 6 + 15 = level 22
    assert _refusal(deep, loader).line == 2
    YamlFile("x.yaml", loader=loader).compose(deep.replace("[[[[[[*a]]]]]]", "[[[[*a]]]]"), "empty")  # level 20


@LOADERS
def test_an_alias_inside_the_value_it_repeats_is_refused(loader):
    """The composer would make a list that holds itself: anything that walks it would never end."""
    assert _refusal("a: 1\nb: &r [x, [y, *r]]\n", loader) == FileProblem(
        2, "'*r' is inside the value marked '&r' that it repeats"
    )


@LOADERS
def test_a_file_that_takes_no_alias_refuses_one_with_its_line_and_keeps_its_anchors(loader):
    assert _refusal("a: &x {k: 1}\nb: 2\nc: *x\n", loader, aliases=False, kind="mapping profile") == FileProblem(
        3, "'*x' repeats the value marked '&x': a mapping profile does not use YAML aliases; write the value out"
    )
    root = YamlFile("x.yaml", loader=loader, aliases=False).compose("a: &x {k: 1}\n", "empty")
    assert root.value[0][1].value[0][0].value == "k"


@LOADERS
def test_a_text_larger_than_the_limit_is_refused_unread(loader):
    at_limit = "# " + "x" * (MAX_BYTES - 3) + "\n"
    assert len(at_limit.encode()) == MAX_BYTES
    with pytest.raises(FileError) as caught:  # read: a file of one comment is empty
        YamlFile("x.yaml", loader=loader).compose(at_limit, "the file is empty")
    assert caught.value.problems == [FileProblem(None, "the file is empty")]
    over = at_limit.replace("x", "é", 1)  # one character more in UTF-8, not in length
    assert len(over) == MAX_BYTES < len(over.encode())
    assert _refusal(over, loader, kind="protocol") == FileProblem(
        None, "the file is larger than 1 MiB; a protocol is a small text file"
    )


@LOADERS
def test_a_character_no_yaml_text_has_is_a_problem_with_its_line(loader):
    problem = _refusal("a: 1\nb: x\x00y\n", loader)
    assert problem.line == 2 and problem.message.startswith("not a text file: the character #x0000 cannot be in")


def test_decode_reads_utf8_and_names_the_first_byte_that_is_not():
    assert decode("\ufeffa: é\n".encode(), "p.yaml") == "a: é\n"
    with pytest.raises(FileError) as caught:
        decode(b"a: 1\nb: 2\nc: \x89PNG\n", "p.yaml", kind="protocol")
    assert caught.value.problems == [
        FileProblem(3, "not a text file (expected YAML in UTF-8): the byte 0x89 is not UTF-8")
    ]
    with pytest.raises(FileError) as caught:
        decode("a: 1\n".encode("utf-16"), "p.yaml", formats="YAML or JSON")
    assert caught.value.problems == [
        FileProblem(
            None, "not a text file (expected YAML or JSON in UTF-8): it starts as a UTF-16 text does; save it as UTF-8"
        )
    ]
    with pytest.raises(FileError) as caught:
        decode(b"#" * (MAX_BYTES + 1), "p.yaml", kind="mapping profile")
    assert caught.value.problems == [
        FileProblem(None, "the file is larger than 1 MiB; a mapping profile is a small text file")
    ]


def test_read_text_refuses_a_large_or_binary_file_naming_it(tmp_path):
    (tmp_path / "big.yaml").write_bytes(b"a: 1\n" + b"#" * MAX_BYTES)
    (tmp_path / "bin.yaml").write_bytes(bytes(range(256)))
    (tmp_path / "ok.yaml").write_bytes(b"a: 1\r\n")
    with pytest.raises(Refused) as caught:
        read_text(tmp_path / "big.yaml", Refused)
    assert caught.value.lines() == ["big.yaml: the file is larger than 1 MiB; a YAML file is a small text file"]
    with pytest.raises(Refused) as caught:
        read_text(tmp_path / "bin.yaml", Refused)
    assert caught.value.lines() == [
        "bin.yaml, line 2: not a text file (expected YAML in UTF-8): the byte 0x80 is not UTF-8"
    ]
    assert read_text(tmp_path / "ok.yaml") == "a: 1\r\n"


def test_a_file_error_lists_the_first_problems_then_counts_the_others():
    problems = [FileProblem(n, f"problem {n}") for n in range(1, 121)]
    error = FileError("p.yaml", problems)
    assert error.problems[:MAX_PROBLEMS] == problems[:MAX_PROBLEMS] and len(error.problems) == MAX_PROBLEMS + 1
    assert error.problems[-1] == FileProblem(
        None, "… and 70 more problems on lines 51 to 120, not listed (only the first 50 are)"
    )
    assert error.omitted == 70 and len(str(error).splitlines()) == 51
    assert error.lines()[-1] == "p.yaml: … and 70 more problems on lines 51 to 120, not listed (only the first 50 are)"
    assert FileError("p.yaml", problems[:50]).problems == problems[:50]
    assert FileError("p.yaml", problems[:51]).problems[-1].message == (
        "… and 1 more problem on line 51, not listed (only the first 50 are)"
    )


def test_a_protocol_file_that_is_binary_or_too_deep_is_refused_by_the_command_line(tmp_path, capsys):
    from medpath.cli import main

    (tmp_path / "bin.yaml").write_bytes(b"id: X\n" + bytes(range(128, 256)))
    (tmp_path / "deep.yaml").write_text("id: X\nconventions:\n  " + "- " * 10_000 + "x\n")
    (tmp_path / "lol.yaml").write_text("id: X\n" + LAUGHS)
    for name, expected in [
        ("bin.yaml", "bin.yaml, line 2: not a text file (expected YAML in UTF-8): the byte 0x80 is not UTF-8"),
        ("deep.yaml", "deep.yaml, line 3: lists and mappings are nested more than 20 levels deep here; a protocol"),
        ("lol.yaml", "lol.yaml, line 5: the file holds more than 10,000 values"),
    ]:
        assert main(["validate", "--sample", "--protocol", str(tmp_path / name)]) == 2
        captured = capsys.readouterr()
        assert captured.err.startswith(f"ERROR: {expected}") and "Traceback" not in captured.err + captured.out


def test_common_mistakes_get_plain_words_and_a_hint():
    """Issue 26: a "did you mean" for a misspelt key or choice, a decimal-comma hint, and the parser's wording for the
    common mistakes put in plain words (its own words kept in brackets)."""
    file = YamlFile("t.yaml")
    root = Node(file.compose("outcome: x\nn: 2,5\nkind: at_mots\n", "empty"), file).mapping(
        (), ("outcomes", "n", "kind")
    )
    assert math.isnan(root["n"].number())
    assert root["kind"].choice(("at_most", "at_least")) == "at_mots"
    assert file.problems == [
        FileProblem(1, "outcome: unknown key (did you mean 'outcomes'?) (expected one of: outcomes, n, kind)"),
        FileProblem(2, "n: must be a number (got '2,5'): write a decimal point, 2.5"),
        FileProblem(3, "kind: must be one of at_most, at_least (got 'at_mots') (did you mean 'at_most'?)"),
    ]
    for text, line, words in [
        ("title: Phase 2: pilot\n", 1, "a value holds ': ' — put the value in quotes"),
        ("a: 1\n\tb: 2\n", 2, "a tab — indent with spaces"),
        ("a: [1, 2\n", 2, "a list in brackets is not closed with ']'"),
        ('a: "1\n', 2, "the file ends inside a quote or a bracket"),
    ]:
        with pytest.raises(FileError) as caught:
            YamlFile("p.yaml").compose(text, "empty")
        (problem,) = caught.value.problems
        assert problem.line == line and problem.message.startswith(f"not valid YAML: {words}"), problem
        assert "(the parser: " in problem.message
