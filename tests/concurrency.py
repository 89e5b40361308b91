"""Run the same call in many threads at once, for tests of races against real PostgreSQL and Redis."""

import threading

from django.db import connection


def run_at_once(count: int, call) -> list:
    """``call(index)`` in ``count`` threads released together by a barrier; their results, in index order.

    Each thread has its own database connection (closed at the end), so use it from a
    ``django_db(transaction=True)`` test: the threads see only what the test committed.
    """
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = call(index)
        except Exception as error:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [], errors
    return results
