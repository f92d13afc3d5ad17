"""Guards against hangs on hostile input — not speed goals, which live in benchmarks/.

A guard times work that takes milliseconds against a limit hundreds of times larger, so that an
exponential blow-up fails it. On a shared CI machine one try can still stall for half a second (a
full garbage collection of the suite's heap, or the process descheduled), so the guard takes the
best of a few tries with the collector paused: a real blow-up is slow on every try.
"""

import gc
import math
import time
from collections.abc import Callable


def best_seconds(work: Callable[[], object], tries: int = 3) -> float:
    """The shortest wall time of `tries` calls of `work`, each with garbage collection paused."""
    best = math.inf
    for _ in range(tries):
        gc.disable()
        try:
            start = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best
