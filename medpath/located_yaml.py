"""Located YAML: the YAML files MedPath reads (a trial's protocol, ``medpath.protocol``; a mapping profile,
``medpath.pipeline.map.profile``) read as PyYAML's composed nodes, which keep their position, so that every problem found in
a file names its line.

``YamlFile`` composes a text (with libyaml's parser when PyYAML was built with it, unless the caller asks for
PyYAML's own) and collects the problems found while a reader walks its nodes; a text that is not valid YAML is
refused at once, naming the line where the parser stopped. It is safe: the composer builds nodes only (tag, text,
position), never a Python object from a tag, and ``Node`` makes a value with PyYAML's ``SafeConstructor``, which
knows the standard YAML types (text, numbers, true/false, null, dates, ...); a value of any other tag
(``!!python/object``) is a problem of the file, with its line.

Two kinds of readers, one per kind of file:

* ``Node``: a value at its place in a file with a fixed schema (``outcomes[2].bands``, a protocol): a mapping with
  its required and optional keys, a list, a text, a number, a flag, a choice, a list of texts, a pair of numbers;
  a problem is named by the place.
* ``YamlFile.pairs`` and ``YamlFile.written``: a mapping whose keys are the user's own words (a profile's
  headers), with the node of each key, and a value as written; a problem is worded with what the value is for.

Limits, checked before any node is built (``YamlFile.check``): a text larger than ``MAX_BYTES``, values nested
deeper than ``MAX_DEPTH``, more than ``MAX_NODES`` values counting every value an alias repeats (so "a billion
laughs" is refused at its first thousands, not expanded), an alias inside the value it repeats, and, for a file
whose format never needs them (a mapping profile), any alias. They are counted on the parser's events, which
neither build nor recurse; each refusal is a problem with its line, never a ``RecursionError`` or a long wait.
``decode`` and ``read_text`` turn bytes and files into text the same way (a file that is not UTF-8 text is a
problem), and ``FileError`` lists at most ``MAX_PROBLEMS`` problems, then one that counts the rest.
"""

from __future__ import annotations

import codecs
import difflib
import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

#: libyaml's parser when PyYAML was built with it (about 15 times faster), else PyYAML's own; both keep positions.
LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: The largest text read: a mapping profile is a few KB, a bundled protocol 8-11 KB.
MAX_BYTES = 2**20
#: The deepest nesting of lists and mappings (the root mapping is level 1): a profile needs 3, a bundled protocol 6.
MAX_DEPTH = 20
#: The most values (texts, numbers, lists, mappings; an alias counts as every value it repeats): a bundled protocol
#: has about 650, a profile two per column, sheet or value. 10,000 (about 5,000 columns) a profile's reader, PyYAML's
#: own parser in Python, composes in about half a second.
MAX_NODES = 10_000
#: The most problems a ``FileError`` lists; one more problem then counts the others.
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class FileProblem:
    """One problem of a YAML file MedPath reads; ``line`` is None for a problem of the whole file."""

    line: int | None
    message: str


class FileError(ValueError):
    """A YAML file that cannot be used; ``problems`` lists each with its line: the first ``MAX_PROBLEMS``, then (when
    there were more) one problem of the whole file saying how many more and on which lines (``omitted``)."""

    def __init__(self, name: str, problems: list[FileProblem]):
        problems = list(problems)
        self.name, self.problems = name, problems[:MAX_PROBLEMS]
        rest = problems[MAX_PROBLEMS:]
        self.omitted = len(rest)
        if rest:
            lines = [p.line for p in rest if p.line is not None]
            where = ""
            if lines:
                low, high = min(lines), max(lines)
                where = f" on line {low:,}" if low == high else f" on lines {low:,} to {high:,}"
            self.problems.append(
                FileProblem(
                    None,
                    f"… and {len(rest):,} more problem{'s' if len(rest) > 1 else ''}{where}, not listed "
                    f"(only the first {MAX_PROBLEMS} are)",
                )
            )
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.name}" + (f", line {p.line}" if p.line else "") + f": {p.message}" for p in self.problems]


def did_you_mean(text: str, choices: Sequence[str]) -> str:
    """`` (did you mean 'outcomes'?)`` when ``text`` is close to one of ``choices`` (difflib's ratio at least 0.6,
    case ignored), else nothing: a message's hint for a misspelt name."""
    match = difflib.get_close_matches(text.lower(), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


#: The YAML parser's words for the mistakes people make most, in plain words (the parser's stay in brackets).
PARSER_WORDS = {
    "mapping values are not allowed": "a value holds ': ' — put the value in quotes (title: \"Phase 2: pilot\")",
    "found character '\\t' that cannot start any token": "a tab — indent with spaces",
    "found a tab character": "a tab — indent with spaces",
    "could not find expected ':'": "a line has no 'name: value' (a ':' is missing, or a quote is not closed)",
    "did not find expected key": "a line is indented unlike the lines around it, or a quote or bracket is not closed",
    "did not find expected node content": "a value is missing, or a bracket is not closed",
    "found unexpected end of stream": "the file ends inside a quote or a bracket",
    "did not find expected ',' or ']'": "a list in brackets is not closed with ']'",
    "did not find expected ',' or '}'": "a mapping in braces is not closed with '}'",
}

#: A number written with a decimal comma ("2,5"), which YAML reads as text.
DECIMAL_COMMA = re.compile(r"[-+−]?\d+,\d+")


def plain_parser_problem(problem: str) -> str:
    """The parser's ``problem`` in plain words when it is a common mistake, with the parser's own words after."""
    plain = next((words for start, words in PARSER_WORDS.items() if problem.startswith(start)), None)
    return f"{plain} (the parser: {problem})" if plain else problem


def line_of(node: yaml.Node) -> int:
    """The line (from 1) where a node starts."""
    return node.start_mark.line + 1


def _pure(loader: type) -> bool:
    """Whether ``loader`` is one of PyYAML's own, written in Python (not libyaml's)."""
    return issubclass(loader, yaml.parser.Parser)


def nested_too_deep(line: int | None, kind: str) -> FileProblem:
    """The problem of a text whose lists and mappings nest deeper than ``MAX_DEPTH`` at ``line``."""
    return FileProblem(
        line, f"lists and mappings are nested more than {MAX_DEPTH} levels deep here; a {kind} needs a few"
    )


def _too_large(kind: str) -> FileProblem:
    return FileProblem(None, f"the file is larger than {MAX_BYTES / 2**20:g} MiB; a {kind} is a small text file")


def decode(
    data: bytes, name: str, error: type[FileError] = FileError, kind: str = "YAML file", formats: str = "YAML"
) -> str:
    """The text of a file's bytes (UTF-8, with or without a byte-order mark); the file's error for one larger than
    ``MAX_BYTES`` and for one that is not UTF-8 text (a binary file, a text saved as UTF-16), naming the line of the
    first byte that cannot be read. ``kind`` names the file ("mapping profile"), ``formats`` what it is written in."""
    if len(data) > MAX_BYTES:
        raise error(name, [_too_large(kind)])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        expected = f"not a text file (expected {formats} in UTF-8)"
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            problem = FileProblem(None, f"{expected}: it starts as a UTF-16 text does; save it as UTF-8")
        else:
            line = data.count(b"\n", 0, exc.start) + 1
            problem = FileProblem(line, f"{expected}: the byte 0x{data[exc.start]:02x} is not UTF-8")
        raise error(name, [problem]) from None


def read_text(path: str | Path, error: type[FileError] = FileError, kind: str = "YAML file") -> str:
    """The text of the file at ``path`` as ``decode`` reads it (the file's name names it), reading no more than
    ``MAX_BYTES`` and one byte. ``OSError`` for a file that cannot be opened."""
    path = Path(path)
    with path.open("rb") as stream:
        return decode(stream.read(MAX_BYTES + 1), path.name, error, kind)


class _Limits:
    """Checks a text's parser events, in order, against ``MAX_DEPTH`` and ``MAX_NODES`` (an alias counted as the
    values it repeats, so the expansion is bounded without expanding anything) and refuses an alias inside the
    value it repeats and, for a file that takes none, any alias. Counts only: nothing is built, nothing recurses."""

    def __init__(self, file: YamlFile):
        self.file = file
        self.nodes = 0  # values so far, aliases expanded
        #: per open list or mapping: [anchor, values before it, its depth, the deepest level reached inside it]
        self.open: list[list[Any]] = []
        self.sizes: dict[str, tuple[int, int]] = {}  # anchor -> (values, levels of nesting in them)

    def refuse(self, event: yaml.Event, message: str) -> None:
        raise self.file.error(self.file.name, [FileProblem(event.start_mark.line + 1, message)])

    def add(self, event: yaml.Event, nodes: int, levels: int) -> None:
        """Count ``nodes`` values nesting ``levels`` deep below the current level."""
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            self.refuse(
                event,
                f"the file holds more than {MAX_NODES:,} values (each value an alias repeats counted again); "
                f"a {self.file.kind} holds far fewer",
            )
        depth = len(self.open) + levels
        if depth > MAX_DEPTH:
            raise self.file.error(self.file.name, [nested_too_deep(event.start_mark.line + 1, self.file.kind)])
        if self.open and depth > self.open[-1][3]:
            self.open[-1][3] = depth

    def see(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.AliasEvent):
            name = f"{event.anchor[:40]}{'…' if len(event.anchor) > 40 else ''}"
            if not self.file.aliases:
                self.refuse(
                    event,
                    f"'*{name}' repeats the value marked '&{name}': a {self.file.kind} does not use YAML "
                    "aliases; write the value out",
                )
            if any(entry[0] == event.anchor for entry in self.open):
                self.refuse(event, f"'*{name}' is inside the value marked '&{name}' that it repeats")
            self.add(event, *self.sizes.get(event.anchor, (1, 0)))  # an undefined one: the composer says so
        elif isinstance(event, yaml.ScalarEvent):
            self.add(event, 1, 0)
            if event.anchor is not None:
                self.sizes[event.anchor] = (1, 0)
        elif isinstance(event, yaml.CollectionStartEvent):
            self.add(event, 1, 1)
            self.open.append([event.anchor, self.nodes - 1, len(self.open) + 1, len(self.open) + 1])
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, before, depth, deepest = self.open.pop()
            if anchor is not None:
                self.sizes[anchor] = (self.nodes - before, deepest - depth + 1)
            if self.open and deepest > self.open[-1][3]:
                self.open[-1][3] = deepest


@functools.cache
def _guarded(loader: type) -> type:
    """``loader`` (one of PyYAML's own, written in Python) checking each event it composes with ``_Limits``: the
    check of a text that libyaml's parser stopped reading early (a text only PyYAML reads) goes on here."""

    class Guarded(loader):
        limits: _Limits

        def get_event(self) -> yaml.Event:
            event = super().get_event()
            self.limits.see(event)
            return event

    return Guarded


class YamlFile:
    """One YAML file being read: its name, the error that refuses it, and its problems so far (each once).
    ``kind`` names the file in a refusal ("a mapping profile is a small text file"); ``aliases=False`` refuses
    any YAML alias (``*name``) in it."""

    def __init__(
        self,
        name: str,
        error: type[FileError] = FileError,
        loader: Any = LOADER,
        *,
        kind: str = "YAML file",
        aliases: bool = True,
    ):
        self.name, self.error, self.loader, self.kind, self.aliases = name, error, loader, kind, aliases
        self._problems: dict[FileProblem, None] = {}  # in the order found
        self._checked: str | None = None  # the text ``check`` last passed
        #: turns a scalar node into its value by the tag the composer resolved (int, float, bool, str, null)
        self.constructor = yaml.constructor.SafeConstructor()

    def check(self, text: str) -> None:
        """Raise the file's error, naming the line, for a text larger than ``MAX_BYTES``, nested deeper than
        ``MAX_DEPTH``, holding more than ``MAX_NODES`` values (aliases expanded) or with an alias it may not have.
        Reads the parser's events only (libyaml's when there is one, whatever the file's loader: a refusal takes
        milliseconds); a text that is not valid YAML is left to ``compose``, which names where the parser stops."""
        if text is self._checked:
            return
        self._check_size(text)
        limits = _Limits(self)
        try:
            for event in yaml.parse(text, Loader=LOADER):
                limits.see(event)
        except yaml.YAMLError:
            pass
        self._checked = text

    def _check_size(self, text: str) -> None:
        if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise self.error(self.name, [_too_large(self.kind)])

    def compose(self, text: str, empty: str) -> yaml.Node:
        """The root node of ``text``, after ``check``. Raises the file's error for a text that is not valid YAML
        (with the line where the parser stopped), for one beyond the limits and for one that holds nothing
        (``empty`` is the message)."""
        if _pure(LOADER):  # no libyaml: the loader is PyYAML's own and checks the events as it composes them
            self._check_size(text)
        else:
            self.check(text)
        try:
            if _pure(self.loader):
                loader = _guarded(self.loader)(text)
                loader.limits = _Limits(self)
            else:
                loader = self.loader(text)
            try:
                root = loader.get_single_node()
            finally:
                loader.dispose()
        except yaml.reader.ReaderError as exc:  # a character no YAML text has: NUL, other control characters
            line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
            what = f"the character #x{exc.character:04x}" if isinstance(exc.character, int) else "a character"
            raise self.error(
                self.name, [FileProblem(line, f"not a text file: {what} cannot be in a YAML file ({exc.reason})")]
            ) from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            raise self.error(
                self.name,
                [FileProblem(mark.line + 1 if mark else None, f"not valid YAML: {plain_parser_problem(problem)}")],
            ) from None
        except (RecursionError, MemoryError):  # the limits make these unreachable; kept as problems all the same
            raise self.error(
                self.name, [FileProblem(None, f"the file is too deeply nested or too large to read as a {self.kind}")]
            ) from None
        if root is None:
            raise self.error(self.name, [FileProblem(None, empty)])
        return root

    def problem(self, node: yaml.Node | None, message: str) -> None:
        """Record a problem at the line of ``node`` (of the whole file for None); a problem met again is kept once."""
        self._problems.setdefault(FileProblem(None if node is None else line_of(node), message))

    @property
    def full(self) -> bool:
        """Whether the file has as many problems as a ``FileError`` lists: a reader may word later ones briefly."""
        return len(self._problems) >= MAX_PROBLEMS

    @property
    def problems(self) -> list[FileProblem]:
        """The problems in the order they were found."""
        return list(self._problems)

    def pairs(self, node: yaml.Node, what: str) -> list[tuple[str, yaml.Node, yaml.Node]]:
        """The (key text, key node, value node) of a mapping whose keys are the user's words (an empty value is an
        empty mapping); a problem for anything else, for a key that is not a text, and for a key given twice (the
        first one is kept). ``what`` names the mapping in a problem ("columns")."""
        if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null") and node.tag.endswith("null"):
            return []
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"{what} must be a mapping of 'name: value' lines")
            return []
        out: list[tuple[str, yaml.Node, yaml.Node]] = []
        seen: dict[str, int] = {}
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                self.problem(key, f"a key in {what} must be a plain text")
                continue
            text = key.value.strip()
            if text in seen:
                self.problem(key, f"'{text}' is given twice in {what} (first on line {seen[text]})")
                continue
            seen[text] = line_of(key)
            out.append((text, key, value))
        return out

    def written(self, node: yaml.Node, what: str) -> str | None:
        """A single value as written (a YAML word such as ``no`` stays a text), or None with a problem."""
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, f"{what} must be a single value, not a list or mapping")
            return None
        return node.value.strip()


#: ``Node._value``'s answer for a value it could not read (its problem already recorded).
_UNREAD = object()


class Node:
    """A value of a file with a fixed schema at its place (``where``: "outcomes[2].bands", "" for the root). Each
    reader checks the kind of the value; when it is wrong it records a problem named by the place and returns a
    stand-in (empty, NaN, False), so that one reading lists every problem of the file."""

    def __init__(self, node: yaml.Node, file: YamlFile, where: str = ""):
        self.node, self.file, self.where = node, file, where

    @property
    def line(self) -> int:
        return line_of(self.node)

    def problem(self, message: str) -> None:
        self.file.problem(self.node, f"{self.where}: {message}" if self.where else message)

    def mapping(self, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, Node]:
        """The values by key; a problem for a key given twice (the last one is kept), an unknown key and a required
        key that is missing."""
        if not isinstance(self.node, yaml.MappingNode):
            self.problem("must be a mapping of 'name: value' lines")
            return {}
        out: dict[str, Node] = {}
        for key, value in self.node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else str(key)
            child = Node(value, self.file, f"{self.where}.{name}" if self.where else name)
            if name in out:
                child.problem("is given twice")
            elif name not in required + optional:
                child.problem(
                    f"unknown key{did_you_mean(name, required + optional)} (expected one of: {', '.join(required + optional)})"
                )
            out[name] = child
        for name in required:
            if name not in out:
                self.problem(f"'{name}' is missing")
        return out

    def items(self) -> list[Node]:
        if not isinstance(self.node, yaml.SequenceNode):
            self.problem("must be a list ('- ' lines)")
            return []
        return [Node(v, self.file, f"{self.where}[{i + 1}]") for i, v in enumerate(self.node.value)]

    def _value(self) -> object:
        """The scalar's value, or ``_UNREAD`` after a problem saying why there is none."""
        if not isinstance(self.node, yaml.ScalarNode):
            self.problem("must be a single value")
            return _UNREAD
        try:
            return self.file.constructor.construct_object(self.node)
        except (yaml.YAMLError, ValueError, OverflowError):  # a tag of no standard type; a date that is none
            self.problem(f"cannot be read as a value ({self.node.tag} {self.node.value!r})")
            return _UNREAD

    def text(self) -> str:
        value = self._value()
        if value is _UNREAD:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.problem(f"must be text (got {value!r})")
            return ""
        return value.strip()

    def number(self) -> float:
        value = self._value()
        if value is _UNREAD:
            return math.nan
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            written = value.strip() if isinstance(value, str) else ""
            hint = f": write a decimal point, {written.replace(',', '.')}" if DECIMAL_COMMA.fullmatch(written) else ""
            self.problem(f"must be a number (got {value!r}){hint}")
            return math.nan
        return float(value)

    def flag(self) -> bool:
        value = self._value()
        if value is _UNREAD:
            return False
        if not isinstance(value, bool):
            self.problem(f"must be true or false (got {value!r})")
            return False
        return value

    def choice(self, allowed: tuple[str, ...]) -> str:
        value = self.text()
        if value and value not in allowed:
            self.problem(f"must be one of {', '.join(allowed)} (got {value!r}){did_you_mean(value, allowed)}")
        return value

    def word(self, words: Mapping[str, object]) -> object:
        """The value of a scalar written as one of ``words`` (its text as written, case ignored, so that 'yes' is a
        word here, not YAML's true), or None after a problem naming the words."""
        if not isinstance(self.node, yaml.ScalarNode):
            self.problem("must be a single value")
            return None
        written = str(self.node.value).strip().lower()
        if written not in words:
            self.problem(
                f"must be one of {', '.join(words)} (got {self.node.value!r}){did_you_mean(written, list(words))}"
            )
            return None
        return words[written]

    def texts(self) -> tuple[str, ...]:
        return tuple(item.text() for item in self.items())

    def pair(self) -> tuple[float, float]:
        """A range ``[low, high]``, low below high."""
        items = self.items()
        if len(items) != 2:
            self.problem("must be a list of two numbers [low, high]")
            return (math.nan, math.nan)
        low, high = items[0].number(), items[1].number()
        if low >= high:
            self.problem(f"the low end {low:g} must be below the high end {high:g}")
        return (low, high)
