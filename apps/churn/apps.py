from django.apps import AppConfig


class ChurnConfig(AppConfig):
    name = "apps.churn"
    label = "churn"
    verbose_name = "Customers: segments, churn and lifetime value"
