from django.apps import AppConfig


class ForecastingConfig(AppConfig):
    name = "apps.forecasting"
    label = "forecasting"
    verbose_name = "Forecasts and reorder advice"

    def ready(self):
        from data.ingestion.signals import upload_completed

        upload_completed.connect(_refresh_after_upload, dispatch_uid="forecasting-after-upload")


def _refresh_after_upload(sender, upload, **kwargs):
    from django.conf import settings

    from apps.forecasting.services import forecast_refresh_soon

    if upload.kind == "transactions" and settings.ML_REFRESH_AFTER_UPLOAD:
        forecast_refresh_soon(business_id=upload.business_id)
