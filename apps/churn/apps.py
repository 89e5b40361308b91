from django.apps import AppConfig


class ChurnConfig(AppConfig):
    name = "apps.churn"
    label = "churn"
    verbose_name = "Customers: segments, churn and lifetime value"

    def ready(self):
        from data.ingestion.signals import upload_completed

        upload_completed.connect(_score_after_upload, dispatch_uid="churn-after-upload")


def _score_after_upload(sender, upload, **kwargs):
    from django.conf import settings

    from apps.churn.services import customers_score_soon

    if upload.kind == "transactions" and settings.ML_REFRESH_AFTER_UPLOAD:
        customers_score_soon(business_id=upload.business_id)
