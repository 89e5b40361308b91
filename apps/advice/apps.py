from django.apps import AppConfig

# The finished jobs after which advice is regenerated (``sender._meta.label``).
REFRESH_AFTER = {"forecasting.ForecastRun", "churn.CustomerScoreRun"}


class AdviceConfig(AppConfig):
    name = "apps.advice"
    label = "advice"
    verbose_name = "Advice: recommendations, pricing suggestions, campaigns"

    def ready(self):
        from project.common.jobs import job_finished

        job_finished.connect(_refresh_after_job, dispatch_uid="advice-after-job")


def _refresh_after_job(sender, job, **kwargs):
    """A completed forecast or scoring run changes the figures advice is made of: regenerate it."""
    from apps.advice.services import advice_refresh_queue
    from project.common.models import JobStatus

    if sender._meta.label in REFRESH_AFTER and job.status == JobStatus.COMPLETED:
        advice_refresh_queue(business_id=job.business_id)
