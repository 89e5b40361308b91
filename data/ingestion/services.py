"""The upload job: PENDING → PROCESSING → COMPLETED / FAILED, resumable chunk by chunk."""

import contextlib
import functools
import hashlib
import logging
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from data import parsing
from data.ingestion.loaders import InventoryLoader, PostgresSalesLoader
from data.ingestion.pipeline import ChunkPipeline
from data.ingestion.prefetch import prefetched
from data.models import UploadRecord, UploadRowError
from data.parsing.dates import date_order_for
from project.common.exceptions import ApplicationError, ConflictError, PayloadTooLarge
from project.common.locks import advisory_lock, advisory_xact_lock

logger = logging.getLogger(__name__)

DATE_ORDERS = {"auto", "mdy", "dmy"}


def _sha256(file) -> str:
    digest = hashlib.sha256()
    for block in file.chunks():
        digest.update(block)
    file.seek(0)
    return digest.hexdigest()


def upload_options_clean(*, column_map=None, date_order: str = "auto") -> dict:
    if column_map is not None and (
        not isinstance(column_map, dict)
        or not all(isinstance(key, str) and isinstance(value, str) for key, value in column_map.items())
    ):
        raise ApplicationError(
            "Must be a JSON object mapping our column names to your file's headers.", field="column_map"
        )
    if date_order not in DATE_ORDERS:
        raise ApplicationError(f"Must be one of {', '.join(sorted(DATE_ORDERS))}.", field="date_order")
    options = {"date_order": date_order}
    if column_map:
        options["column_map"] = column_map
    return options


@contextlib.contextmanager
def stored_file_path(file) -> Iterator[str]:
    """A local path to a stored file, read through the storage API.

    On local disk that is the file itself; from a storage without paths (object storage, which several
    web and worker machines share) the file is copied to a temporary file for the length of the block.
    The readers need a path: they sniff the start and read the date column ahead through a second handle.
    """
    try:
        local = file.storage.path(file.name)
    except NotImplementedError:
        local = None
    if local is not None:
        yield local
        return
    with tempfile.NamedTemporaryFile(prefix="upload-", suffix=".csv") as copy:
        with file.storage.open(file.name, "rb") as source:
            shutil.copyfileobj(source, copy, length=1024 * 1024)
        copy.flush()
        yield copy.name


def _open(upload: UploadRecord, path: str):
    chunk_size = settings.UPLOAD_CHUNK_ROWS
    if upload.kind == UploadRecord.Kind.INVENTORY:
        return parsing.open_inventory_file(
            path, column_map=upload.options.get("column_map"), chunk_size=chunk_size
        )
    business = upload.business
    return parsing.open_transaction_file(
        path,
        column_map=upload.options.get("column_map"),
        date_order=upload.options.get("date_order", "auto"),
        chunk_size=chunk_size,
        fallback_order=date_order_for(country=business.country, setting=business.date_order),
        zone=business.timezone,
    )


def upload_create(
    *, business, user, kind: str, file: UploadedFile, options: dict, queue: bool = True
) -> tuple[UploadRecord, bool]:
    """Store an uploaded file and queue its import; the same bytes again return the existing upload.

    Returns ``(upload, created)``. A file whose header fits no layout (or that is empty or not text)
    fails at once: the upload is stored as FAILED with the reason, and :class:`ApplicationError` says
    which columns are missing. Re-sending the same bytes after a failure (say, with a column map) tries
    again with the new options. With ``queue=False`` the caller runs the import itself.
    """
    upload_size_check(file.size)
    sha256 = _sha256(file)
    with transaction.atomic():
        # The same bytes sent twice at once (a double click): the second request waits for the first to
        # store them, then finds its upload, instead of tripping over the unique constraint.
        advisory_xact_lock(f"upload-file:{business.pk}:{kind}:{sha256}")
        upload = (
            UploadRecord.objects.for_business(business)
            .select_for_update()
            .filter(kind=kind, sha256=sha256)
            .first()
        )
        if upload is not None and upload.status != UploadRecord.Status.FAILED:
            return upload, False
        if upload is None:
            upload = UploadRecord(business=business, kind=kind, sha256=sha256, created_by=user)
            upload.file.save(_storage_name(file.name, sha256), file, save=False)
        upload.file_name = file.name.replace("\x00", "")[:255]
        upload.size_bytes = file.size
        upload.options = options
        _reset(upload)
        try:
            with stored_file_path(upload.file) as path, _open(upload, path):
                pass  # reads the header: a file that fits no layout fails now, not in a worker
        except parsing.ParsingError as error:
            rejected = error
            upload.status = UploadRecord.Status.FAILED
            upload.detail = str(error)
            upload.finished_at = timezone.now()
        else:
            rejected = None
        upload.save()
        if rejected is None and queue:
            upload.enqueue()
    if rejected is not None:
        raise _file_error(rejected, upload)
    return upload, True


def _storage_name(file_name: str, sha256: str) -> str:
    """The name a stored file gets: its digest and, when it is a plain one, the sender's extension.

    The sender's name is kept in ``file_name`` for people; on disk it could be anything (200 times "é" is
    404 bytes, past the 255 bytes a file system allows in a name), while the digest is unique per
    business and kind, like the upload itself.
    """
    extension = PurePath(file_name).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,10}", extension):
        extension = ""
    return f"{sha256}{extension}"


class UploadRejected(ApplicationError):
    pass


def _file_error(error, upload) -> ApplicationError:
    extra = {"id": upload.pk, "status": upload.status}
    missing = getattr(error, "missing", None)
    if missing:
        extra["missing_columns"] = list(missing)
    return UploadRejected(str(error), field="file", extra=extra)


def upload_size_check(size_bytes: int, *, allowance: int = 0) -> None:
    """413 for a file over ``UPLOAD_MAX_BYTES`` (``allowance`` covers a multipart body's own framing)."""
    if size_bytes > settings.UPLOAD_MAX_BYTES + allowance:
        raise PayloadTooLarge(
            f"The file is larger than the {settings.UPLOAD_MAX_BYTES // (1024 * 1024)} MB limit."
        )


def _reset(upload: UploadRecord) -> None:
    upload.status = UploadRecord.Status.PENDING
    upload.rows_total = upload.rows_imported = upload.rows_skipped = upload.rows_failed = 0
    upload.last_line_done = 0
    upload.detail = ""
    upload.started_at = upload.finished_at = upload.heartbeat_at = upload.queued_at = None
    upload.claimed_by = ""
    if upload.pk:
        upload.row_errors.all().delete()


def upload_retry(*, upload: UploadRecord) -> UploadRecord:
    """Queue a failed upload again from the start (rows it did import are recognised and skipped)."""
    with transaction.atomic():
        upload = UploadRecord.objects.for_business(upload.business_id).select_for_update().get(pk=upload.pk)
        if upload.status != UploadRecord.Status.FAILED:
            raise ConflictError("Only failed uploads can be retried.")
        _reset(upload)
        upload.save()
        upload.enqueue()
    return upload


def upload_process(*, upload_id: int, token: str = "") -> UploadRecord | None:
    """Import the file chunk by chunk; each chunk commits with the line it reached, so a rerun resumes.

    Row errors are counted and the first ``UPLOAD_ERRORS_KEPT`` stored; good rows import regardless.
    A file that cannot be read at all fails the upload and leaves the books as they were. On PostgreSQL,
    sales chunks load on ``UPLOAD_LOAD_CONNECTIONS`` connections at once and commit in file order.

    A business's uploads load one at a time. Two overlapping exports loading at once could each wait on
    sale lines the other has inserted but not committed, one of those waits being a chunk waiting its
    turn in Python, which PostgreSQL cannot see as a deadlock; and the lanes already use every core.
    Two deliveries of one upload's task (a redelivery and a requeue) also take turns: the second finds
    the upload done instead of counting its rows again. ``token`` is the delivery's task id
    (:meth:`Job.claim`).
    """
    business_id = (
        UploadRecord.objects.unscoped().filter(pk=upload_id).values_list("business_id", flat=True).first()
    )
    if business_id is None:
        return None
    with advisory_lock(f"uploads:{business_id}"):
        return _process(upload_id, token)


def _process(upload_id: int, token: str) -> UploadRecord | None:
    upload = UploadRecord.claim(upload_id, token=token)
    if upload is None:
        return None
    with upload.beating():
        return _import(upload)


def _import(upload: UploadRecord) -> UploadRecord:
    loader = (
        InventoryLoader(upload=upload)
        if upload.kind == UploadRecord.Kind.INVENTORY
        else PostgresSalesLoader(upload=upload)
    )
    errors_kept = upload.row_errors.count()

    def load(chunk, prepared, turn) -> None:
        nonlocal errors_kept
        staged = loader.stage(prepared) if len(chunk.rows) else None
        with transaction.atomic():
            result = loader.insert(staged) if len(chunk.rows) else None
            turn()  # every earlier chunk has committed: this one settles and commits next
            if result is not None:
                loader.settle(result)
            room = max(settings.UPLOAD_ERRORS_KEPT - errors_kept, 0)
            UploadRowError.objects.bulk_create(
                [
                    UploadRowError(
                        upload=upload, line=error.line, column=error.column[:120], message=error.message[:500]
                    )
                    for error in chunk.errors[:room]
                ],
                ignore_conflicts=True,
            )
            errors_kept += min(room, len(chunk.errors))
            UploadRecord.objects.unscoped().filter(pk=upload.pk).update(
                rows_total=F("rows_total") + chunk.rows_total,
                rows_imported=F("rows_imported") + (result.imported if result else 0),
                rows_skipped=F("rows_skipped") + (result.skipped if result else 0),
                rows_failed=F("rows_failed") + len(chunk.errors),
                last_line_done=chunk.last_line,
                heartbeat_at=timezone.now(),
            )

    try:
        with (
            stored_file_path(upload.file) as path,
            _open(upload, path) as reader,
            ChunkPipeline(width=_load_connections(upload)) as pipeline,
        ):
            for chunk, prepared in prefetched(reader, lambda chunk: _prepare(loader, chunk, upload)):
                if prepared is not None:  # None: committed by an earlier attempt
                    pipeline.submit(functools.partial(load, chunk, prepared))
            pipeline.drain()
    except parsing.ParsingError as error:
        upload.fail(str(error))
        return upload
    upload.refresh_from_db()
    if upload.rows_total == 0:
        upload.fail("The file has a header but no data rows.")
    elif upload.rows_imported + upload.rows_skipped == 0:
        upload.fail("No row could be imported: see the row errors.")
    else:
        upload.finish(detail="")
        _after_import(upload)
    return upload


def _load_connections(upload: UploadRecord) -> int:
    """Connections that load this upload's chunks side by side: one unless it is a sales file.

    A caller already inside a transaction (a test, say) keeps every chunk on the caller's connection,
    since other connections could not see its uncommitted rows.
    """
    if upload.kind == UploadRecord.Kind.TRANSACTIONS and not connection.in_atomic_block:
        return max(settings.UPLOAD_LOAD_CONNECTIONS, 1)
    return 1


def _prepare(loader, chunk, upload: UploadRecord):
    """The loader's database-free work on a chunk (runs in the prefetch thread); None for a done chunk."""
    if chunk.last_line <= upload.last_line_done:
        return None
    return loader.prepare(chunk.rows)


def _after_import(upload: UploadRecord) -> None:
    """Tell the apps that follow new data (forecasts and customer scores, debounced per business, unless
    ``ML_REFRESH_AFTER_UPLOAD`` is off; the integrity ledger, which seals the upload's rows)."""
    from data.ingestion import signals

    signals.upload_completed.send(sender=UploadRecord, upload=upload)


def upload_import_path(*, business, user, kind: str, path: str, options: dict) -> UploadRecord:
    """``import_csv``: the same service as the API, run in the foreground (nothing is queued)."""
    from django.core.files import File

    with open(path, "rb") as handle:
        wrapped = File(handle, name=path.rsplit("/", 1)[-1])
        upload, created = upload_create(
            business=business, user=user, kind=kind, file=wrapped, options=options, queue=False
        )
    if created or upload.status == UploadRecord.Status.PENDING:
        upload_process(upload_id=upload.pk)
        upload.refresh_from_db()
    return upload
