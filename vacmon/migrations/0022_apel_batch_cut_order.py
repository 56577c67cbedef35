"""Batches in the order they were cut: a forwarding pass cuts its whole window at one time,
so batches may share `created_at`, and their first records tell them apart."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("vacmon", "0021_apel_relayed_month_index"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="apelbatch",
            options={
                "ordering": ["created_at", "first_record"],
                "verbose_name": "APEL batch",
                "verbose_name_plural": "APEL batches",
            },
        ),
    ]
