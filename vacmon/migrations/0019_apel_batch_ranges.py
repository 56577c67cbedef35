"""APEL batches become id ranges of their header's queue instead of a batch_id on every
record (vacmon.models.apel). Records still waiting, cut or not, are given new ids past
every record held, in the order they were to go (batch by batch, then the uncut ones),
so that each unsent batch is one range and nothing waiting lies below a cut."""

from django.db import migrations, models

RECORDS = "vacmon_apelrecord"
BATCHES = "vacmon_apelbatch"


def to_ranges(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {RECORDS}")
        (top,) = cursor.fetchone()
        cursor.execute(
            "CREATE TEMPORARY TABLE apel_requeue AS"
            f" SELECT r.id AS old_id, {int(top)} + ROW_NUMBER() OVER ("
            "  ORDER BY CASE WHEN b.id IS NULL THEN 1 ELSE 0 END, b.created_at, b.id, r.id"
            " ) AS new_id"
            f" FROM {RECORDS} r LEFT JOIN {BATCHES} b ON r.batch_id = b.id"
            " WHERE r.forward AND (r.batch_id IS NULL OR b.sent_at IS NULL)"
        )
        cursor.execute(
            f"UPDATE {RECORDS} SET id ="
            f" (SELECT new_id FROM apel_requeue WHERE old_id = {RECORDS}.id)"
            " WHERE id IN (SELECT old_id FROM apel_requeue)"
        )
        cursor.execute("DROP TABLE apel_requeue")
        for column, function in (("first_record", "MIN"), ("last_record", "MAX")):
            cursor.execute(
                f"UPDATE {BATCHES} SET {column} = COALESCE("
                f"(SELECT {function}(id) FROM {RECORDS} WHERE batch_id = {BATCHES}.id), 0)"
            )
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{RECORDS}', 'id'), MAX(id))"
                f" FROM {RECORDS} HAVING MAX(id) IS NOT NULL"
            )


def to_batch_ids(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {RECORDS} SET batch_id = (SELECT b.id FROM {BATCHES} b"
            f" WHERE b.header = {RECORDS}.header"
            f" AND {RECORDS}.id BETWEEN b.first_record AND b.last_record)"
            " WHERE forward"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("vacmon", "0018_quarantined_messages"),
    ]

    operations = [
        migrations.AddField(
            model_name="apelbatch",
            name="first_record",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="apelbatch",
            name="last_record",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(to_ranges, to_batch_ids),
        migrations.RemoveIndex(
            model_name="apelrecord",
            name="apel_record_waiting",
        ),
        migrations.RemoveField(
            model_name="apelrecord",
            name="batch",
        ),
        migrations.AddIndex(
            model_name="apelbatch",
            index=models.Index(fields=["header", "last_record"], name="apel_batch_cut"),
        ),
        migrations.AddIndex(
            model_name="apelrecord",
            index=models.Index(
                condition=models.Q(("forward", True)),
                fields=["header", "id"],
                name="apel_record_queue",
            ),
        ),
    ]
