"""Thin Celery doors into the shared plumbing (queue: default)."""

from celery import current_app, shared_task

from project.common.debounce import debounced_due


@shared_task(ignore_result=True)
def debounced_fire(task_name: str, key: str, token: str, args: list) -> bool:
    """Queue ``task_name(*args)`` if no later ask under ``key`` superseded this one (see debounce)."""
    if not debounced_due(key=key, token=token):
        return False
    current_app.tasks[task_name].apply_async(tuple(args))
    return True
