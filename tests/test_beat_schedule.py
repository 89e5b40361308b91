"""How often each beat entry fires in a day, by Celery's own crontab arithmetic (``is_due``)."""

from datetime import UTC, datetime, timedelta

import pytest

from project.celery import app

# Entry name -> firings per day. A new entry must say here how often it is meant to run.
EXPECTED_FIRINGS_PER_DAY = {
    "requeue-jobs": 24 * 60,  # every minute
    "nightly-forecasts": 1,
    "nightly-customer-scores": 1,
}


def firings_in_a_day(schedule, day: datetime) -> list[datetime]:
    """Walk one day minute by minute, as beat would, asking the schedule whether it is due.

    ``is_due(last_run_at)`` answers from ``remaining_estimate``: due when the next firing after the last
    run has come. After each firing the last run becomes that minute, as beat records it.
    """
    fired = []
    last_run = day - timedelta(seconds=1)
    schedule.nowfun = None
    for minute in range(24 * 60):
        now = day + timedelta(minutes=minute, seconds=1)
        schedule.nowfun = lambda now=now: now
        if schedule.is_due(last_run).is_due:
            fired.append(now)
            last_run = now
    return fired


@pytest.mark.parametrize("name", sorted(app.conf.beat_schedule))
def test_each_beat_entry_fires_as_often_as_intended(name):
    entry = app.conf.beat_schedule[name]
    day = datetime(2026, 3, 10, tzinfo=UTC)

    fired = firings_in_a_day(entry["schedule"], day)

    assert len(fired) == EXPECTED_FIRINGS_PER_DAY[name]


def test_nightly_entries_fire_once_at_their_hour():
    day = datetime(2026, 3, 10, tzinfo=UTC)

    forecasts = firings_in_a_day(app.conf.beat_schedule["nightly-forecasts"]["schedule"], day)
    scores = firings_in_a_day(app.conf.beat_schedule["nightly-customer-scores"]["schedule"], day)

    assert [moment.strftime("%H:%M") for moment in forecasts] == ["02:00"]
    assert [moment.strftime("%H:%M") for moment in scores] == ["03:00"]


def test_every_entry_has_an_expected_frequency():
    assert set(app.conf.beat_schedule) == set(EXPECTED_FIRINGS_PER_DAY)
