"""The one job row: PENDING → PROCESSING → COMPLETED / FAILED, claimed under a lock, written once.

Uploads, receipts read by OCR, forecast runs and scoring runs are all long work that a worker does
for a request. Each is a row that derives from :class:`Job` (together with ``TenantModel``): a task
calls :meth:`Job.claim` with the row's id and gets the row back only while it is still runnable, so a
redelivered or duplicated message finds nothing to do; :meth:`Job.heartbeat` says the worker is alive;
:meth:`Job.finish` and :meth:`Job.fail` end it, and ``job_finished`` is sent once the end is committed
(apps that react to a finished run, such as recommendations, listen to it instead of being called).
"""

from typing import Self

from django.db import models, transaction
from django.dispatch import Signal
from django.utils import timezone

from project.common.models import JobStatus

# Sent after a job's end is committed, with ``job`` (the row); ``sender`` is the job's model class.
job_finished = Signal()


class Job(models.Model):
    """Abstract status machine for a row of long work. Combine with ``TenantModel``."""

    Status = JobStatus
    # A job in one of these may be claimed; a job model with more states (receipts) overrides both.
    RUNNABLE: tuple[str, ...] = (JobStatus.PENDING, JobStatus.PROCESSING)
    FINISHED: tuple[str, ...] = (JobStatus.COMPLETED, JobStatus.FAILED)

    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    detail = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @classmethod
    def claim(cls, pk: int) -> Self | None:
        """Lock the row and mark it PROCESSING; ``None`` when it is gone or no longer runnable.

        Runs in a transaction of its own, so the claim is committed before the work starts: a second
        delivery of the same message waits for the lock, then sees the attempt counted.
        """
        now = timezone.now()
        with transaction.atomic():
            job = cls.unscoped_objects.select_for_update().select_related("business").filter(pk=pk).first()
            if job is None or job.status not in cls.RUNNABLE:
                return None
            job.status = JobStatus.PROCESSING
            job.attempts += 1
            job.started_at = job.started_at or now
            job.heartbeat_at = now
            job.save(update_fields=["status", "attempts", "started_at", "heartbeat_at", "updated_at"])
        return job

    def heartbeat(self, **fields) -> None:
        """Record that the worker is alive, with any progress counters passed (``products_done=40``)."""
        now = timezone.now()
        type(self).unscoped_objects.filter(pk=self.pk).update(heartbeat_at=now, updated_at=now, **fields)
        self.heartbeat_at = now
        for name, value in fields.items():
            setattr(self, name, value)

    def finish(self, *, status: str = JobStatus.COMPLETED, detail: str | None = None, **fields) -> None:
        """End the job with ``status`` and the fields given, and announce it once that is committed."""
        self.status = status
        self.finished_at = timezone.now()
        if detail is not None:
            self.detail = detail
        for name, value in fields.items():
            setattr(self, name, value)
        changed = ["status", "finished_at", "updated_at", *fields]
        if detail is not None:
            changed.append("detail")
        self.save(update_fields=changed)
        transaction.on_commit(lambda: job_finished.send(sender=type(self), job=self))

    def fail(self, detail: str, **fields) -> None:
        self.finish(status=JobStatus.FAILED, detail=detail, **fields)

    @property
    def is_active(self) -> bool:
        return self.status in self.RUNNABLE
