"""A partial index of the relayed summary and sync rows by site and month: every job upload
asks which months its sites summarise themselves, and the site index walked every job record
the site ever sent to answer (7.9 us a record at 200,000 stored, growing with them)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("vacmon", "0020_rollup_metric_counts"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="apelrecord",
            index=models.Index(
                condition=models.Q(("kind__in", ("relayed-summary", "relayed-sync"))),
                fields=["site", "year", "month"],
                name="apel_relayed_month",
            ),
        ),
    ]
