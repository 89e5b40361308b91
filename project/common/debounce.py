"""A trailing debounce: however often new data asks for a task, it runs once, after the last ask.

Each ask records a fresh token under its key and queues a small trigger with the window as countdown.
When a trigger comes due it queues the real task only if its token is still the latest: an ask made
meanwhile has its own trigger, due later. So two uploads a minute apart cause one refresh, run a window
after the second one, never one that started before the second upload had landed.
"""

import uuid

from django.conf import settings
from django.core.cache import cache


def _cache_key(key: str) -> str:
    return f"debounce:{key}"


def queue_debounced(task, *, key: str, args: tuple, seconds: int | None = None) -> bool:
    """Queue ``task(*args)`` to run ``seconds`` after the last call with this ``key``. Returns True."""
    from project.common.tasks import debounced_fire

    seconds = settings.ML_DEBOUNCE_SECONDS if seconds is None else seconds
    token = uuid.uuid4().hex
    # Kept well past the window, so that a trigger delayed by a busy worker still finds its token.
    cache.set(_cache_key(key), token, timeout=max(seconds, 1) * 10 + 600)
    debounced_fire.apply_async((task.name, key, token, list(args)), countdown=seconds)
    return True


def debounced_due(*, key: str, token: str) -> bool:
    """Whether the trigger holding ``token`` is the last one asked for under ``key``."""
    return cache.get(_cache_key(key)) in (token, None)
