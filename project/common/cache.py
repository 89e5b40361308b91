"""Helpers for code that must keep answering while the cache (Redis) is unreachable."""

import logging
import time

_LOG_EVERY_SECONDS = 60.0
_last_logged: dict[str, float] = {}


def log_cache_unreachable(logger: logging.Logger, consequence: str, error: Exception) -> None:
    """Say that the cache is down and what that means, at most once a minute per consequence and process.

    An outage then costs one log line a minute, not one per request.
    """
    now = time.monotonic()
    if now - _last_logged.get(consequence, -_LOG_EVERY_SECONDS) >= _LOG_EVERY_SECONDS:
        _last_logged[consequence] = now
        logger.warning("The cache is unreachable (%s): %s", error, consequence)
