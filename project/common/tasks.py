"""The sweep that recovers every kind of job (queue: default)."""

from celery import shared_task

from project.common.jobs import jobs_requeue


@shared_task(ignore_result=True, soft_time_limit=50, time_limit=55)
def jobs_requeue_task() -> dict[str, list[int]]:
    """Beat runs it every minute, and every worker once when it starts: see ``jobs_requeue``."""
    return jobs_requeue()
