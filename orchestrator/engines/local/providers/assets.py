"""Pulumi assets and archives as providers receive them, turned into bytes.

An asset is `{SIG: ASSET_SIG, "text" | "path" | "uri": ...}`, an archive
`{SIG: ARCHIVE_SIG, "assets" | "path" | "uri": ...}`; relative paths are relative to the
project directory (the program's working directory, where providers run). As Pulumi's engine
does: an archive member map is read in sorted order (a nested archive flattened under its
name), a directory is walked in lexical order without `.pulumi`, an existing `.zip`/`.jar` file is
used as it is, and a ZIP is written with deflated entries dated 1990-01-01 so the same files
give the same bytes. `hash` is the SHA-256 of an asset's bytes (as Pulumi records it) and, for
an archive, of the ZIP built here (Pulumi hashes a tar stream instead: the values differ from
the CLI's, but change exactly when the contents do).
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import tarfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from orchestrator.engines.local.props import ARCHIVE_SIG, ASSET_SIG, SIG_KEY
from orchestrator.engines.local.providers.base import ProviderError

_ZIP_DATE = (1990, 1, 1, 0, 0, 0)
_BOOKKEEPING = ".pulumi"


def is_asset(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(SIG_KEY) == ASSET_SIG


def is_archive(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get(SIG_KEY) == ARCHIVE_SIG


def _local_path(ref: str) -> Path:
    if "://" in ref:
        parsed = urlparse(ref)
        if parsed.scheme != "file":
            raise ProviderError(f"{ref}: only local files and file:// URIs can be read by the local engine")
        ref = parsed.path
    return Path(ref)


def asset_bytes(asset: Mapping[str, Any]) -> bytes:
    """The bytes of a StringAsset, FileAsset or file:// RemoteAsset."""
    if asset.get("text") is not None:
        return str(asset["text"]).encode()
    ref = asset.get("path") or asset.get("uri")
    if not ref:
        raise ProviderError("an asset with neither text, path nor uri")
    path = _local_path(str(ref))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ProviderError(f"asset {ref}: cannot be read ({exc.strerror})") from None


def _members(archive: Mapping[str, Any]) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every file of the archive, in Pulumi's order."""
    if archive.get("assets") is not None:
        members = archive["assets"]
        for name in sorted(members):
            member = members[name]
            if is_archive(member):
                for inner, data in _members(member):
                    yield posixpath.normpath(posixpath.join(name, inner)), data  # "." + "a" is "a"
            else:
                yield name, asset_bytes(member)
        return
    ref = archive.get("path") or archive.get("uri")
    if not ref:
        return
    path = _local_path(str(ref))
    if not path.exists():
        raise ProviderError(f"archive {ref}: no such file or directory (relative paths start at the project)")
    if path.is_dir():
        yield from _directory(path)
    elif path.suffix in (".zip", ".jar"):
        with zipfile.ZipFile(path) as source:
            for info in source.infolist():
                if not info.is_dir():
                    yield info.filename, source.read(info)
    elif path.name.endswith((".tar", ".tgz", ".tar.gz")):
        with tarfile.open(path) as source:
            for entry in source.getmembers():
                extracted = source.extractfile(entry) if entry.isfile() else None
                if extracted is not None:
                    yield os.path.normpath(entry.name), extracted.read()
    else:
        raise ProviderError(f"archive {ref}: neither a directory nor a .zip, .jar, .tar or .tgz file")


def _directory(root: Path, current: Path | None = None) -> Iterator[tuple[str, bytes]]:
    """Files under `root` in lexical order of their entries, directories in place (as Go's
    `filepath.Walk`), without `.pulumi`; symbolic links to files are followed."""
    for entry in sorted((current or root).iterdir(), key=lambda p: p.name):
        if entry.name == _BOOKKEEPING:
            continue
        if entry.is_dir():
            if not entry.is_symlink():
                yield from _directory(root, entry)
            continue
        yield entry.relative_to(root).as_posix(), entry.read_bytes()


def archive_zip(archive: Mapping[str, Any]) -> bytes:
    """The archive as ZIP bytes: a `.zip`/`.jar` file as it is, anything else zipped."""
    ref = archive.get("path") or archive.get("uri")
    if archive.get("assets") is None and ref:
        path = _local_path(str(ref))
        if path.is_file() and path.suffix in (".zip", ".jar"):
            return path.read_bytes()
    buffer = io.BytesIO()
    seen: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for name, data in _members(archive):
            if name in seen:
                continue
            seen.add(name)
            out.writestr(zipfile.ZipInfo(name, date_time=_ZIP_DATE), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def with_hash(value: Any) -> Any:
    """An asset or archive with its `hash` filled in (other values unchanged), so a change
    of the files behind an unchanged path is a change of the input."""
    if is_asset(value):
        return {**value, "hash": hashlib.sha256(asset_bytes(value)).hexdigest()}
    if is_archive(value):
        return {**value, "hash": hashlib.sha256(archive_zip(value)).hexdigest()}
    return value
