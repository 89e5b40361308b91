"""PostgreSQL: bytewise keys, the triggers that keep the roll-ups equal to the sales lines, a first fill."""

from django.db import migrations


def install(apps, schema_editor):
    from apps.analytics import rollups

    schema_editor.execute(rollups.collation_sql())
    schema_editor.execute(rollups.install_sql())
    Business = apps.get_model("accounts", "Business")
    with schema_editor.connection.cursor() as cursor:
        for business_id in Business.objects.values_list("pk", flat=True):
            rollups.rebuild_execute(cursor, business_id=business_id)


def uninstall(apps, schema_editor):
    from apps.analytics import rollups

    schema_editor.execute(rollups.UNINSTALL_SQL)


class Migration(migrations.Migration):
    atomic = True

    dependencies = [
        ("analytics", "0001_rollups_and_ledger"),
        ("data", "0005_receipt_job"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
