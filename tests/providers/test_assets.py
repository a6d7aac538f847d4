"""Assets and archives turned into bytes as Pulumi's engine does (zip layout, order, hashes)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from orchestrator.engines.local.props import ARCHIVE_SIG, ASSET_SIG, SIG_KEY
from orchestrator.engines.local.providers.assets import archive_zip, asset_bytes, with_hash
from orchestrator.engines.local.providers.base import ProviderError


def _asset(**fields: str) -> dict[str, str]:
    return {SIG_KEY: ASSET_SIG, **fields}


def _archive(**fields: object) -> dict[str, object]:
    return {SIG_KEY: ARCHIVE_SIG, **fields}


def _entries(data: bytes) -> list[tuple[str, tuple[int, ...], int, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i.filename, i.date_time, i.compress_type, zf.read(i)) for i in zf.infolist()]


def test_a_directory_is_zipped_in_walk_order_with_a_fixed_date(tmp_path: Path) -> None:
    (tmp_path / "src" / "lib").mkdir(parents=True)
    (tmp_path / "src" / "a.py").write_text("a")
    (tmp_path / "src" / "lib" / "b.py").write_text("b")
    (tmp_path / "src" / "z.py").write_text("z")
    (tmp_path / "src" / ".pulumi").mkdir()
    (tmp_path / "src" / ".pulumi" / "state.json").write_text("{}")
    first = archive_zip(_archive(path=str(tmp_path / "src")))
    assert [(n, d, c) for n, d, c, _ in _entries(first)] == [
        ("a.py", (1990, 1, 1, 0, 0, 0), zipfile.ZIP_DEFLATED),
        ("lib/b.py", (1990, 1, 1, 0, 0, 0), zipfile.ZIP_DEFLATED),
        ("z.py", (1990, 1, 1, 0, 0, 0), zipfile.ZIP_DEFLATED),
    ]
    assert archive_zip(_archive(path=str(tmp_path / "src"))) == first  # the same files, the same bytes


def test_an_asset_map_is_sorted_and_nested_archives_flattened(tmp_path: Path) -> None:
    (tmp_path / "dep").mkdir()
    (tmp_path / "dep" / "x.txt").write_text("x")
    data = archive_zip(_archive(assets={
        "main.py": _asset(text="print(1)"),
        "deps": _archive(path=str(tmp_path / "dep")),
        ".": _archive(assets={"root.txt": _asset(text="r")}),
        "README": _asset(path=str(tmp_path / "dep" / "x.txt")),
    }))
    assert [(n, body) for n, _, _, body in _entries(data)] == [
        ("root.txt", b"r"), ("README", b"x"), ("deps/x.txt", b"x"), ("main.py", b"print(1)")]


def test_a_zip_file_is_used_as_it_is_and_hashes_follow_the_contents(tmp_path: Path) -> None:
    existing = tmp_path / "code.zip"
    with zipfile.ZipFile(existing, "w") as zf:
        zf.writestr("index.py", "x")
    assert archive_zip(_archive(path=str(existing))) == existing.read_bytes()
    text = with_hash(_asset(text="hello"))
    assert text["hash"] == hashlib.sha256(b"hello").hexdigest()
    (tmp_path / "page.html").write_text("one")
    before = with_hash(_asset(path=str(tmp_path / "page.html")))["hash"]
    (tmp_path / "page.html").write_text("two")
    assert with_hash(_asset(path=str(tmp_path / "page.html")))["hash"] != before


def test_unreadable_sources_are_named(tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match=r"missing\.txt: cannot be read"):
        asset_bytes(_asset(path=str(tmp_path / "missing.txt")))
    with pytest.raises(ProviderError, match="no such file or directory"):
        archive_zip(_archive(path=str(tmp_path / "bin" / "publish")))
    with pytest.raises(ProviderError, match="only local files"):
        asset_bytes(_asset(uri="https://example.com/x"))
