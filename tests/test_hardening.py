"""Hostile input (the hardening issue): files that are not files, numbers that do not fit
float32, custom code that never returns, statistics that would not fit in memory. Every
refusal is a NeuwidgetsError naming the field, the value given (shortened) and what was
expected."""
import os
import signal
import sys
import threading
import time

import numpy as np
import pytest

from neuwidgets import Input, Linear, NetworkBuilder, Relu, Tanh, files, init, join, limits, plotting, stats
from neuwidgets.errors import (CodeTimeoutError, InvalidTypeError, InvalidValueError, NeuwidgetsError, ShapeError,
                               shown)

from _designs import small


def refused(error, call, *args, **kwargs):
    """The message of the ``error`` that ``call`` raises; every message stays short."""
    with pytest.raises(error) as caught:
        call(*args, **kwargs)
    message = str(caught.value)
    assert len(message) < 400, message
    return message


def finishes(call, seconds=5):
    """Run ``call`` in a thread: what it returned or raised, failing if it blocks."""
    outcome = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: B902 - handed back to the test
            outcome["error"] = exc
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"{call} blocked for {seconds} s"
    return outcome


# -- shown: values in messages ---------------------------------------------------------------------
def test_shown_shortens_long_values_keeping_both_ends():
    assert shown("short.json") == "'short.json'"
    long = shown("/tmp/" + "x" * 300 + "/design.json")
    assert len(long) == 80 and long.startswith("'/tmp/xxx") and long.endswith("/design.json'") and "…" in long
    assert shown(10 ** 400) == "an integer of 401 digits"
    assert shown(10 ** 5000) == "an integer of 5,001 digits"  # repr() itself refuses over 4,300 digits
    assert shown(list(range(10 ** 6))) == "[0, 1, 2, 3, 4, 5, ...]"


# -- files.read_design --------------------------------------------------------------------------------
def test_read_design_reads_a_text_file(tmp_path):
    (tmp_path / "d.json").write_text('{"format": 1, "name": "é"}', encoding="utf-8")
    assert files.read_design(tmp_path / "d.json") == '{"format": 1, "name": "é"}'
    assert files.read_design(str(tmp_path / "d.json"), where="load").startswith('{"format"')


def test_read_design_refuses_what_is_not_a_regular_file_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    for path, kind in ((tmp_path / "pipe", "a named pipe (FIFO)"), ("/dev/zero", "a character device"),
                       (tmp_path, "a folder")):
        outcome = finishes(lambda: files.read_design(path, where="load"))
        assert isinstance(outcome.get("error"), InvalidValueError), outcome
        assert str(outcome["error"]) == (f"load: cannot read {str(path)!r}: it is {kind}; expected a design file "
                                         "(JSON text)")


def test_read_design_checks_the_opened_file_too(tmp_path, monkeypatch):
    """A FIFO swapped in after the first look is caught on the opened descriptor."""
    os.mkfifo(tmp_path / "pipe")
    regular = os.stat(__file__)
    real_stat = os.stat
    monkeypatch.setattr(files.os, "stat", lambda path, *a, **k: regular if str(path).endswith("pipe")
                        else real_stat(path, *a, **k))
    outcome = finishes(lambda: files.read_design(tmp_path / "pipe"))
    assert str(outcome["error"]).endswith("it is a named pipe (FIFO); expected a design file (JSON text)")


def test_read_design_refuses_large_and_binary_files(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_DESIGN_BYTES", 100)
    (tmp_path / "big.json").write_text("x" * 200)
    assert refused(InvalidValueError, files.read_design, tmp_path / "big.json") == (
        f"cannot read {str(tmp_path / 'big.json')!r}: it holds 200 bytes, more than a design file can "
        "(100: neuwidgets.files.MAX_DESIGN_BYTES)")
    (tmp_path / "nul.json").write_bytes(b'{"a": 1}\x00')
    assert refused(InvalidValueError, files.read_design, tmp_path / "nul.json") == (
        f"cannot read {str(tmp_path / 'nul.json')!r}: it is not a text file; expected a JSON design (UTF-8 text; "
        "byte 8 is b'\\x00')")
    (tmp_path / "latin.json").write_bytes(b'{"a": "\xe9"}')
    assert "it is not a text file; expected a JSON design (UTF-8 text; byte 7 is b'\\xe9')" in refused(
        InvalidValueError, files.read_design, tmp_path / "latin.json")


def test_read_design_refuses_bad_paths_with_clear_errors(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    assert refused(InvalidValueError, files.read_design, tmp_path / "a") == (
        f"cannot read {str(tmp_path / 'a')!r}: a loop of symbolic links")
    assert refused(InvalidValueError, files.read_design, "d\0.json", where="load") == (
        "load: the file path 'd\\x00.json' contains a NUL character; expected a file path without one")
    assert refused(InvalidValueError, files.read_design, "\ud800.json") == (
        "the file path '\\ud800.json' has characters the file system cannot store (a lone surrogate); "
        "expected a file path of valid text")
    assert refused(InvalidTypeError, files.read_design, 123, where="load") == "load: expected a file path, got 123"
    assert refused(InvalidTypeError, files.read_design, None) == "expected a file path, got None"
    assert refused(InvalidValueError, files.read_design, "") == "expected a file path, got ''"
    missing = tmp_path / ("x" * 300) / "design.json"
    message = refused(InvalidValueError, files.read_design, missing)
    assert message.startswith("cannot read '/") and "…" in message and message.endswith(
        "/design.json': File name too long")


def test_load_in_the_builder_uses_read_design(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    builder = NetworkBuilder(small(), plots=False)
    outcome = finishes(lambda: builder.load(tmp_path / "pipe"))
    assert str(outcome["error"]) == (f"load: cannot read {str(tmp_path / 'pipe')!r}: it is a named pipe (FIFO); "
                                     "expected a design file (JSON text)")


# -- files.write_atomic ---------------------------------------------------------------------------------
def test_write_atomic_writes_text_and_bytes_and_leaves_no_temporary_file(tmp_path):
    files.write_atomic(tmp_path / "a.json", "é")
    files.write_atomic(tmp_path / "b.png", b"\x89PNG")
    assert (tmp_path / "a.json").read_bytes() == "é".encode() and (tmp_path / "b.png").read_bytes() == b"\x89PNG"
    name = "n" * 250 + ".json"  # the longest name a file system takes: the temporary name is short
    files.write_atomic(tmp_path / name, "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.png", name]
    assert refused(InvalidValueError, files.write_atomic, tmp_path / ("n" * 256), "{}") == (
        f"save: cannot write {shown(str(tmp_path / ('n' * 256)))}: File name too long")


def test_write_atomic_refuses_read_only_files_devices_and_bad_paths(tmp_path):
    read_only = tmp_path / "kept.json"
    read_only.write_text("old")
    read_only.chmod(0o444)  # refused even for root, like the command line
    assert refused(InvalidValueError, files.write_atomic, read_only, "new") == (
        f"save: cannot write {str(read_only)!r}: the file is read-only; expected a writable file (make it "
        "writable or choose another path)")
    assert read_only.read_text() == "old"
    assert refused(InvalidValueError, files.write_atomic, "/dev/full", "x") == (
        "save: '/dev/full' is not a regular file (it is a character device); expected a file path")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    assert refused(InvalidValueError, files.write_atomic, tmp_path / "a", "x") == (
        f"save: cannot write {str(tmp_path / 'a')!r}: a loop of symbolic links")
    assert refused(InvalidValueError, files.write_atomic, str(tmp_path / "d\0.json"), "x").startswith(
        "save: the file path '") and "contains a NUL character" in refused(
        InvalidValueError, files.write_atomic, str(tmp_path / "d\0.json"), "x")
    assert refused(InvalidValueError, files.write_atomic, tmp_path / "no" / "d.json", "x") == (
        f"save: cannot write {str(tmp_path / 'no' / 'd.json')!r}: the folder {str(tmp_path / 'no')!r} does not exist")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "kept.json"]


def test_builder_save_refuses_a_read_only_file(tmp_path):
    path = tmp_path / "d.json"
    path.write_text("{}")
    path.chmod(0o444)
    builder = NetworkBuilder(small(), plots=False)
    assert "the file is read-only" in refused(InvalidValueError, builder.save, path)
    assert path.read_text() == "{}"


# -- files.check_budget (for max_parameters) -----------------------------------------------------------
def test_check_budget():
    what = "NetworkBuilder: max_parameters"
    assert files.check_budget(None, what) is None
    assert files.check_budget(np.int64(10), what) == 10 and type(files.check_budget(np.int64(10), what)) is int
    assert files.check_budget(5e8, what) == 500_000_000
    for value, error, got in ((float("nan"), InvalidValueError, "nan"), (float("inf"), InvalidValueError, "inf"),
                              (0, InvalidValueError, "0"), (-5, InvalidValueError, "-5"),
                              (1.5, InvalidValueError, "1.5"), ("abc", InvalidTypeError, "str 'abc'"),
                              (True, InvalidTypeError, "bool True")):
        assert refused(error, files.check_budget, value, what) == (
            f"{what} must be a positive whole number or None (no budget), got {got}")


# -- limits.time_limit -------------------------------------------------------------------------------------
def spin():
    while True:
        pass


def swallowing():
    """Custom code that catches every Exception and carries on."""
    while True:
        try:
            spin()
        except Exception:
            pass


def timed(call):
    start = time.monotonic()
    with pytest.raises(CodeTimeoutError) as caught:
        call()
    return time.monotonic() - start, str(caught.value)


def limited(seconds, what, body):
    def run():
        with limits.time_limit(seconds, what):
            body()
    return run


def test_time_limit_stops_a_busy_loop_a_sleep_and_code_that_swallows_errors():
    for body in (spin, lambda: time.sleep(30), swallowing):
        elapsed, message = timed(limited(0.2, "Gamma initializer of layer 'relu-1'", body))
        assert 0.19 < elapsed < 1.5
        assert message == ("Gamma initializer of layer 'relu-1' ran longer than the time limit of 0.2 s and was "
                           "stopped; expected it to finish within 0.2 s: make it faster or raise the limit with "
                           "neuwidgets.limits.CODE_TIME_LIMIT = <seconds> (None: no limit)")
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL and signal.getitimer(signal.ITIMER_REAL) == (0, 0)


def test_time_limit_lets_quick_code_finish_and_none_means_no_limit():
    with limits.time_limit(5, "quick"):
        value = sum(range(1000))
    with limits.time_limit(None, "unlimited"):
        time.sleep(0.05)
    assert value == 499500 and signal.getitimer(signal.ITIMER_REAL) == (0, 0)


def test_nested_time_limits_the_earliest_deadline_wins():
    elapsed, message = timed(limited(0.2, "outer", limited(10, "inner", spin)))
    assert elapsed < 1.5 and message.startswith("outer ran longer than the time limit of 0.2 s")
    with limits.time_limit(10, "outer"):
        elapsed, message = timed(limited(0.1, "inner", spin))
        assert message.startswith("inner ran longer") and 9 < signal.getitimer(signal.ITIMER_REAL)[0] <= 10
        time.sleep(0.05)  # the outer limit is still running, and not fired
    assert signal.getitimer(signal.ITIMER_REAL) == (0, 0)


def test_time_limit_restores_the_previous_handler_and_timer():
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with limits.time_limit(5, "quick"):
            time.sleep(0.1)
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 0.3 < remaining < 0.45  # paused meanwhile, then re-armed with what it had left
        assert fired == []
        time.sleep(0.6)
        assert fired == [signal.SIGALRM]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_time_limit_in_a_thread_stops_python_code():
    outcomes = []

    def work(body):
        start = time.monotonic()
        try:
            with limits.time_limit(0.2, "thread code"):
                body()
        except CodeTimeoutError as exc:
            outcomes.append((type(exc) is CodeTimeoutError, time.monotonic() - start, str(exc)[:40]))

    for body in (spin, swallowing):
        worker = threading.Thread(target=work, args=(body,))
        worker.start()
        worker.join(5)
        assert not worker.is_alive()
    assert [(exact, text) for exact, _, text in outcomes] == [(True, "thread code ran longer than the time lim")] * 2
    assert all(0.19 < seconds < 1.5 for _, seconds, _ in outcomes)
    with limits.time_limit(5, "quick in the main thread"):  # a finished limit leaves nothing behind
        time.sleep(0.3)


def test_time_limit_never_outlives_its_block():
    """Interruptions arriving while a limit is leaving wait for it to finish, so a repeated
    interruption never escapes raw nor leaves the limit running (CI once saw one fire at the
    end of the session); a limit whose block was left without clean-up is dropped."""
    for _ in range(40):
        for body in (spin, swallowing):
            elapsed, message = timed(limited(0.02, "x", body))
            assert message.startswith("x ran longer") and not limits._active
    assert signal.getsignal(signal.SIGALRM) == signal.SIG_DFL and signal.getitimer(signal.ITIMER_REAL) == (0, 0)

    def started_only():
        limits.time_limit(0.05, "abandoned").__enter__()
    started_only()
    time.sleep(0.3)  # its alarm comes outside its block: nothing is raised, and it is gone
    assert not limits._active and signal.getsignal(signal.SIGALRM) == signal.SIG_DFL
    assert signal.getitimer(signal.ITIMER_REAL) == (0, 0)


def busy(seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass


def swallowed_interruptions(window, *seconds):
    """When nested limits of ``seconds`` interrupted code that swallows every interruption
    (``except BaseException``) for ``window`` seconds (seconds since the start)."""
    times, start = [], time.monotonic()

    def nest(seconds):
        if seconds:
            with limits.time_limit(seconds[0], "x"):
                nest(seconds[1:])
            return
        while time.monotonic() - start < window:
            try:
                time.sleep(0.01)
            except BaseException:  # noqa: B902 - custom code that swallows everything
                times.append(time.monotonic() - start)
    nest(seconds)
    return times


def test_time_limit_interrupts_code_that_carries_on_every_repeat_seconds():
    """The first interruption was followed by another 0.1 ms later (landing in the code's own
    clean-up, or in a limit leaving), and nested limits coming due together went on every
    0.1 ms."""
    times = swallowed_interruptions(0.33, 0.05)
    assert len(times) == 3 and 0.045 < times[0] < 0.2
    assert all(0.09 < later - earlier < 0.5 for earlier, later in zip(times, times[1:])), times
    assert 1 <= len(swallowed_interruptions(0.33, 0.05, 0.05)) <= 5
    assert not limits._active and signal.getitimer(signal.ITIMER_REAL) == (0, 0)


def test_an_alarm_while_the_last_limit_leaves_sets_no_timer(monkeypatch):
    """An alarm handled while the last limit left, just after it stopped the timer, set the
    timer again: once the default handler was back, that alarm would end the process."""
    setitimer, leaving = signal.setitimer, limits.time_limit.__exit__.__code__

    def alarm_just_after(which, seconds, interval=0.0):
        before = setitimer(which, seconds, interval)
        if seconds == 0 and any(frame.f_code is leaving for frame in limits._stack(sys._getframe())):
            limits._on_alarm(signal.SIGALRM, sys._getframe(1))
        return before
    monkeypatch.setattr(signal, "setitimer", alarm_just_after)
    try:
        with limits.time_limit(5, "x"):
            pass
    finally:
        left = setitimer(signal.ITIMER_REAL, 0)
    assert left == (0, 0) and not limits._active and signal.getsignal(signal.SIGALRM) == signal.SIG_DFL


def test_time_limit_interrupted_while_it_starts_stops_what_it_started(monkeypatch):
    """An interruption while a limit starts (its own on a busy machine, or an outer limit's)
    raises CodeTimeoutError and stops the limit: the own one escaped raw, and on a thread the
    watchdog of the limit went on, interrupting the code after its block."""
    for name in ("_signal_limit", "_watchdog_limit"):
        def slow_start(limit, start=getattr(limits, name)):
            start(limit)
            if limit.message.startswith(("own", "inner")):  # the machine is busy as it starts
                busy(0.1)
        monkeypatch.setattr(limits, name, slow_start)

    def own():
        with limits.time_limit(0.03, "own"):
            pass

    def outer_then_on():
        with pytest.raises(CodeTimeoutError, match="^outer ran longer"):
            with limits.time_limit(0.03, "outer"):
                with limits.time_limit(0.2, "inner"):
                    pass
        busy(0.3)  # the inner limit is stopped: nothing comes
        return "carried on"

    assert refused(CodeTimeoutError, own).startswith("own ran longer") and outer_then_on() == "carried on"
    assert not limits._active and signal.getitimer(signal.ITIMER_REAL) == (0, 0)
    assert str(finishes(own)["error"]).startswith("own ran longer")
    assert finishes(outer_then_on) == {"value": "carried on"}


def test_time_limit_stops_a_thread_that_starts_limits_in_a_loop():
    """An outer limit stops a thread entering and leaving inner limits in a loop (one per custom
    initializer while building): an interruption set while the thread started a watchdog went to
    the new watchdog thread (CPython 3.11 gives it its starter's id until it runs), which died,
    and the thread waited for it forever."""
    def churn():
        start = time.monotonic()
        with limits.time_limit(0.03, "outer"):
            while time.monotonic() - start < 2:
                with limits.time_limit(5, "inner"):
                    pass
    for _ in range(40):  # it came about once in twenty
        assert str(finishes(churn, 3)["error"]).startswith("outer ran longer")


def test_time_limit_comes_due_while_the_timer_is_set_again_and_again():
    """Each limit that starts or leaves sets the timer again (``_arm``); once an alarm was due,
    that put it off by 0.1 ms each time, so a loop starting limits faster was never stopped."""
    for _ in range(3):  # it came, late, when the machine paused the loop for 0.1 ms
        start = time.monotonic()
        with pytest.raises(CodeTimeoutError):
            with limits.time_limit(0.05, "outer"):
                while time.monotonic() - start < 1:
                    limits._arm()  # as inner limits starting and leaving in a fast loop do
        assert time.monotonic() - start < 0.15 and signal.getitimer(signal.ITIMER_REAL) == (0, 0)


def test_a_limit_dropped_in_a_suspended_generator_leaves_the_timer_before_it_running():
    """A generator suspended in a limit loses it when it comes due (see the module's notes);
    finishing later, it stopped the timer that was there before the limit, restored meanwhile."""
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: None)

    def limited():
        with limits.time_limit(0.05, "generator"):
            yield
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        suspended = limited()
        next(suspended)
        time.sleep(0.1)  # due while suspended: dropped
        assert not limits._active and signal.getsignal(signal.SIGALRM) is not limits._on_alarm
        suspended.close()
        assert 0.2 < signal.getitimer(signal.ITIMER_REAL)[0] < 0.45
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_time_limit_values_are_checked(monkeypatch):
    for value, error, got in ((0, InvalidValueError, "0"), (-1, InvalidValueError, "-1"),
                              (float("nan"), InvalidValueError, "nan"), (float("inf"), InvalidValueError, "inf"),
                              ("10", InvalidTypeError, "str '10'"), (True, InvalidTypeError, "bool True")):
        message = refused(error, lambda: limits.time_limit(value, "x").__enter__())
        assert message.startswith("time_limit: seconds must be a positive") and message.endswith(f"got {got}")
    monkeypatch.setattr(limits, "CODE_TIME_LIMIT", -3)
    assert refused(InvalidValueError, lambda: limits.code_time_limit("x").__enter__()) == (
        "neuwidgets.limits.CODE_TIME_LIMIT must be a positive finite number of seconds or None (no limit), got -3")
    monkeypatch.setattr(limits, "CODE_TIME_LIMIT", 0.1)  # read when the block starts

    def custom_code():
        with limits.code_time_limit("custom code"):
            spin()
    elapsed, message = timed(custom_code)
    assert message.startswith("custom code ran longer than the time limit of 0.1 s") and elapsed < 1.5


# -- init: numbers ---------------------------------------------------------------------------------------------
def test_numpy_scalars_are_stored_as_plain_python_numbers():
    normal = init.Normal(mean=np.float64(0.5), std=np.float32(0.1), seed=np.int64(7))
    assert (normal.mean, normal.std, normal.seed) == (0.5, 0.1, 7)
    assert [type(v) for v in (normal.mean, normal.std, normal.seed)] == [float, float, int]
    assert repr(normal) == "Normal(mean=0.5, std=0.1, seed=7)"
    assert init.Constant(np.int64(7)).get_config() == {"name": "Constant", "params": {"value": 7}}
    assert type(init.Constant(np.int64(7)).value) is int
    assert init.HeNormal(gain=np.float16(2)).gain == 2.0


@pytest.mark.parametrize("make, error, message", [
    (lambda: init.TruncatedNormal(std=1e-320), InvalidValueError,
     "TruncatedNormal: std is too small for float32, got 1e-320; expected at least 1.175e-38 (a subnormal std "
     "samples zeros)"),
    (lambda: init.Constant(10 ** 400), InvalidValueError,
     "Constant: value must fit in float32 (|value| at most 3.403e+38), got an integer of 401 digits"),
    (lambda: init.Constant(1e300), InvalidValueError,
     "Constant: value must fit in float32 (|value| at most 3.403e+38), got 1e+300"),
    (lambda: init.HeNormal(gain=4e38), InvalidValueError,
     "HeNormal: gain must fit in float32 (|gain| at most 3.403e+38), got 4e+38"),
    (lambda: init.Constant(True), InvalidTypeError, "Constant: value must be a number, got True"),
    (lambda: init.Orthogonal(scale=np.True_), InvalidTypeError, "Orthogonal: scale must be a number, got np.True_"),
    (lambda: init.Normal(seed=-1), InvalidValueError,
     "Normal: seed must be None or an integer from 0 to 2**63 - 1, got -1"),
    (lambda: init.Normal(seed=10 ** 400), InvalidValueError,
     "Normal: seed must be None or an integer from 0 to 2**63 - 1, got an integer of 401 digits"),
    (lambda: init.Uniform(1, 1 + 1e-9), InvalidValueError,
     "Uniform: minval and maxval must differ in float32, got minval=1, maxval=1.000000001; expected bounds further "
     "apart"),
    (lambda: init.Uniform(-3e38, 3e38), InvalidValueError,
     "Uniform: maxval - minval must fit in float32 (at most 3.403e+38), got minval=-3e+38, maxval=3e+38"),
    (lambda: init.Normal(mean=3e38, std=1e37), InvalidValueError,
     "Normal: mean ± 7·std must fit in float32 (at most 3.403e+38), got mean=3e+38, std=1e+37"),
    (lambda: init.TruncatedNormal(mean=-3e38, std=5e37), InvalidValueError,
     "TruncatedNormal: mean ± 2·std must fit in float32 (at most 3.403e+38), got mean=-3e+38, std=5e+37"),
    (lambda: init.Normal().sample((10 ** 6, 10 ** 6)), InvalidValueError,
     "shape (1000000, 1000000) holds 1000000000000 values, more than 2,147,483,647 (neuwidgets.init.MAX_SIZE); "
     "expected a smaller shape"),
])
def test_numbers_that_do_not_fit_float32_are_refused(make, error, message):
    assert refused(error, make) == message


def test_numbers_at_the_edges_of_float32_are_kept():
    assert init.Constant(-3.4e38).value == -3.4e38 and init.Constant(7e-39).value == 7e-39  # exact, subnormal
    assert init.Normal(std=2e-38).std == 2e-38 and init.Orthogonal(scale=0).scale == 0
    values = init.Uniform(1e7, 1e7 + 4, seed=1).sample((1000,)).numpy()
    assert values.min() >= 1e7 and values.max() <= 1e7 + 4


# -- stats and plots ---------------------------------------------------------------------------------------------
def test_statistics_of_large_constants():
    network = join(Input(3), Linear(2, weight=init.Constant(1e7), bias=init.Constant(-3.4e38)))
    weight, bias = stats.weight_stats(network)
    assert (weight.min, weight.max, weight.std, weight.counts.sum()) == (1e7, 1e7, 0.0, 6)
    assert (weight.edges[0], weight.edges[-1]) == (1e7 - 1e4, 1e7 + 1e4)  # ±max(0.5, |v|·1e-3)
    assert bias.counts.sum() == 2 and np.isfinite(bias.edges).all() and bias.edges[0] == bias.min
    wide = stats.weight_stats(join(Input(50), Linear(40, weight=init.Normal(std=1e20, seed=1))))[0]
    assert 0.9e20 < wide.std < 1.1e20 and abs(wide.mean) < 1e19  # the float32 sums overflow: scaled


def test_plots_and_the_builder_draw_large_constants():
    network = join(Input(3), Relu(2, weight=init.Constant(1e7)))
    assert len(plotting.plot_weight_distributions(network).axes) == 2
    builder = NetworkBuilder(join(Input(3), Relu(2, weight=init.Constant(1e7))))
    assert builder.notice.get("ok", True) is True and len(builder.panels) == 2


def test_activation_stats_checks_its_seed():
    network = join(Input(3), Tanh(2, weight=init.Normal(std=1.0, seed=1)))
    for seed in (-1, 1.5, "x", True):
        assert refused(InvalidValueError, stats.activation_stats, network, seed=seed) == (
            f"seed must be None or a non-negative integer, got {shown(seed)}")
    assert stats.activation_stats(network, n_samples=5, seed=np.int64(3))[0].std == \
        stats.activation_stats(network, n_samples=5, seed=3)[0].std


def test_activation_memory_is_budgeted_before_anything_is_allocated(monkeypatch):
    wide = join(Input(40_000_000), Linear(1))  # 40M parameters: within the command line's budget
    assert stats.activation_memory(wide, 1000) == 4 * 3 * 1000 * 40_000_001
    assert refused(InvalidValueError, stats.activation_stats, wide) == (
        "activation statistics of 1,000 samples (40,000,001 values each, across the layers) need about 447.0 GiB, "
        "more than the limit of 2.0 GiB; use fewer samples (at most 4 fit), or raise "
        "neuwidgets.stats.ACTIVATION_MEMORY_LIMIT")
    assert wide.layers[1]._variables == {}  # refused before the weight was even sampled
    small_network = join(Input(3), Tanh(2))
    monkeypatch.setattr(stats, "ACTIVATION_MEMORY_LIMIT", 100)
    assert refused(InvalidValueError, stats.activation_stats, small_network, inputs=np.zeros((10, 3))).endswith(
        "need about 600 bytes, more than the limit of 100 bytes; use fewer samples (at most 1 fit), or raise "
        "neuwidgets.stats.ACTIVATION_MEMORY_LIMIT")
    monkeypatch.setattr(stats, "ACTIVATION_MEMORY_LIMIT", None)
    assert len(stats.activation_stats(small_network, n_samples=10)) == 1


def test_plot_arguments_are_checked():
    network = join(Input(3), Relu(2))
    for value in ("x", 0, 1.5, True):
        assert refused(InvalidValueError, plotting.plot_weight_distributions, network, ncols=value) == (
            f"ncols must be None or a positive integer, got {shown(value)}")
    assert refused(InvalidValueError, plotting.plot_weight_distributions, network, max_panels=-1) == (
        "max_panels must be None or a positive integer, got -1")


def test_a_large_network_gets_a_bounded_weight_figure():
    network = join(Input(2), *[Tanh(2, name=f"t{i}") for i in range(30)])  # 60 variables
    figure = plotting.plot_weight_distributions(network)
    summary, *panels = figure.axes
    assert len(panels) == 24 and summary.get_title(loc="left") == (
        "std of every parameter (60) by layer; zeros (constants) left out")
    titles = [panel.get_title(loc="left") for panel in panels]
    assert titles[:2] == ["weight of t0", "bias of t0"] and titles[-2:] == ["weight of t29", "bias of t29"]
    assert figure._suptitle.get_text() == "initial parameter distributions of 24 of 60 parameters (evenly spaced " \
                                          "layers)"
    assert tuple(figure.get_size_inches()) == pytest.approx((16.8, 3.1 * 7 + 0.4))  # + the title's margin
    assert len(plotting.plot_weight_distributions(network, max_panels=None).axes) == 60


def test_a_deep_depth_chart_names_every_kth_layer():
    network = join(Input(2), *[Tanh(2, name=f"t{i}") for i in range(60)])
    figure = plotting.plot_activation_stats(network, n_samples=20)
    axis = figure.axes[0]
    ticks, labels = axis.get_xticks(), [label.get_text() for label in axis.get_xticklabels()]
    assert 4 <= len(ticks) <= 30 and all(float(t).is_integer() for t in ticks)
    assert labels[:2] == ["t0", "t2"] and all(label.startswith("t") for label in labels)


# -- predict ------------------------------------------------------------------------------------------------------
def test_predict_refuses_what_is_not_numbers():
    network = join(Input(3), Relu(2))
    assert refused(InvalidTypeError, network.predict, "abc") == (
        "predict: x must be numbers of shape (?, 3), got str 'abc': could not convert string to float: 'abc'")
    assert refused(InvalidTypeError, network.predict, [[1, 2], [3]]).startswith(
        "predict: x must be numbers of shape (?, 3), got list [[1, 2], [3]]: setting an array element")
    assert refused(ShapeError, network.predict, 5.0) == (
        "predict: x must have shape (?, 3) (samples first), got a single number 5.0")
    assert isinstance(refused(NeuwidgetsError, network.predict, np.zeros((2, 4))), str)
