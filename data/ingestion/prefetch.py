"""Overlap reading with loading: produce the next item in a thread while the caller works on this one."""

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

Item = TypeVar("Item")
Prepared = TypeVar("Prepared")
_DONE = object()


def prefetched(
    items: Iterable[Item], prepare: Callable[[Item], Prepared], *, depth: int = 1
) -> Iterator[tuple[Item, Prepared]]:
    """Yield ``(item, prepare(item))``, computing the next ones in a background thread.

    While the caller waits on the database (which releases the GIL), the thread parses and serialises
    the next chunk. At most ``depth`` prepared items wait, so memory stays flat. An exception raised
    by the iteration or by ``prepare`` is raised to the caller at the item where it happened; if the
    caller stops early, the thread stops too.
    """
    handoff: queue.Queue = queue.Queue(maxsize=depth)
    stopped = threading.Event()

    def put(value) -> bool:
        while not stopped.is_set():
            try:
                handoff.put(value, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce():
        try:
            for item in items:
                if not put((item, prepare(item))):
                    return
        except BaseException as error:  # handed to the consumer, raised there
            put(error)
            return
        put(_DONE)

    thread = threading.Thread(target=produce, name="ingest-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            value = handoff.get()
            if value is _DONE:
                return
            if isinstance(value, BaseException):
                raise value
            yield value
    finally:
        stopped.set()
        thread.join(timeout=5)
