"""Thin Celery doors into the shared plumbing (queue: default): debounced refreshes and the job sweep."""

from celery import current_app, shared_task

from project.common.debounce import debounced_due
from project.common.jobs import jobs_requeue


@shared_task(ignore_result=True)
def debounced_fire(task_name: str, key: str, token: str, args: list) -> bool:
    """Queue ``task_name(*args)`` if no later ask under ``key`` superseded this one (see debounce)."""
    if not debounced_due(key=key, token=token):
        return False
    current_app.tasks[task_name].apply_async(tuple(args))
    return True


@shared_task(ignore_result=True, soft_time_limit=50, time_limit=55)
def jobs_requeue_task() -> dict[str, list[int]]:
    """Beat runs it every minute, and every worker once when it starts: see ``jobs_requeue``."""
    return jobs_requeue()
