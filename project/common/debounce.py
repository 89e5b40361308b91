"""Queue a task at most once per window, however often new data asks for it."""

from django.conf import settings
from django.core.cache import cache


def queue_debounced(task, *, key: str, args: tuple, seconds: int | None = None) -> bool:
    """Queue ``task`` to run after ``seconds`` unless the same ``key`` queued it within that window.

    Uploads that land together then cause one refresh, run after the last of them had time to finish.
    Returns whether it was queued.
    """
    seconds = settings.ML_DEBOUNCE_SECONDS if seconds is None else seconds
    if not cache.add(f"debounce:{key}", 1, timeout=max(seconds, 1)):
        return False
    task.apply_async(args, countdown=seconds)
    return True
