"""The refresh after uploads is a trailing debounce: it runs after the last upload, never dropped."""

import pytest
from django.core.cache import cache

from apps.forecasting.tasks import forecast_refresh_task
from project.common.debounce import queue_debounced
from project.common.tasks import debounced_fire


def asked_token(key: str) -> str:
    return cache.get(f"debounce:{key}")


@pytest.mark.django_db
def test_a_second_ask_within_the_window_supersedes_the_first_and_still_runs():
    key = "test-debounce:two-uploads"
    cache.delete(f"debounce:{key}")
    args = [987654321, "upload"]  # no such business: the refresh itself is a no-op

    assert queue_debounced(forecast_refresh_task, key=key, args=tuple(args), seconds=60)
    first = asked_token(key)
    assert queue_debounced(forecast_refresh_task, key=key, args=tuple(args), seconds=60)
    second = asked_token(key)

    # The first trigger comes due while the second upload's window is open: it does nothing ...
    assert debounced_fire.run(forecast_refresh_task.name, key, first, args) is False
    # ... and the second, due a window after the last upload, runs the refresh.
    assert debounced_fire.run(forecast_refresh_task.name, key, second, args) is True
    assert first != second
