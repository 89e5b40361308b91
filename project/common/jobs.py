"""The one job row: PENDING → PROCESSING → COMPLETED / FAILED, claimed under a lock, written once.

Uploads, receipts read by OCR, forecast runs (and their batches) and scoring runs are all long work
that a worker does for a request. Each is a row that derives from :class:`Job` (together with
``TenantModel``) and names the task that runs it (``task_name``, whose body calls :meth:`Job.claim`).

- :meth:`Job.enqueue` sends the task after commit and records that the broker took it (``queued_at``).
  While the broker is down the job stays PENDING with no ``queued_at``: the request that made it still
  answers, and :func:`jobs_requeue` (a beat task every minute, and once when a worker starts) sends it
  when the broker is back. That sweep is the outbox of every job kind.
- :meth:`Job.claim` locks the row and returns it only while it is runnable and nobody live holds it:
  a PROCESSING job is taken again only by a redelivery of the message that claimed it (the same task
  id, ``token``) or once its heartbeat has gone stale (its worker died). So a duplicated or re-sent
  message finds nothing to do, which is what makes the sweep safe to run as often as it does.
- :meth:`Job.beating` keeps the heartbeat fresh from a thread while the work runs; a job whose
  heartbeat is older than ``JOB_HEARTBEAT_TIMEOUT`` lost its worker, and the sweep queues it again.
- :meth:`Job.finish` and :meth:`Job.fail` end it, and ``job_finished`` is sent once the end is
  committed (apps that react to a finished run, such as recommendations, listen to it).
"""

import contextlib
import importlib
import logging
import threading
from collections.abc import Iterator
from typing import ClassVar, Self

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from project.common.models import JobStatus

logger = logging.getLogger(__name__)

# Sent after a job's end is committed, with ``job`` (the row); ``sender`` is the job's model class.
job_finished = Signal()


class Job(models.Model):
    """Abstract status machine for a row of long work. Combine with ``TenantModel``."""

    Status = JobStatus
    # A job in one of these may be claimed; a job model with more states (receipts) overrides both.
    RUNNABLE: tuple[str, ...] = (JobStatus.PENDING, JobStatus.PROCESSING)
    FINISHED: tuple[str, ...] = (JobStatus.COMPLETED, JobStatus.FAILED)
    # The Celery task (by name) that runs one job: it takes the job's id. Every concrete job sets it.
    task_name: ClassVar[str] = ""

    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    detail = models.TextField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When the broker last accepted this job's message; None: never (the broker was down).
    queued_at = models.DateTimeField(null=True, blank=True)
    # The task id of the delivery that claimed the job: its redelivery may take the job back.
    claimed_by = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        abstract = True

    # ---- queueing -------------------------------------------------------------------------------

    def enqueue(self) -> None:
        """Send this job's task once the current transaction commits (at once outside one)."""
        transaction.on_commit(lambda: type(self).send(self.pk))

    @classmethod
    def send(cls, pk: int) -> bool:
        """Publish the task for job ``pk`` now; False (logged, nothing raised) when the broker refuses.

        A job the broker did not take stays PENDING without ``queued_at``, and the sweep sends it later.
        """
        module, _, name = cls.task_name.rpartition(".")
        try:
            task = getattr(importlib.import_module(module), name)  # a web process imports tasks lazily
            task.apply_async(args=[pk])
        except Exception:  # kombu/redis raise several types for an unreachable broker
            logger.warning(
                "%s %s could not be queued: the sweep will queue it", cls.__name__, pk, exc_info=True
            )
            return False
        cls.unscoped_objects.filter(pk=pk).update(queued_at=timezone.now())
        return True

    @classmethod
    def active_or_create(cls, *, business, **fields) -> Self:
        """The business's active job of this kind, or a new one queued after commit.

        For job kinds with one active row per business (a partial unique constraint): a request made
        while one is queued or running joins it. A pending job the broker refused is offered to the
        broker again. An active job created over ``JOB_ABANDONED_AFTER`` ago with no live heartbeat lost
        its worker and its message: it is failed, so that it cannot hold the business's slot for ever.
        """
        active = cls.objects.for_business(business).filter(status__in=cls.RUNNABLE)
        now = timezone.now()
        active.filter(created_at__lt=now - settings.JOB_ABANDONED_AFTER).filter(cls._not_live(now)).update(
            status=JobStatus.FAILED,
            detail="Abandoned: no worker finished it.",
            finished_at=now,
            updated_at=now,
        )
        job = active.first()
        if job is None:
            try:
                with transaction.atomic():
                    job = cls.objects.for_business(business).create(business=business, **fields)
            except IntegrityError:  # another request created it first
                return active.get()
            job.enqueue()
            return job
        if job.status == JobStatus.PENDING and job.queued_at is None:
            job.enqueue()
        return job

    # ---- running --------------------------------------------------------------------------------

    @classmethod
    def claim(cls, pk: int, *, token: str = "") -> Self | None:
        """Lock the row and mark it PROCESSING; ``None`` when it is gone, finished, or live elsewhere.

        ``token`` is the claiming delivery's task id. A PROCESSING job is handed out again only to the
        same token (the broker redelivered the message of a killed worker) or once its heartbeat is
        stale (its worker died and the sweep sent a new message). Runs in a transaction of its own, so
        the claim is committed before the work starts: a second delivery waits for the lock, then sees
        the job taken.
        """
        now = timezone.now()
        with transaction.atomic():
            job = cls.unscoped_objects.select_for_update().select_related("business").filter(pk=pk).first()
            if job is None or job.status not in cls.RUNNABLE:
                return None
            if job.status == JobStatus.PROCESSING and job.is_live(now) and job.claimed_by != token:
                return None
            job.status = JobStatus.PROCESSING
            job.attempts += 1
            job.started_at = job.started_at or now
            job.heartbeat_at = now
            job.claimed_by = token[:64]
            job.save(
                update_fields=["status", "attempts", "started_at", "heartbeat_at", "claimed_by", "updated_at"]
            )
        return job

    def is_live(self, now=None) -> bool:
        """Whether a worker said it was working on this job within ``JOB_HEARTBEAT_TIMEOUT``."""
        now = now or timezone.now()
        return self.heartbeat_at is not None and self.heartbeat_at >= now - settings.JOB_HEARTBEAT_TIMEOUT

    @classmethod
    def _not_live(cls, now) -> Q:
        return Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - settings.JOB_HEARTBEAT_TIMEOUT)

    def heartbeat(self, **fields) -> None:
        """Record that the worker is alive, with any progress counters passed (``products_done=40``)."""
        now = timezone.now()
        type(self).unscoped_objects.filter(pk=self.pk).update(heartbeat_at=now, updated_at=now, **fields)
        self.heartbeat_at = now
        for name, value in fields.items():
            setattr(self, name, value)

    @contextlib.contextmanager
    def beating(self) -> Iterator[None]:
        """Heartbeat every ``JOB_HEARTBEAT_INTERVAL`` from a thread while the block runs.

        For work that cannot stop to say it is alive (one long model fit). The thread has its own
        database connection. Inside a caller's transaction (a test, a foreground command) it does
        nothing: that transaction may hold the row's lock, and the caller is alive anyway.
        """
        if connection.in_atomic_block:
            yield
            return
        stop = threading.Event()
        model, pk = type(self), self.pk

        def beat() -> None:
            try:
                while not stop.wait(settings.JOB_HEARTBEAT_INTERVAL.total_seconds()):
                    model.unscoped_objects.filter(pk=pk).update(heartbeat_at=timezone.now())
            except Exception:  # a lost database connection: the job then looks dead and is requeued
                logger.warning("Heartbeat of %s %s stopped", model.__name__, pk, exc_info=True)
            finally:
                connection.close()

        thread = threading.Thread(target=beat, name=f"heartbeat-{model.__name__}-{pk}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=10)

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

    # ---- recovery -------------------------------------------------------------------------------

    @classmethod
    def requeue_candidates(cls, now) -> models.QuerySet:
        """Jobs of this kind whose message may be lost: send them again (claim makes it harmless).

        - PENDING that the broker never took (``queued_at`` empty): queued as soon as it is back;
        - PENDING that the broker took over ``JOB_PENDING_REQUEUE_AFTER`` ago and no worker claimed
          (a broker restart can lose its queues; a busy queue is only sent a duplicate that rarely);
        - PROCESSING without a live heartbeat: its worker died (a whole worker killed leaves the
          message unacknowledged in the broker until its visibility timeout, hours away).

        A job kind whose PROCESSING rows are kept alive by other rows (a forecast run by its batches)
        narrows this.
        """
        pending = Q(status=JobStatus.PENDING) & (
            Q(queued_at__isnull=True) | Q(queued_at__lt=now - settings.JOB_PENDING_REQUEUE_AFTER)
        )
        dead = Q(status=JobStatus.PROCESSING) & cls._not_live(now)
        return cls.unscoped_objects.filter(pending | dead)


def job_models() -> list[type[Job]]:
    """Every concrete job model of the project."""
    return [model for model in apps.get_models() if issubclass(model, Job) and model.task_name]


def jobs_requeue(*, now=None) -> dict[str, list[int]]:
    """The outbox sweep: send again every job whose message may be lost; per model label, the ids sent.

    Safe to run every minute and from several places at once: a job someone is working on refuses
    the extra message in :meth:`Job.claim`.
    """
    now = now or timezone.now()
    sent: dict[str, list[int]] = {}
    for model in job_models():
        ids = list(model.requeue_candidates(now).order_by("pk").values_list("pk", flat=True)[:1000])
        for pk in ids:
            if not model.send(pk):
                return sent  # the broker is still down: the next sweep tries again
            logger.warning("%s %s had no live worker or message: queued again", model.__name__, pk)
            sent.setdefault(model._meta.label, []).append(pk)
    return sent
