"""Located YAML: the YAML files MedPath reads (a trial's protocol, ``medpath.protocol``; a mapping profile,
``medpath.mapping``) read as PyYAML's composed nodes, which keep their position, so that every problem found in
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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import yaml

#: libyaml's parser when PyYAML was built with it (about 15 times faster), else PyYAML's own; both keep positions.
LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class FileProblem:
    """One problem of a YAML file MedPath reads; ``line`` is None for a problem of the whole file."""

    line: int | None
    message: str


class FileError(ValueError):
    """A YAML file that cannot be used; ``problems`` lists each with its line."""

    def __init__(self, name: str, problems: list[FileProblem]):
        self.name, self.problems = name, list(problems)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [f"{self.name}" + (f", line {p.line}" if p.line else "") + f": {p.message}" for p in self.problems]


def line_of(node: yaml.Node) -> int:
    """The line (from 1) where a node starts."""
    return node.start_mark.line + 1


class YamlFile:
    """One YAML file being read: its name, the error that refuses it, and its problems so far (each once)."""

    def __init__(self, name: str, error: type[FileError] = FileError, loader: Any = LOADER):
        self.name, self.error, self.loader = name, error, loader
        self._problems: dict[FileProblem, None] = {}  # in the order found
        #: turns a scalar node into its value by the tag the composer resolved (int, float, bool, str, null)
        self.constructor = yaml.constructor.SafeConstructor()

    def compose(self, text: str, empty: str) -> yaml.Node:
        """The root node of ``text``. Raises the file's error for a text that is not valid YAML (with the line
        where the parser stopped) and for one that holds nothing (``empty`` is the message)."""
        try:
            root = yaml.compose(text, Loader=self.loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            raise self.error(
                self.name, [FileProblem(mark.line + 1 if mark else None, f"not valid YAML: {problem}")]
            ) from None
        if root is None:
            raise self.error(self.name, [FileProblem(None, empty)])
        return root

    def problem(self, node: yaml.Node | None, message: str) -> None:
        """Record a problem at the line of ``node`` (of the whole file for None); a problem met again is kept once."""
        self._problems.setdefault(FileProblem(None if node is None else line_of(node), message))

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
                child.problem(f"unknown key (expected one of: {', '.join(required + optional)})")
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
            self.problem(f"must be a number (got {value!r})")
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
            self.problem(f"must be one of {', '.join(allowed)} (got {value!r})")
        return value

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
