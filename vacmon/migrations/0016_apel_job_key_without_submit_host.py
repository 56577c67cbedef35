"""APEL job records are one job per (site, local job id, end time), as in APEL's JobRecords.

Rows that differed only in submit host collapse to the newest one, which is also the one
APEL's REPLACE kept when both were sent in order.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models
from django.db.models import Max


def keep_the_newest_of_each_key(apps: Any, schema_editor: Any) -> None:
    record = apps.get_model("vacmon", "ApelRecord")
    repeated = (
        record.objects.filter(local_job_id__isnull=False)
        .values("site", "local_job_id", "end_time")
        .annotate(newest=Max("id"), count=models.Count("id"))
        .filter(count__gt=1)
    )
    for key in repeated.iterator():
        record.objects.filter(
            site=key["site"], local_job_id=key["local_job_id"], end_time=key["end_time"]
        ).exclude(id=key["newest"]).delete()


class Migration(migrations.Migration):
    dependencies = [("vacmon", "0015_latest_figures")]

    operations = [
        migrations.RemoveConstraint(model_name="apelrecord", name="apel_job_key"),
        migrations.RunPython(keep_the_newest_of_each_key, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="apelrecord",
            constraint=models.UniqueConstraint(
                fields=("site", "local_job_id", "end_time"), name="apel_job_key"
            ),
        ),
    ]
