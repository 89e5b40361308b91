from django.dispatch import Signal

# Sent after an upload completes, with ``upload``: forecasting and churn listen to refresh, debounced.
upload_completed = Signal()
