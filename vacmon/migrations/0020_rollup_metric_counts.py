"""Per-sender rollups count each metric's samples (`n_<metric>`), the divisor of its
average, instead of one count for all metrics.

Rollups are kept longer than the raw messages (VACMON_ROLLUP_RETENTION_DAYS, 400 days, against
VACMON_RAW_RETENTION_DAYS, 30), so they cannot be rebuilt from them without losing history.
Each existing row's count becomes its message count where it holds the metric: exact for a
bucket whose messages all carried the metric, as before the upgrade. A bucket that mixed
messages with and without it keeps the too-low average it had (docs/deployment.md).
"""

from django.db import migrations, models

ROLLUPS = "vacmon_rollup"
METRICS = (
    "running_processors",
    "running_machines",
    "running_hs06",
    "max_processors",
    "max_machines",
    "max_hs06",
    "load_average",
    "mem_total_kb",
    "mem_used_kb",
    "swap_used_kb",
    "swap_free_kb",
    "root_disk_avail_kb",
    "root_disk_avail_inodes",
    "daemon_disk_avail_kb",
    "daemon_disk_avail_inodes",
    "num_before_fizzle",
)


def count_held_metrics(apps, schema_editor):
    counts = ", ".join(
        f"n_{m} = CASE WHEN {m} IS NOT NULL THEN samples ELSE 0 END" for m in METRICS
    )
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"UPDATE {ROLLUPS} SET {counts}")


class Migration(migrations.Migration):

    dependencies = [
        ('vacmon', '0019_apel_batch_ranges'),
    ]

    operations = [
        migrations.AddField(
            model_name='rollup',
            name='n_daemon_disk_avail_inodes',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='rollup',
            name='n_daemon_disk_avail_kb',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='rollup',
            name='n_load_average',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='rollup',
            name='n_max_hs06',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='rollup',
            name='n_max_machines',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='rollup',
            name='n_max_processors',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='rollup',
            name='n_mem_total_kb',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='rollup',
            name='n_mem_used_kb',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='rollup',
            name='n_num_before_fizzle',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='rollup',
            name='n_root_disk_avail_inodes',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='rollup',
            name='n_root_disk_avail_kb',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='rollup',
            name='n_running_hs06',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='rollup',
            name='n_running_machines',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='rollup',
            name='n_running_processors',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='rollup',
            name='n_swap_free_kb',
            field=models.IntegerField(db_default=0),
        ),
        migrations.AddField(
            model_name='rollup',
            name='n_swap_used_kb',
            field=models.IntegerField(db_default=0),
        ),
        migrations.RunPython(count_held_metrics, migrations.RunPython.noop),
    ]
