"""Load chunks on several database connections at once while committing them in file order."""

import queue
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from django.db import connection

# A job is ``job(turn)``: it does the work that may overlap with other chunks, calls ``turn()`` (which
# returns once every earlier chunk has committed, and raises the error of one that failed), then
# finishes its chunk and commits.
Job = Callable[[Callable[[], None]], Any]


class ChunkPipeline:
    """Runs chunk jobs on ``width`` lanes: threads with a database connection each.

    Chunk *n* runs on lane ``n % width``, and at most ``width`` chunks are in flight, so memory stays flat.
    Because every job waits for its ``turn()`` before it commits, chunks commit in file order: the
    upload's ``last_line_done`` stays a true watermark that a rerun can resume from, and a chunk whose
    predecessor failed rolls back instead of committing past a gap.

    With ``width=1`` jobs run in the caller's thread, on the caller's connection (a caller already
    inside a transaction, whose work other connections could not see).
    """

    def __init__(self, *, width: int = 1):
        self.width = width
        self._lanes = [_Lane(number) for number in range(width)] if width > 1 else []
        for lane in self._lanes:
            lane.start()
        self._submitted = 0
        self._previous: Future | None = None
        self._in_flight: deque[Future] = deque()

    def __enter__(self) -> "ChunkPipeline":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def submit(self, job: Job) -> Future:
        """Queue a chunk's job; blocks while ``width`` chunks are in flight (raising an earlier failure)."""
        while len(self._in_flight) >= self.width:
            self._in_flight.popleft().result()
        previous = self._previous

        def turn() -> None:
            if previous is not None:
                previous.result()

        future: Future = Future()
        if self._lanes:
            self._lanes[self._submitted % self.width].jobs.put((future, job, turn))
        else:
            future.set_running_or_notify_cancel()
            try:
                future.set_result(job(turn))
            except BaseException as error:
                future.set_exception(error)
                raise
        self._submitted += 1
        self._previous = future
        self._in_flight.append(future)
        return future

    def drain(self) -> None:
        """Wait for every chunk in flight; raises the first failure, in file order."""
        while self._in_flight:
            self._in_flight.popleft().result()

    def close(self) -> None:
        """Let the chunks in flight finish (or fail), then stop the lanes and close their connections."""
        for lane in self._lanes:
            lane.jobs.put(None)
        for lane in self._lanes:
            lane.join()


class _Lane(threading.Thread):
    def __init__(self, number: int):
        super().__init__(name=f"ingest-lane-{number}", daemon=True)
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()

    def run(self) -> None:
        try:
            while (item := self.jobs.get()) is not None:
                future, job, turn = item
                future.set_running_or_notify_cancel()
                try:
                    future.set_result(job(turn))
                except BaseException as error:  # handed to whoever waits on the future
                    future.set_exception(error)
        finally:
            connection.close()  # this thread's own connection
