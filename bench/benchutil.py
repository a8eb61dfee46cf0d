"""Small helpers shared by the benchmark scripts (run as `python bench/<script>.py`)."""

import time


def timed(fn, *args):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result
