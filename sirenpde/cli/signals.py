"""Ctrl-C and SIGTERM while training: stop after the step, with a checkpoint."""

from __future__ import annotations

import sys

__all__ = ["StopOnSignal"]

_RELAYED_S = 2.0  # a second signal this soon after the first is the first, passed on by a launcher


class StopOnSignal:
    """SIGINT/SIGTERM ask training to stop after the current step (it then writes a checkpoint);
    a second signal stops at once (KeyboardInterrupt) — unless it comes within ``_RELAYED_S`` of the
    first, as when torchrun passes a Ctrl-C on to workers that got it already. Handlers are restored
    on exit."""

    _SIGNALS = ("SIGINT", "SIGTERM")

    def __init__(self, announce: bool = True):
        self.code, self.announce = 0, announce
        self._first = 0.0
        self._previous: dict = {}

    def requested(self) -> bool:
        return self.code != 0

    def _handle(self, signum, frame) -> None:
        import signal
        import time

        if self.code:
            if time.monotonic() - self._first < _RELAYED_S:
                return  # the same request, relayed by a launcher (torchrun passes signals on)
            raise KeyboardInterrupt
        self._first = time.monotonic()
        self.code = 128 + signum
        if self.announce:  # in a job, rank 0 speaks for all
            print(f"\n{signal.Signals(signum).name}: stopping after this step and writing a checkpoint"
                  " (again to quit at once)", file=sys.stderr)

    def __enter__(self):
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():  # only it may set handlers
            return self
        for name in self._SIGNALS:
            number = getattr(signal, name)
            self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        import signal

        for number, handler in self._previous.items():
            signal.signal(number, handler)
