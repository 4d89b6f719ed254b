"""JAX's persistent compilation cache for calib: a second run or fit of the same shapes loads
its compiled programs from disk instead of compiling them again.

The folder is, in order: the `folder` argument (the command line's ``--cache-dir``), the
environment variable ``CALIB_CACHE_DIR``, ``$XDG_CACHE_HOME/calib/jax``, ``~/.cache/calib/jax``.
``CALIB_CACHE_DIR=off`` (or ``--no-cache``) turns it off. Entries are keyed by JAX on the program,
the JAX version and the device, so a stale entry is never used; delete the folder to reclaim the
space. `calib profile-memory` and `calib profile-batch` never use it (they measure compile times).
"""

from __future__ import annotations

import os
from pathlib import Path

OFF = ("off", "none", "no", "0", "false")
MIN_COMPILE_SECONDS = 0.3  # programs that compile faster than this are not worth a file


def cache_folder(folder: str | Path | None = None) -> Path | None:
    """The cache folder to use (module docstring), or None when the cache is off."""
    chosen = str(folder) if folder is not None else os.environ.get("CALIB_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in OFF else Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "calib" / "jax"


def enable_compilation_cache(folder: str | Path | None = None) -> Path | None:
    """Turn JAX's persistent compilation cache on in the folder of `cache_folder` (created if
    needed); returns it, or None when the cache is off or the folder cannot be created."""
    import jax

    path = cache_folder(folder)
    if path is None:
        jax.config.update("jax_enable_compilation_cache", False)
        return None
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None  # a read-only home: compile as usual
    jax.config.update("jax_enable_compilation_cache", True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path


__all__ = ["cache_folder", "enable_compilation_cache"]
