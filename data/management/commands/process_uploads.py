from django.core.management.base import BaseCommand

from data.ingestion.services import upload_process
from data.models import UploadRecord


class Command(BaseCommand):
    help = "Run pending uploads in the foreground (no worker needed)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--include-stuck", action="store_true", help="Also resume uploads left processing"
        )

    def handle(self, *args, include_stuck, **options):
        statuses = [UploadRecord.Status.PENDING]
        if include_stuck:
            statuses.append(UploadRecord.Status.PROCESSING)
        pending = UploadRecord.objects.unscoped().filter(status__in=statuses).order_by("created_at", "pk")
        for upload_id in pending.values_list("pk", flat=True):
            upload = upload_process(upload_id=upload_id)
            if upload is not None:
                self.stdout.write(_summary(upload))


def _summary(upload: UploadRecord) -> str:
    return (
        f"upload {upload.pk} ({upload.kind}, {upload.file_name}): {upload.status}; rows {upload.rows_total}, "
        f"imported {upload.rows_imported}, skipped {upload.rows_skipped}, failed {upload.rows_failed}"
        + (f"; {upload.detail}" if upload.detail else "")
    )
