"""Files: ONE way to read a design file (:func:`read_design`), ONE way to write a file
atomically (:func:`write_atomic`), and the checks behind them (:func:`check_path`,
:func:`check_budget`). Every refusal is an :class:`~neuwidgets.errors.InvalidValueError`
or :class:`~neuwidgets.errors.InvalidTypeError` naming the file (shortened), what is
wrong and what was expected; nothing here blocks on a pipe or reads a device.
"""
import errno
import math
import numbers
import os
import stat
import tempfile
from pathlib import Path

from .errors import InvalidTypeError, InvalidValueError, shown

__all__ = ["MAX_DESIGN_BYTES", "read_design", "write_atomic", "check_path", "check_writable", "check_budget"]

#: Largest design file :func:`read_design` reads, in bytes (20 MiB: a design with a
#: thousand layers and its custom code is well under 1 MiB).
MAX_DESIGN_BYTES = 20 * 1024 * 1024

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _prefix(where):
    return f"{where}: " if where else ""


def _kind(mode):
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def check_path(path, where=None):
    """``path`` (a ``str`` or ``os.PathLike``) as a :class:`~pathlib.Path`, or a clear error.

    Raises :class:`InvalidTypeError` for anything else (None, a number, bytes) and
    :class:`InvalidValueError` for an empty path, a NUL byte, or characters the file
    system cannot encode (a lone surrogate). ``where`` starts the message (``"load"``).
    Does not touch the file system.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidTypeError(f"{_prefix(where)}expected a file path, got {shown(path)}")
    try:
        text = os.fspath(path)
    except TypeError as exc:
        raise InvalidTypeError(f"{_prefix(where)}expected a file path, got {shown(path)} ({exc})") from None
    if not isinstance(text, str):
        raise InvalidTypeError(f"{_prefix(where)}expected a file path as text, got {shown(path)}")
    if not text:
        raise InvalidValueError(f"{_prefix(where)}expected a file path, got ''")
    if "\0" in text:
        raise InvalidValueError(f"{_prefix(where)}the file path {shown(text)} contains a NUL character; "
                                "expected a file path without one")
    try:
        os.fsencode(text)
    except UnicodeError:
        raise InvalidValueError(f"{_prefix(where)}the file path {shown(text)} has characters the file system "
                                "cannot store (a lone surrogate); expected a file path of valid text") from None
    return Path(text)


def _reason(exc):
    if exc.errno == errno.ELOOP:
        return "a loop of symbolic links"
    return exc.strerror or str(exc)


def read_design(path, where=None):
    """The text of the design file ``path`` (UTF-8, at most :data:`MAX_DESIGN_BYTES`).

    Refuses, without blocking and without reading it, anything that is not a regular
    file (a folder, a named pipe, a device such as ``/dev/zero``, a socket): the path is
    checked with ``stat``, then opened non-blocking and the opened descriptor checked
    again with ``fstat`` (a file swapped in between is caught). Raises
    :class:`InvalidTypeError` for a path that is not ``str``/``os.PathLike`` and
    :class:`InvalidValueError` for a bad path (see :func:`check_path`), a file that
    cannot be read (missing, permission, a symbolic link loop), one that is too large,
    or one that is not text (a NUL byte or invalid UTF-8). ``where`` starts the message.
    """
    path = check_path(path, where)
    cannot = f"{_prefix(where)}cannot read {shown(str(path))}"

    def check(status):
        if not stat.S_ISREG(status.st_mode):
            raise InvalidValueError(f"{cannot}: it is {_kind(status.st_mode)}; expected a design file (JSON text)")
        if status.st_size > MAX_DESIGN_BYTES:
            raise InvalidValueError(f"{cannot}: it holds {status.st_size:,} bytes, more than a design file can "
                                    f"({MAX_DESIGN_BYTES:,}: neuwidgets.files.MAX_DESIGN_BYTES)")
    try:
        check(os.stat(path))  # before opening: opening a named pipe would block
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                         | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(handle, "rb") as file:
            check(os.fstat(handle))  # what was opened, if another file took the path meanwhile
            data = file.read(MAX_DESIGN_BYTES + 1)
    except OSError as exc:
        raise InvalidValueError(f"{cannot}: {_reason(exc)}") from None
    if len(data) > MAX_DESIGN_BYTES:  # it grew while being read
        raise InvalidValueError(f"{cannot}: it holds more than {MAX_DESIGN_BYTES:,} bytes, more than a design file "
                                "can (neuwidgets.files.MAX_DESIGN_BYTES)")
    try:
        if b"\0" in data:
            raise UnicodeDecodeError("utf-8", data, data.index(b"\0"), data.index(b"\0") + 1, "NUL byte")
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidValueError(f"{cannot}: it is not a text file; expected a JSON design (UTF-8 text; byte "
                                f"{exc.start:,} is {data[exc.start:exc.start + 1]!r})") from None


def check_writable(path, where=None):
    """The real path (symbolic links followed) that writing ``path`` would replace, or a
    clear error: :class:`InvalidValueError` when it exists and is not a regular file (a
    folder, a device such as ``/dev/full``, a named pipe), is read-only, or cannot be
    looked at (a symbolic link loop, a name too long, no permission), or when its folder
    does not exist; see :func:`check_path` for the path itself. Creates nothing.

    Returns ``(real path, os.stat_result or None when the file does not exist yet)``.
    A read-only file is refused even for root (who may write it): its mode says "do not
    replace me", and the command line refuses it the same way."""
    path = Path(os.path.realpath(check_path(path, where)))
    try:
        status = os.stat(path)
    except FileNotFoundError:
        status = None
    except OSError as exc:
        raise InvalidValueError(f"{_prefix(where)}cannot write {shown(str(path))}: {_reason(exc)}") from None
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise InvalidValueError(f"{_prefix(where)}{shown(str(path))} is not a regular file (it is "
                                f"{_kind(status.st_mode)}); expected a file path")
    if status is not None and (not status.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
                               or not os.access(path, os.W_OK)):
        raise InvalidValueError(f"{_prefix(where)}cannot write {shown(str(path))}: the file is read-only; "
                                "expected a writable file (make it writable or choose another path)")
    if not path.parent.is_dir():
        raise InvalidValueError(f"{_prefix(where)}cannot write {shown(str(path))}: the folder "
                                f"{shown(str(path.parent))} does not exist")
    return path, status


def write_atomic(path, data, where="save"):
    """Write ``data`` (``str``, written as UTF-8, or ``bytes``) to the file ``path``
    atomically: into a short-named temporary file beside it, flushed to disk, then
    renamed over ``path`` — a crash or a full disk leaves the old file whole and no
    temporary file behind. A symbolic link is written through to its target; an
    existing file keeps its permissions, a new one gets ``0o666`` minus the umask.

    Refuses what :func:`check_writable` refuses (not a regular file, read-only, a
    missing folder, a bad path) before writing anything, and reports a failed write
    ("No space left on device") as :class:`InvalidValueError`; ``where`` starts the
    message (``"save"``).
    """
    path, status = check_writable(path, where)
    if status is not None:
        mode = status.st_mode & 0o7777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    temporary = None
    try:
        # A short name: the temporary file must fit wherever a 255-character name fits.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".nw-", suffix=".tmp")
        os.chmod(temporary, mode)
        with os.fdopen(handle, "wb") as file:
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise InvalidValueError(f"{_prefix(where)}cannot write {shown(str(path))}: {_reason(exc)}") from exc
    except BaseException:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise


def check_budget(value, what):
    """``value`` as a positive ``int``, or None (no budget): for ``max_parameters`` and
    other counts a person sets. Accepts Python and NumPy integers and whole floats
    (``5e8``). Raises :class:`InvalidTypeError` for a bool, a string or other types and
    :class:`InvalidValueError` for NaN, infinity (use None), a fraction, 0 or less.
    ``what`` names the field (``"NetworkBuilder: max_parameters"``)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidTypeError(f"{what} must be a positive whole number or None (no budget), "
                               f"got {type(value).__name__} {shown(value)}")
    if isinstance(value, numbers.Integral):
        value = int(value)
    elif not math.isfinite(value) or not float(value).is_integer():
        raise InvalidValueError(f"{what} must be a positive whole number or None (no budget), got {shown(value)}")
    if value < 1:
        raise InvalidValueError(f"{what} must be a positive whole number or None (no budget), got {shown(value)}")
    return int(value)
