"""Readers for GOTM's text input formats (time series and profiles).

Time series: one record per line, ``YYYY-MM-DD HH:MM:SS v1 [v2 ...]``.
Profiles: a header ``YYYY-MM-DD HH:MM:SS N flag`` followed by N lines ``z v1 [v2 ...]``,
z in metres (negative below the surface); flag 1 = the lines run bottom-up, 2 = top-down.

Both readers accept ``-`` or ``/`` as date separator, blank lines, comments starting with
``#`` or ``!`` (whole line or trailing), and any whitespace between fields. A malformed line
raises `calib.common.errors.DataError` naming the file, the line number and what was expected.
Numbers are converted in bulk with numpy, so the 3 MB OWS Papa profile file reads in well
under a second.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import xarray as xr

from calib.common.errors import DataError

_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")
_TIME = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})")
_TIMESTAMP = "'YYYY-MM-DD HH:MM:SS' (or YYYY/MM/DD)"

Records = list[tuple[int, list[str]]]


def _records(path: Path) -> Records:
    """(1-based line number, whitespace-split fields) of every non-blank, non-comment line."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError(f"{path}: cannot read the file ({error.strerror}); check the path") from None
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # e.g. accents in comments; a binary file fails line by line
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "#" in line or "!" in line:
            line = re.split(r"[#!]", line, maxsplit=1)[0]
        fields = line.split()
        if fields:
            records.append((number, fields))
    return records


def _timestamp(path: Path, number: int, date: str, time: str) -> str:
    """ISO 8601 string for one 'date time' pair, or a DataError naming the line."""
    date_match, time_match = _DATE.fullmatch(date), _TIME.fullmatch(time)
    if date_match is None or time_match is None:
        raise DataError(f"{path}:{number}: expected a time stamp {_TIMESTAMP}, got {date} {time!r}")
    year, month, day = (int(g) for g in date_match.groups())
    hour, minute, second = (int(g) for g in time_match.groups())
    if not 1678 <= year <= 2261:
        raise DataError(f"{path}:{number}: year {year} is outside 1678-2261 (the range of datetime64[ns])")
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"


def _parse_times(path: Path, numbers: Sequence[int], dates: Sequence[str], times: Sequence[str]):
    """datetime64[s] array of the time stamps; a DataError names the first bad line."""
    stamps = [_timestamp(path, n, d, t) for n, d, t in zip(numbers, dates, times, strict=True)]
    try:
        return np.array(stamps, dtype="datetime64[s]")
    except ValueError:
        for number, stamp in zip(numbers, stamps, strict=True):
            try:
                np.datetime64(stamp, "s")
            except ValueError:
                raise DataError(f"{path}:{number}: impossible date or time {stamp!r}") from None
        raise


def _parse_numbers(path: Path, numbers: Sequence[int], rows: list[list[str]], expected: str) -> np.ndarray:
    """2-D float array of equally long rows of number strings; a DataError names a bad line."""
    lengths = np.fromiter((len(row) for row in rows), dtype=int, count=len(rows))
    if lengths.size and np.any(lengths != lengths[0]):
        bad = int(np.argmax(lengths != lengths[0]))
        raise DataError(
            f"{path}:{numbers[bad]}: expected {expected} with {lengths[0]} value(s) like line "
            f"{numbers[0]}, got {len(rows[bad])}: {' '.join(rows[bad])!r}"
        )
    try:
        return np.array(rows, dtype=float).reshape(len(rows), -1)
    except ValueError:
        for number, row in zip(numbers, rows, strict=True):
            try:
                [float(x) for x in row]
            except ValueError:
                raise DataError(f"{path}:{number}: expected {expected}, got {' '.join(row)!r}") from None
        raise


def _check_increasing(path: Path, numbers: Sequence[int], time: np.ndarray) -> None:
    """GOTM needs strictly increasing times; name the first line that breaks the order."""
    step = np.diff(time)
    if np.any(step <= np.timedelta64(0, "s")):
        bad = int(np.argmax(step <= np.timedelta64(0, "s"))) + 1
        raise DataError(
            f"{path}:{numbers[bad]}: time {time[bad]} does not come after {time[bad - 1]}; "
            "records must be in strictly increasing time order"
        )


def _variable_names(path: Path, names: str | Sequence[str] | None, count: int) -> list[str]:
    """One variable name per value column: the given names, or the file stem (+ _1, _2, ...)."""
    if names is None:
        return [path.stem] if count == 1 else [f"{path.stem}_{i + 1}" for i in range(count)]
    names = [names] if isinstance(names, str) else list(names)
    if len(names) != count:
        raise DataError(
            f"{path}: {count} value column(s) but {len(names)} name(s) {names}; pass one name per column"
        )
    return names


def _select_columns(path: Path, values: np.ndarray, columns: int | Sequence[int] | None) -> np.ndarray:
    """The value columns asked for (1-based, as GOTM's ``column`` setting), or all of them."""
    if columns is None:
        return values
    columns = [columns] if isinstance(columns, int) else list(columns)
    for column in columns:
        if not 1 <= int(column) <= values.shape[1]:
            raise DataError(
                f"{path}: value column {column} asked for but the file has {values.shape[1]} value "
                f"column(s); give a column from 1 to {values.shape[1]}"
            )
    return values[:, [int(c) - 1 for c in columns]]


def read_gotm_timeseries(
    path: str | Path, names: str | Sequence[str] | None = None, columns: int | Sequence[int] | None = None
) -> xr.Dataset:
    """Read a GOTM time series file (``YYYY-MM-DD HH:MM:SS v1 [v2 ...]`` per line).

    Args:
        path: the text file.
        names: one variable name per value column read; default the file stem, numbered
            ``stem_1, stem_2, ...`` when there are several columns.
        columns: the value column(s) to read, 1-based after the time stamp (GOTM's ``column``);
            default every column.

    Returns:
        Dataset with a ``time`` coordinate (datetime64[ns]) and one float variable per column,
        values unchanged (no unit or sign conversion; see `calib.io.conventions`).

    Raises:
        DataError: empty file, malformed line, inconsistent column count or times that do
            not increase strictly (the message names the file and line).
    """
    path = Path(path)
    records = _records(path)
    if not records:
        raise DataError(f"{path}: no records; expected lines {_TIMESTAMP} value [value ...]")
    numbers = [number for number, _ in records]
    for number, fields in records:
        if len(fields) < 3:
            raise DataError(
                f"{path}:{number}: expected {_TIMESTAMP} followed by values, got {' '.join(fields)!r}"
            )
    time = _parse_times(path, numbers, [f[0] for _, f in records], [f[1] for _, f in records])
    values = _parse_numbers(path, numbers, [f[2:] for _, f in records], "a time stamp and numbers")
    values = _select_columns(path, values, columns)
    _check_increasing(path, numbers, time)
    variables = _variable_names(path, names, values.shape[1])
    data = {name: ("time", values[:, i]) for i, name in enumerate(variables)}
    return xr.Dataset(data, coords={"time": time.astype("datetime64[ns]")}, attrs={"source": str(path)})


def _check_previous_block(path: Path, records: Records, starts: list[int], counts: list[int]) -> None:
    """A header swallowed as a data line means the previous header announced too many lines."""
    if not starts:
        return
    for number, fields in records[starts[-1] + 1 : starts[-1] + 1 + counts[-1]]:
        if _DATE.fullmatch(fields[0]):
            raise DataError(
                f"{path}:{number}: expected a profile line 'z value' (the header at line "
                f"{records[starts[-1]][0]} announces {counts[-1]}), got {' '.join(fields)!r}"
            )


def _profile_headers(path: Path, records: Records) -> tuple[list[int], list[int], list[int]]:
    """Walk the headers: (record index of each header, its line count N, its flag)."""
    starts, counts, flags = [], [], []
    index = 0
    while index < len(records):
        number, fields = records[index]
        if (
            len(fields) != 4
            or not fields[2].isascii()
            or not fields[2].isdigit()
            or fields[3] not in ("1", "2")
        ):
            _check_previous_block(path, records, starts, counts)
            raise DataError(
                f"{path}:{number}: expected a profile header {_TIMESTAMP} N flag (N >= 0 lines, "
                f"flag 1 = bottom-up or 2 = top-down), got {' '.join(fields)!r}"
            )
        starts.append(index)
        counts.append(int(fields[2]))
        flags.append(int(fields[3]))
        index += 1 + counts[-1]
    if index > len(records):
        raise DataError(
            f"{path}:{records[starts[-1]][0]}: the header announces {counts[-1]} lines but the file ends "
            f"after {len(records) - starts[-1] - 1}"
        )
    return starts, counts, flags


def _check_profile_order(path: Path, records: Records, starts, counts, flags, z: np.ndarray) -> None:
    """Heights must increase within a flag-1 block and decrease within a flag-2 block."""
    block = np.repeat(np.arange(len(starts)), counts)
    same_block = block[1:] == block[:-1]
    direction = np.where(np.asarray(flags)[block[1:]] == 1, 1.0, -1.0)
    wrong = same_block & (direction * np.diff(z) <= 0)
    if np.any(wrong):
        profile = block[int(np.argmax(wrong))]
        order = "increase (flag 1 = bottom-up)" if flags[profile] == 1 else "decrease (flag 2 = top-down)"
        raise DataError(
            f"{path}:{records[starts[profile]][0]}: the heights of this profile must strictly {order}; "
            "fix the flag or the order of the lines"
        )


def _profile_table(path: Path, records: Records, starts, counts, flags) -> np.ndarray:
    """(lines, 1 + values) array of every profile line, heights checked."""
    body = [records[start + 1 + k] for start, count in zip(starts, counts, strict=True) for k in range(count)]
    if not body:
        raise DataError(f"{path}: every profile is empty (N = 0); expected lines 'z value'")
    numbers = [number for number, _ in body]
    table = _parse_numbers(path, numbers, [fields for _, fields in body], "a profile line 'z value [...]'")
    if table.shape[1] < 2:
        raise DataError(f"{path}:{numbers[0]}: expected a profile line 'z value', got one field")
    if not np.isfinite(table[:, 0]).all():
        bad = int(np.argmin(np.isfinite(table[:, 0])))
        raise DataError(f"{path}:{numbers[bad]}: height {table[bad, 0]} is not a finite number; fix the line")
    if np.any(table[:, 0] > 0):
        bad = int(np.argmax(table[:, 0] > 0))
        raise DataError(
            f"{path}:{numbers[bad]}: height {table[bad, 0]} > 0; expected z < 0 below the surface"
        )
    _check_profile_order(path, records, starts, counts, flags, table[:, 0])
    return table


def read_gotm_profiles(
    path: str | Path, name: str | Sequence[str], columns: int | Sequence[int] | None = None
) -> xr.Dataset:
    """Read a GOTM profile file (blocks of a header ``date time N flag`` and N ``z value`` lines).

    Args:
        path: the text file.
        name: the variable name, or one name per value column read (e.g. ``["u", "v"]``).
        columns: the value column(s) to read, 1-based after z (GOTM's ``column``); default all.

    Returns:
        Dataset with dims (time, z): the z axis is the union of all heights observed in the
        file, sorted bottom-first (m, negative below the surface); a level not observed at a
        time is NaN. Values are unchanged.

    Raises:
        DataError: malformed header or line, wrong line count, heights > 0, heights out of
            the order the flag announces, or times that do not increase strictly.
    """
    path = Path(path)
    records = _records(path)
    if not records:
        raise DataError(f"{path}: no profiles; expected a header {_TIMESTAMP} N flag")
    starts, counts, flags = _profile_headers(path, records)
    headers = [records[i] for i in starts]
    header_lines = [number for number, _ in headers]
    time = _parse_times(path, header_lines, [f[0] for _, f in headers], [f[1] for _, f in headers])
    _check_increasing(path, header_lines, time)
    table = _profile_table(path, records, starts, counts, flags)
    z = table[:, 0]
    table = np.concatenate([table[:, :1], _select_columns(path, table[:, 1:], columns)], axis=1)
    levels = np.unique(z)
    time_index = np.repeat(np.arange(len(starts)), counts)
    level_index = np.searchsorted(levels, z)
    variables = _variable_names(path, name, table.shape[1] - 1)
    data = {}
    for column, variable in enumerate(variables, start=1):
        grid = np.full((len(starts), levels.size), np.nan)
        grid[time_index, level_index] = table[:, column]
        data[variable] = (("time", "z"), grid)
    coords = {"time": time.astype("datetime64[ns]"), "z": ("z", levels, {"units": "m", "positive": "up"})}
    return xr.Dataset(data, coords=coords, attrs={"source": str(path)})


__all__ = ["read_gotm_profiles", "read_gotm_timeseries"]
