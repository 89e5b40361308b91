from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import Business, Membership, Role, User
from apps.churn.models import CustomerScoreRun
from apps.churn.services import customers_score_execute
from apps.forecasting.models import ForecastRun
from apps.forecasting.services import forecast_run_in_process

DEMO_EMAIL = "demo@smartmarket.local"
DEMO_PASSWORD = "demo-merchant-2026"


class Command(BaseCommand):
    help = "Create the demo merchant once: a login, a year of synthetic sales, customer scores, forecasts."

    def handle(self, *args, **options):
        # The demo login is a superuser with a published password: it must never exist outside the demo.
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates a superuser with a published password: it runs with DEBUG on only."
            )
        if User.objects.filter(email=DEMO_EMAIL).exists():
            self.stdout.write("The demo merchant exists already.")
        else:
            with transaction.atomic():
                user = User.objects.create_superuser(DEMO_EMAIL, DEMO_PASSWORD, name="Demo Merchant")
                business = Business.objects.create(name="Demo Corner Shop")
                Membership.objects.create(business=business, user=user, role=Role.OWNER)
                call_command("generate_synthetic_transactions", business=business.pk, stdout=self.stdout)
            self.stdout.write("Scoring customers and fitting forecasts…")
            # In the foreground: the demo should open with scores and forecasts.
            scoring = CustomerScoreRun.objects.for_business(business).create(
                business=business, trigger="seed"
            )
            customers_score_execute(run_id=scoring.pk)
            run = ForecastRun.objects.for_business(business).create(business=business)
            forecast_run_in_process(run_id=run.pk)
        self.stdout.write(self.style.SUCCESS(f"Login: {DEMO_EMAIL} / {DEMO_PASSWORD}"))
