"""Every file reportgen writes is replaced atomically — this module is the one way to do it.

A file is written under a temporary name in the target's own folder (its process id in the name) and renamed
over the target, so a reader — and a process killed at any moment — sees the old file or the new one, never
half of either.  ``durable`` (outputs: PDFs, manifests, rejects, ledgers, period files) also flushes the data
and the folder entry to disk before and after the rename, so a power cut cannot leave an empty file under the
target's name; caches (charts, checked records, derived files) skip the fsyncs, since a lost cache entry is
only made again.  A temporary file a killed process left behind (its process gone) is removed by the next
write to the same target.

Imports nothing of reportgen: every stage may use it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _remove_stale_parts(target: Path) -> None:
    prefix = f".{target.name}."
    for part in target.parent.glob(f"{prefix}*.part"):
        pid = part.name[len(prefix):].split(".", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)              # the writer is alive: leave its file alone
        except ProcessLookupError:
            part.unlink(missing_ok=True)
        except PermissionError:
            pass


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def replacing(target: Path, *, durable: bool = True) -> Iterator[Path]:
    """``with replacing(target) as tmp:`` — write ``tmp`` (any way: a library, a database's COPY); when the block
    ends without an error, ``tmp`` replaces ``target``; on an error it is removed and ``target`` is untouched."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_parts(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if durable:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)     # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, target)
        if durable:
            _fsync_dir(target.parent)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(target: Path, data: bytes, *, durable: bool = True) -> None:
    """``data`` as the new content of ``target``, all or nothing (see the module's docstring)."""
    with replacing(target, durable=durable) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
