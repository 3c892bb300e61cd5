"""A time limit for running custom code: ONE mechanism, :func:`time_limit`.

Custom initializer code is ordinary Python; code that never returns (``while True:
pass``, a sleep, a wait) would block the builder, ``trust()`` and ``render --trust``
forever. Run it inside ``with time_limit(seconds, what):`` and it is interrupted after
``seconds`` with :class:`~neuwidgets.errors.CodeTimeoutError`::

    from neuwidgets import limits

    with limits.time_limit(limits.CODE_TIME_LIMIT, "Gamma initializer of layer 'relu-1'"):
        value = initializer.sample(shape)

or ``with limits.code_time_limit("Gamma initializer of layer 'relu-1'"):``, which reads
:data:`CODE_TIME_LIMIT` when it starts.

How it interrupts:

- On the main thread: ``signal.setitimer(ITIMER_REAL)`` and a ``SIGALRM`` handler that
  raises. This interrupts Python code and ``time.sleep``. A timer and handler set
  before are restored on exit (a timer with the time it had left, paused meanwhile).
  Limits nest: the earliest deadline wins and names its own ``what``.
- On any other thread (where signals cannot be used): a watchdog thread raises the
  error in the running thread with ``PyThreadState_SetAsyncExc``. This interrupts
  Python code only, between two bytecodes.

Neither can interrupt a blocking C call (a long TensorFlow or NumPy operation, a read
from a pipe; on other threads also ``time.sleep``): the error is raised when it returns.
Code that catches the error and carries on is interrupted again every
:data:`REPEAT` seconds until it leaves the ``with`` block. A limit covers its block while
the frame that runs the ``with`` statement runs: in a generator or coroutine suspended
inside the block, a limit that comes due meanwhile is dropped, and the block runs on
without one when resumed.

One known hazard, not of this module's making: an interruption that lands in Python code
TensorFlow calls back from C++ (while it makes a tensor) can crash the process, as any
exception raised there by a signal handler does. Custom code that runs TensorFlow ops in
a loop past its limit may therefore end the kernel instead of stopping with the error;
such code stops cleanly when its loop is NumPy or plain Python.
"""
import ctypes
import math
import numbers
import signal
import sys
import threading
import time

from .errors import CodeTimeoutError, InvalidTypeError, InvalidValueError, shown

__all__ = ["CODE_TIME_LIMIT", "REPEAT", "time_limit", "code_time_limit", "check_time_limit"]

#: Seconds custom code may run per call (sampling one parameter, defining the classes of
#: a design) before it is stopped: a positive finite number, or None for no limit.
#: Change it at run time: ``neuwidgets.limits.CODE_TIME_LIMIT = 60``.
CODE_TIME_LIMIT = 10.0
#: Seconds between repeated interruptions of code that caught the first one.
REPEAT = 0.1

_HOW = "raise the limit with neuwidgets.limits.CODE_TIME_LIMIT = <seconds> (None: no limit)"


def check_time_limit(seconds, what="the time limit"):
    """``seconds`` as a float, or None (no limit); :class:`InvalidTypeError` for a bool,
    text or other non-numbers, :class:`InvalidValueError` for NaN, infinity (use None),
    0 or less. ``what`` names the field in the message."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
        raise InvalidTypeError(f"{what} must be a positive number of seconds or None (no limit), "
                               f"got {type(seconds).__name__} {shown(seconds)}")
    try:
        value = float(seconds)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value) or value <= 0:
        raise InvalidValueError(f"{what} must be a positive finite number of seconds or None (no limit), "
                                f"got {shown(seconds)}")
    return value


class _Interrupt(BaseException):
    """Raised inside the limited code. A BaseException, like KeyboardInterrupt, so that the
    code's own ``except Exception`` does not swallow it; the ``with`` block of its limit
    turns it into a :class:`CodeTimeoutError`."""

    limit = None

    def __init__(self, *args):
        super().__init__(type(self).limit.message)


class _Limit:
    stop = None  # the function that stops it, set before it starts

    def __init__(self, seconds, what, how, owner):
        self.seconds, self.deadline = seconds, time.monotonic() + seconds
        self.fired = None  # when it last came due (interrupting, or held back)
        self.owner = owner  # the frame running the ``with`` statement: a limit is live only while it runs
        self.message = (f"{what} ran longer than the time limit of {seconds:g} s and was stopped; expected it "
                        f"to finish within {seconds:g} s: make it faster or {how}")
        # an exception class of its own: the watchdog can only name a class, and nested
        # limits must tell whose interruption passes through them
        self.interrupt = type("CodeTimeout", (_Interrupt,), {"limit": self})


def _stack(frame):
    """The frames from ``frame`` outwards."""
    while frame is not None:
        yield frame
        frame = frame.f_back


def _may_interrupt(limit, frames):
    """Whether ``limit`` may interrupt a thread whose stack is ``frames`` now: False while a
    ``time_limit`` is leaving (its clean-up must finish, or the limit would outlive its
    block); None when the limit is stale: its ``with`` statement is no longer running."""
    if limit.owner not in frames:
        return None
    return all(frame.f_code is not _EXIT for frame in frames)


# -- main thread: SIGALRM --------------------------------------------------------------------------
_active = []      # the main thread's limits, outermost first
_saved = None     # (handler, remaining delay, interval, when) of whatever was there before the outermost


def _on_alarm(signum, frame):
    now, frames = time.monotonic(), list(_stack(frame))
    allowed = {id(limit): _may_interrupt(limit, frames) for limit in _active}
    for limit in [limit for limit in _active if allowed[id(limit)] is None]:
        _leave(limit)
    due = [limit for limit in _active if limit.deadline <= now + 1e-4]
    for limit in due:  # the next alarm comes after REPEAT
        limit.fired = now
    _arm()
    if due and allowed[id(due[0])]:  # the outermost that is due: its whole block is over time
        raise due[0].interrupt()


def _arm():
    """Set the timer to the next deadline (REPEAT after a fired one) of the active limits."""
    if not _active:
        return
    delay = min(limit.deadline if limit.fired is None else limit.fired + REPEAT for limit in _active) - time.monotonic()
    if delay > 0 or not signal.getitimer(signal.ITIMER_REAL)[0]:  # setting a due alarm again would put it off
        signal.setitimer(signal.ITIMER_REAL, max(delay, 1e-4))


def _signal_limit(limit):
    """Start ``limit`` on the main thread."""
    global _saved
    limit.stop = lambda: _leave(limit)
    if not _active:  # the timer paused first: its alarm cannot come to this handler
        delay, interval = signal.setitimer(signal.ITIMER_REAL, 0)
        _saved = (signal.signal(signal.SIGALRM, _on_alarm), delay, interval, time.monotonic())
    _active.append(limit)
    _arm()


def _leave(limit):
    """Stop ``limit`` if it still runs; after the last, restore the handler and timer that
    were there before."""
    global _saved
    if limit not in _active:  # stopped already (stale, or stopped again)
        return
    _active.remove(limit)  # first: an alarm handled from here on finds it gone
    if _active:
        _arm()
        return
    handler, delay, interval, since = _saved
    _saved = None
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, handler)
    if delay > 0:  # with the time it had left; one that came due meanwhile fires now
        signal.setitimer(signal.ITIMER_REAL, max(delay - (time.monotonic() - since), 1e-4), interval)


# -- other threads: a watchdog ----------------------------------------------------------------------
_starting = threading.Lock()  # held while a watchdog starts; none interrupts meanwhile (see _watchdog_limit)


def _set_async(thread_id, exception):
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id),
                                               None if exception is None else ctypes.py_object(exception))


def _watchdog_limit(limit):
    """Start ``limit`` on this (not the main) thread."""
    target, lock, done = threading.get_ident(), threading.Lock(), threading.Event()

    def watch():
        wait = limit.seconds
        while not done.wait(wait):
            with lock, _starting:
                if done.is_set():
                    return
                allowed = _may_interrupt(limit, list(_stack(sys._current_frames().get(target))))
                if allowed is None:
                    return
                limit.fired = time.monotonic()
                if allowed:
                    _set_async(target, limit.interrupt)
            wait = REPEAT

    def leave():  # stop the watchdog and drop an interruption set but not raised yet
        with lock:
            done.set()
            if limit.fired is not None:
                _set_async(target, None)

    limit.stop = leave
    # CPython 3.11 gives a thread its starter's id until it runs: an interruption set for the
    # starter meanwhile would go to the new thread, which dies, and its starter waits forever
    with _starting:
        threading.Thread(target=watch, name="neuwidgets time limit", daemon=True).start()


class time_limit:
    """Context manager: interrupt the code in the ``with`` block after ``seconds`` (a
    positive number, or None for no limit) with a :class:`CodeTimeoutError` whose message
    names ``what`` (``"Gamma initializer of layer 'relu-1'"``), the limit, and ``how`` to
    raise it (default: set :data:`CODE_TIME_LIMIT`). The clock starts when the block does.

    On the main thread by ``SIGALRM`` (previous handler and timer restored), elsewhere by
    a watchdog thread; see the module's notes for what neither can interrupt. Raises
    :class:`InvalidValueError` / :class:`InvalidTypeError` for a bad ``seconds``.
    """

    def __init__(self, seconds, what, how=_HOW):
        self.seconds, self.what, self.how = check_time_limit(seconds, "time_limit: seconds"), what, how
        self._limit = None

    def __enter__(self):
        if self.seconds is None:
            return self
        self._limit = _Limit(self.seconds, self.what, self.how, sys._getframe(1))
        main = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
        try:
            (_signal_limit if main else _watchdog_limit)(self._limit)
        except BaseException as exc:  # interrupted while starting (by this limit or an outer one): undo the start
            self.__exit__(type(exc), exc, exc.__traceback__)
            raise
        return self

    def __exit__(self, kind, value, traceback):
        # interruptions wait while this runs (see _may_interrupt)
        limit, self._limit = self._limit, None
        if limit is None:
            return False
        while limit.stop is not None:  # an interruption arriving anyway is dropped and stopping retried
            try:
                limit.stop()
                limit.stop = None
            except _Interrupt:
                continue
        limit.owner = None
        if kind is not None and issubclass(kind, limit.interrupt):
            raise CodeTimeoutError(limit.message) from None
        return False


_EXIT = time_limit.__exit__.__code__


def code_time_limit(what, how=_HOW):
    """:func:`time_limit` with :data:`CODE_TIME_LIMIT` as it is now; raises
    :class:`InvalidValueError` / :class:`InvalidTypeError` naming
    ``neuwidgets.limits.CODE_TIME_LIMIT`` when it was set to something else than a
    positive number or None."""
    return time_limit(check_time_limit(CODE_TIME_LIMIT, "neuwidgets.limits.CODE_TIME_LIMIT"), what, how)
