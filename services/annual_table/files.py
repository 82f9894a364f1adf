"""Files written whole or not at all: a table is never left half-written, nor one file of the pair.

Each file goes to a temporary file in the target folder first (so the rename stays on one file
system); once all are written they are renamed into place. If a rename fails, the ones already done
are undone: a file that was not there before is removed, one that was is put back as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path


def write_whole(directory: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write every file of `files` (name → content) into `directory`, or none of them."""
    directory.mkdir(parents=True, exist_ok=True)
    temporaries: list[tuple[Path, Path]] = []
    try:
        for name, content in files.items():
            temporaries.append((_temporary_with(directory, name, content), directory / name))
        _move_into_place(temporaries)
    finally:
        for temporary, _ in temporaries:
            temporary.unlink(missing_ok=True)
    return [final for _, final in temporaries]


def _temporary_with(directory: Path, name: str, content: bytes) -> Path:
    handle, path = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(path, 0o666 & ~mask)  # as an ordinary file would be (mkstemp makes it 0600)
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise
    return Path(path)


def _move_into_place(temporaries: list[tuple[Path, Path]]) -> None:
    done: list[tuple[Path, Path | None]] = []  # a file renamed into place, and a copy of what it replaced
    try:
        for temporary, final in temporaries:
            previous = _keep_a_copy(final)
            try:
                os.replace(temporary, final)
            except BaseException:
                if previous is not None:
                    previous.unlink(missing_ok=True)
                raise
            done.append((final, previous))
    except BaseException:
        for final, previous in reversed(done):
            if previous is not None:
                os.replace(previous, final)
            else:
                final.unlink(missing_ok=True)
        done.clear()
        raise
    finally:
        for _, previous in done:
            if previous is not None:
                previous.unlink(missing_ok=True)


def _keep_a_copy(final: Path) -> Path | None:
    if not final.is_file():
        return None
    copy = final.with_name(f".{final.name}.{uuid.uuid4().hex}.previous")
    try:
        os.link(final, copy)
    except OSError:  # a file system without hard links
        shutil.copy2(final, copy)
    return copy
