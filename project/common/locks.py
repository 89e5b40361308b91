"""Advisory locks: work that must not overlap, across processes, without a row to lock."""

import contextlib
from collections.abc import Iterator

from django.db import DatabaseError, connection


@contextlib.contextmanager
def advisory_lock(name: str) -> Iterator[None]:
    """Hold PostgreSQL's session-level advisory lock named ``name`` for the block, waiting for it first.

    The lock belongs to the connection, not to a transaction, so it spans the block's many commits, and
    a worker that dies releases it with its session.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [name])
    try:
        yield
    finally:
        # A connection that broke inside the block took its session, and the lock, with it.
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [name])


def advisory_xact_lock(name: str) -> None:
    """Take PostgreSQL's transaction-level advisory lock named ``name``, waiting for it first.

    Call it inside ``transaction.atomic()``: the lock is released when that transaction ends, so two
    requests doing the same thing at once take turns.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
