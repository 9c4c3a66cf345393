"""Reading a workspace admin's standard Slack export (a ZIP) — safely, and without any Slack call.

An export is ``channels.json`` (public channels), ``groups.json`` (private ones, when exported),
``users.json`` and one ``<channel name>/<YYYY-MM-DD>.json`` per channel and day, each a list of
messages shaped like ``conversations.history``'s (thread replies are in the day files too).

Why nothing is ever extracted: a ZIP is untrusted input. Its central directory is checked first —
members that would land outside a folder (``../``, absolute paths, symlinks), encrypted members, too
many members, a member or a total that would unpack beyond the caps, or an implausible compression
ratio (a zip bomb) refuse the whole file before one byte is decompressed. Members are then read into
memory with the size cap enforced while reading (declared sizes can lie), and parsed as JSON.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

MEMBER_CAP = 64 * 1024 * 1024  # one day of one channel is kilobytes; users.json of a big workspace, megabytes
TOTAL_CAP = 2 * 1024 * 1024 * 1024
MAX_MEMBERS = 500_000
MAX_RATIO = 200  # JSON compresses ~10x; a bomb, by thousands
_DAY = re.compile(r"^(?P<folder>[^/]+)/(?P<day>\d{4}-\d{2}-\d{2})\.json$")


class ExportError(Exception):
    """The file cannot be read as a Slack export; the message is the one line the user sees."""


@dataclass
class ExportChannel:
    id: str
    name: str
    private: bool = False
    days: list[str] = field(default_factory=list)  # member names, oldest day first


class SlackExport:
    """An opened, vetted export. ``channels`` lists its public and private channels with their day files."""

    def __init__(self, path: str | Path, *, member_cap: int = MEMBER_CAP, total_cap: int = TOTAL_CAP) -> None:
        self.path = Path(path)
        self.member_cap = member_cap
        try:
            self._zip = zipfile.ZipFile(self.path)
        except FileNotFoundError:
            raise ExportError(f"{self.path}: no such file") from None
        except IsADirectoryError:
            raise ExportError(f"{self.path} is a folder; give the export's .zip file itself") from None
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise ExportError(f"{self.path.name} is not a ZIP file, or it is damaged ({exc})") from None
        self._vet(total_cap)
        names = set(self._zip.namelist())
        missing = [n for n in ("channels.json", "users.json") if n not in names]
        if missing:
            raise ExportError(f"{self.path.name} is not a Slack export: no {' or '.join(missing)} at its top "
                              "(export from Workspace settings → Import/Export Data)")
        self.users = self._list("users.json")
        self.channels = self._channels(names)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> SlackExport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _vet(self, total_cap: int) -> None:
        infos = self._zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise ExportError(f"refused {self.path.name}: {len(infos):,} members (at most {MAX_MEMBERS:,})")
        total = 0
        for info in infos:
            name = info.filename
            parts = PurePosixPath(name).parts
            if (name.startswith(("/", "\\")) or "\\" in name or "\x00" in name or ".." in parts
                    or re.match(r"^[A-Za-z]:", name)):
                raise ExportError(f"refused {self.path.name}: member {name!r} points outside the export "
                                  "(path traversal); nothing was read")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ExportError(f"refused {self.path.name}: member {name!r} is a symbolic link; nothing was read")
            if info.flag_bits & 0x1:
                raise ExportError(f"refused {self.path.name}: member {name!r} is encrypted")
            if info.file_size > self.member_cap:
                raise ExportError(f"refused {self.path.name}: member {name!r} would unpack to "
                                  f"{info.file_size / 2**20:,.0f} MB (at most {self.member_cap / 2**20:,.0f} MB): "
                                  "a zip bomb?; nothing was read")
            if info.file_size > 1024 * 1024 and info.file_size > MAX_RATIO * max(1, info.compress_size):
                raise ExportError(f"refused {self.path.name}: member {name!r} is compressed "
                                  f"{info.file_size // max(1, info.compress_size):,}:1 (a zip bomb); nothing was read")
            total += info.file_size
        if total > total_cap:
            raise ExportError(f"refused {self.path.name}: it would unpack to {total / 2**30:,.1f} GB "
                              f"(at most {total_cap / 2**30:,.1f} GB); nothing was read")

    def read(self, name: str) -> bytes:
        """A member's bytes, read into memory with the size cap enforced on what really comes out."""
        try:
            with self._zip.open(name) as member:
                data = member.read(self.member_cap + 1)
        except KeyError:
            raise ExportError(f"{self.path.name}: no member {name!r}") from None
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            raise ExportError(f"{self.path.name} is damaged: cannot read {name!r} ({exc})") from None
        if len(data) > self.member_cap:
            raise ExportError(f"refused {self.path.name}: member {name!r} unpacks beyond "
                              f"{self.member_cap / 2**20:,.0f} MB (its header lied: a zip bomb?)")
        return data

    def _list(self, name: str) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.read(name))
        except (ValueError, UnicodeDecodeError):
            raise ExportError(f"{self.path.name} is damaged or not a Slack export: {name} is not JSON") from None
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise ExportError(f"{self.path.name} is not a Slack export: {name} is not a list of objects")
        return data

    def _channels(self, names: set[str]) -> list[ExportChannel]:
        found: list[ExportChannel] = []
        for listing, private in (("channels.json", False), ("groups.json", True)):
            if listing not in names:
                continue
            for item in self._list(listing):
                if not isinstance(item.get("id"), str) or not isinstance(item.get("name"), str):
                    raise ExportError(f"{self.path.name} is not a Slack export: {listing} has a channel without "
                                      "id or name")
                found.append(ExportChannel(item["id"], item["name"], private))
        by_folder = {c.name: c for c in found}
        for name in sorted(names):
            match = _DAY.match(name)
            if match and match["folder"] in by_folder:
                by_folder[match["folder"]].days.append(name)
        return found

    def channel(self, name: str) -> ExportChannel:
        wanted = name.strip().lstrip("#").lower()
        for channel in self.channels:
            if wanted in (channel.name.lower(), channel.id.lower()):
                return channel
        known = ", ".join(sorted(f"#{c.name}" for c in self.channels)[:20]) or "none"
        raise ExportError(f"no channel #{wanted} in {self.path.name} (it has: {known})")

    def messages(self, day: str) -> list[dict[str, Any]]:
        """One day file's messages (each a dict; anything else in the list is dropped)."""
        return [m for m in self._list(day) if isinstance(m, dict)]

    def digest(self) -> str:
        """The file's SHA-256: the same export resumes the same run, another export is another run."""
        sha = hashlib.sha256()
        with self.path.open("rb") as file:
            while chunk := file.read(1 << 20):
                sha.update(chunk)
        return sha.hexdigest()
