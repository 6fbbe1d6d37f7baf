"""The protocols a MedPath installation offers: the bundled ones (``medpath/protocols``) and a team's own folder of
protocol files, each file loaded on its own.

A file that cannot be used is listed with its problems (``BrokenProtocol``) and every other protocol works. Ids are
unique and one protocol at most says ``default: true``: a file whose id another file already has, or that says
``default: true`` after another did, is listed as broken, its problem naming the other file. Files are taken in a
fixed order, the bundled folder first and then the team's folder, each by file name, so the same folder always gives
the same library. Without a usable default the first protocol is the default.

The team's folder is the caller's argument (the dashboard and the CLI read it from the ``MEDPATH_PROTOCOLS``
environment variable, the CLI also from ``--protocols``): nothing here reads the environment. A folder is listed on
every call and its files are parsed again only when one was added, removed or changed (name, size, time), so a
protocol added to the folder is offered without restarting the server.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from medpath.located_yaml import FileProblem, decode
from medpath.protocol import Protocol, ProtocolError, bundled_folder, load_protocol, parse_protocol

#: The environment variable that names a team's folder of protocol files (read by the dashboard and the CLI).
PROTOCOLS_VARIABLE = "MEDPATH_PROTOCOLS"
#: Files of a folder that are protocols.
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class BrokenProtocol:
    """A protocol file that cannot be used, with each problem as a line naming the file (and its line)."""

    file: str
    problems: tuple[str, ...]


@dataclass(frozen=True)
class ProtocolLibrary:
    """The usable protocols by id (the default first) and the files that could not be used."""

    protocols: Mapping[str, Protocol]
    broken: tuple[BrokenProtocol, ...] = ()
    folder: Path | None = None  # the team's folder, if one was given
    files: Mapping[str, str] = field(default_factory=dict)  # id -> the file it was read from

    @property
    def default(self) -> Protocol:
        """The protocol that says ``default: true``, else the first."""
        return next(iter(self.protocols.values()))

    def find(self, name: str) -> Protocol:
        """A protocol by id (case-insensitive) or a protocol file by path. ``KeyError`` lists the ids;
        ``ProtocolError`` names the lines of a file's problems."""
        for pid, protocol in self.protocols.items():
            if pid.lower() == name.strip().lower():
                return protocol
        if name.endswith(SUFFIXES) and Path(name).is_file():
            return load_protocol(name)
        broken = [b.file for b in self.broken]
        raise KeyError(
            f"no protocol '{name}'; protocols: {', '.join(self.protocols)} (or give a .yaml file)"
            + (f"; not usable: {', '.join(broken)} (`medpath protocols` lists their problems)" if broken else "")
        )

    def clash(self, protocol: Protocol) -> str | None:
        """Why ``protocol`` (e.g. one uploaded for a session) cannot join this library, or None: its id is taken."""
        for pid, file in self.files.items():
            if pid.lower() == protocol.id.lower():
                return f"its id '{protocol.id}' is already the id of {file}: give the uploaded protocol another id"
        return None


def uploaded_protocol(name: str, data: bytes, library: ProtocolLibrary) -> Protocol:
    """A protocol file uploaded for one session (its bytes; nothing is written anywhere), to be used beside
    ``library``. ``ProtocolError`` names its problems by line, and refuses an id the library already has."""
    protocol = parse_protocol(decode(data, name, ProtocolError, "protocol"), name)
    if (clash := library.clash(protocol)) is not None:
        raise ProtocolError(name, [FileProblem(None, clash)])
    return protocol


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...] | str:
    """The protocol files of ``folder`` as (path, size, modification time), in name order; a string when the
    folder cannot be listed (it says why)."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except FileNotFoundError:
        return "the folder does not exist"
    except NotADirectoryError:
        return "this is a file, not a folder"
    except OSError as exc:
        return f"the folder cannot be read ({exc.strerror})"
    signature = []
    for entry in entries:
        if entry.name.lower().endswith(SUFFIXES) and entry.is_file():
            stat = entry.stat()
            signature.append((entry.path, stat.st_size, stat.st_mtime_ns))
    return tuple(signature)


def load_library(folder: str | Path | None = None) -> ProtocolLibrary:
    """The bundled protocols and those of ``folder`` (a team's folder of protocol files; None or "": the bundled
    only)."""
    team = None if folder is None or not str(folder).strip() else Path(folder).expanduser()
    return _library(_signature(bundled_folder()), team, _signature(team) if team is not None else ())


def _named(files: tuple[tuple[str, int, int], ...] | str, shown: Callable[[Path], str]) -> list[tuple[Path, str]]:
    return [] if isinstance(files, str) else [(Path(path), shown(Path(path))) for path, _, _ in files]


@functools.lru_cache(maxsize=8)
def _library(
    bundled_files: tuple[tuple[str, int, int], ...] | str,
    team: Path | None,
    team_files: tuple[tuple[str, int, int], ...] | str,
) -> ProtocolLibrary:
    """The library of these files (their signatures are the cache key: a changed file is read again)."""
    protocols: dict[str, Protocol] = {}
    files: dict[str, str] = {}  # id -> the file's name as shown
    broken = [BrokenProtocol(str(team), (f"{team}: {team_files}",))] if isinstance(team_files, str) else []
    default: str | None = None
    paths = _named(bundled_files, lambda p: f"medpath/protocols/{p.name}") + _named(team_files, str)
    for path, name in paths:
        try:
            protocol = load_protocol(path)
        except ProtocolError as exc:
            broken.append(BrokenProtocol(name, tuple(exc.lines())))
            continue
        except OSError as exc:
            broken.append(BrokenProtocol(name, (f"{name}: the file cannot be read ({exc.strerror})",)))
            continue
        taken = next((pid for pid in protocols if pid.lower() == protocol.id.lower()), None)
        problem = (
            f"its id '{protocol.id}' is already the id of {files[taken]}"
            if taken is not None
            else f"it says default: true, as {files[default]} does; only one protocol can be the default"
            if protocol.default and default is not None
            else None
        )
        if problem is not None:
            broken.append(BrokenProtocol(name, (f"{name}: {problem}",)))
            continue
        default = protocol.id if protocol.default else default
        protocols[protocol.id], files[protocol.id] = protocol, name
    if default is not None:  # the default first
        protocols = {default: protocols[default], **{k: v for k, v in protocols.items() if k != default}}
    return ProtocolLibrary(protocols, tuple(broken), team, files)
