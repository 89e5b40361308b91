from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"
    verbose_name = "Analytics and the integrity ledger"

    def ready(self):
        from data.ingestion.signals import upload_completed

        upload_completed.connect(_seal_after_upload, dispatch_uid="analytics-seal-upload")


def _seal_after_upload(sender, upload, **kwargs):
    """Store the upload's Merkle root as soon as it completes: later changes to its rows show in verify."""
    from apps.analytics.ledger import ledger_upload_seal

    if upload.kind == "transactions":
        ledger_upload_seal(upload=upload)
