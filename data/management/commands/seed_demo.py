from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Business, Membership, Role, User

DEMO_EMAIL = "demo@smartmarket.local"
DEMO_PASSWORD = "demo-merchant-2026"


class Command(BaseCommand):
    help = "Create the demo merchant (a login, a business and a year of synthetic sales), once."

    def handle(self, *args, **options):
        with transaction.atomic():
            user = User.objects.filter(email=DEMO_EMAIL).first()
            if user is None:
                user = User.objects.create_superuser(DEMO_EMAIL, DEMO_PASSWORD, name="Demo Merchant")
                business = Business.objects.create(name="Demo Corner Shop")
                Membership.objects.create(business=business, user=user, role=Role.OWNER)
                call_command("generate_synthetic_transactions", business=business.pk, stdout=self.stdout)
            else:
                self.stdout.write("The demo merchant exists already.")
        self.stdout.write(self.style.SUCCESS(f"Login: {DEMO_EMAIL} / {DEMO_PASSWORD}"))
