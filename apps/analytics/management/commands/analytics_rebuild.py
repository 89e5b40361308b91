from django.core.management.base import BaseCommand, CommandError

from accounts.models import Business
from apps.analytics.rollups import rollups_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the analytics roll-ups from the sales lines: one business, or every one. Needed after a "
        "business changes time zone; otherwise the triggers keep them exact and this changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--business", type=int, help="A business id (default: every business)")

    def handle(self, *args, business=None, **options):
        ids = [business] if business else list(Business.objects.order_by("pk").values_list("pk", flat=True))
        if business and not Business.objects.filter(pk=business).exists():
            raise CommandError("No such business.")
        for business_id in ids:
            rollups_rebuild(business_id=business_id)
            self.stdout.write(f"business {business_id}: roll-ups rebuilt")
