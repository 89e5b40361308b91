from django.core.management.base import BaseCommand, CommandError

from accounts.models import Business
from data.ingestion.services import upload_import_path, upload_options_clean
from data.management.commands.process_uploads import _summary
from data.models import UploadRecord
from project.common.exceptions import ApplicationError
from project.common.parsers import JSONRefused, json_loads


class Command(BaseCommand):
    help = "Import a CSV file for a business through the same service as the API, in the foreground."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--business", type=int, required=True)
        parser.add_argument(
            "--kind", choices=[kind for kind, _ in UploadRecord.Kind.choices], default="transactions"
        )
        parser.add_argument("--column-map", help='JSON, e.g. {"sku": "Item code"}')
        parser.add_argument("--date-order", choices=["auto", "mdy", "dmy"], default="auto")

    def handle(self, *args, path, business, kind, column_map, date_order, **options):
        business = Business.objects.filter(pk=business).first()
        if business is None:
            raise CommandError("No such business.")
        try:
            options = upload_options_clean(
                column_map=json_loads(column_map) if column_map else None, date_order=date_order
            )
            upload = upload_import_path(business=business, user=None, kind=kind, path=path, options=options)
        except (ApplicationError, JSONRefused) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(_summary(upload))
