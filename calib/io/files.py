"""Every file calib writes goes through here: refuse to overwrite, write atomically, fail in one line.

- `check_outputs(paths, force=...)`: before any work, an output that exists (without `force`),
  a folder where a file is meant, or one path given for two outputs is a one-line `CalibError`;
- `atomic_write(path, write)`: `write(temporary_path)` fills a temporary file in the same
  folder, which is then renamed over `path`, so a crash, Ctrl-C or a full disk leaves the
  previous file (or none), never a half-written one; the file gets the usual permissions
  (0666 less the umask);
- `atomic_writes(paths)`: the same for several files that belong together (all or none);
- every failure to write (no space left, no permission, a read-only or missing folder, a file
  size limit, or a library's own "HDF error" when the disk filled up) becomes one `CalibError`
  line naming the file, the reason and the fix.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from calib.common.errors import CalibError, one_line

LOW_SPACE = 1 << 20  # bytes: below this much free space a failed write is reported as a full disk

_FIXES = {
    errno.ENOSPC: "free some disk space or choose another output folder",
    errno.EDQUOT: "free some of your disk quota or choose another output folder",
    errno.EACCES: "choose a folder you may write to",
    errno.EPERM: "choose a folder you may write to",
    errno.EROFS: "the file system is read-only; choose another output folder",
    errno.EFBIG: "the file exceeds the file size limit (ulimit -f); raise it or write elsewhere",
    errno.ENOTDIR: "a part of the path is a file, not a folder; choose another output path",
    errno.ENAMETOOLONG: "shorten the output path",
}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_outputs(*paths: str | os.PathLike | None, force: bool = False, option: str = "--force") -> None:
    """Refuse outputs that exist (unless `force`), are folders, or are given twice.

    Args:
        paths: the files a command will write (None entries are skipped).
        force: overwriting existing files is allowed.
        option: how the user allows it, for the message.

    Raises:
        CalibError: one line naming the path and the fix.
    """
    given = [Path(p) for p in paths if p is not None]
    resolved = [p.resolve() for p in given]
    for index, path in enumerate(resolved):
        if path in resolved[:index]:
            raise CalibError(f"{given[index]}: the same file for two outputs; give each output its own path")
    for path in given:
        if path.is_dir():
            raise CalibError(f"{path}: is a folder; give the path of the file to write")
        if path.exists() and not force:
            raise CalibError(f"{path}: exists; pass {option} to overwrite it or choose another output path")


def _size_limited(temporary: Path) -> bool:
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    return soft != resource.RLIM_INFINITY and temporary.exists() and temporary.stat().st_size >= soft - 4096


def _reason(error: BaseException, path: Path, temporary: Path | None) -> tuple[str, str]:
    """(what went wrong, how to fix it) for a failed write."""
    code = getattr(error, "errno", None)
    if isinstance(error, OSError) and code in _FIXES:
        return error.strerror or os.strerror(code), _FIXES[code]
    folder = path.parent if path.parent.exists() else Path.cwd()
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    if free is not None and free < LOW_SPACE:
        return f"{os.strerror(errno.ENOSPC)} ({one_line(error)})", _FIXES[errno.ENOSPC]
    if temporary is not None and _size_limited(temporary):
        return f"{os.strerror(errno.EFBIG)} ({one_line(error)})", _FIXES[errno.EFBIG]
    if isinstance(error, OSError):
        return error.strerror or one_line(error), "check the output path and its permissions"
    return one_line(error), "check the output folder, its free space and permissions"


def _fail(error: BaseException, path: Path, temporary: Path | None = None) -> CalibError:
    problem, fix = _reason(error, path, temporary)
    return CalibError(f"{path}: cannot write the file ({problem}); {fix}")


def _temporary(path: Path) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise _fail(error, path) from None
    os.close(descriptor)
    return Path(name)


def _culprit(error: BaseException, paths: list[Path], temporaries: list[Path]) -> tuple[Path, Path | None]:
    """(output, temporary) a failure belongs to: the file the error names, else the temporary
    written last."""
    named = getattr(error, "filename", None)
    for path, temporary in zip(paths, temporaries, strict=True):
        if named is not None and Path(named) in (path, temporary):
            return path, temporary
    existing = [(t.stat().st_mtime_ns, i) for i, t in enumerate(temporaries) if t.exists()]
    if not existing:
        return paths[0], None
    index = max(existing)[1]
    return paths[index], temporaries[index]


@contextlib.contextmanager
def atomic_writes(paths: Iterable[str | os.PathLike]) -> Iterator[list[Path]]:
    """Temporary paths next to `paths` to write into; renamed onto them when the block ends
    without error, all deleted otherwise (see the module docstring)."""
    paths = [Path(p) for p in paths]
    for path in paths:
        if path.is_dir():
            raise CalibError(f"{path}: is a folder; give the path of the file to write")
    temporaries: list[Path] = []
    try:
        temporaries = [_temporary(path) for path in paths]
        try:
            yield temporaries
        except CalibError:
            raise
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:  # noqa: BLE001 - every writer's failure becomes one line
            path, temporary = _culprit(error, paths, temporaries)
            raise _fail(error, path, temporary) from None
        for temporary in temporaries:
            os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600
        for temporary, path in zip(temporaries, paths, strict=True):
            try:
                os.replace(temporary, path)
            except OSError as error:
                raise _fail(error, path) from None
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Write one file atomically: `write(temporary_path)` creates its content (module docstring)."""
    path = Path(path)
    with atomic_writes([path]) as (temporary,):
        write(temporary)
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write a text file (UTF-8) atomically."""
    return atomic_write(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write a binary file atomically."""
    return atomic_write(path, lambda temporary: temporary.write_bytes(data))


__all__ = ["atomic_write", "atomic_writes", "check_outputs", "write_bytes", "write_text"]
