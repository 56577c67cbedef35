"""Pre-summed time buckets of the chartable metrics (embedded store).

Two levels: `Rollup` keeps per-sender sums at 5 minutes and 1 hour, so a chart over a long
range reads buckets instead of raw messages; `SpaceRollup` keeps, per space, machinetype and
VO, the sum of its senders' bucket averages at the chart intervals of wide ranges, so a
fleet-wide chart reads groups x buckets rows instead of senders x buckets rows.
"""

from __future__ import annotations

from django.db import models


class RollupMetrics(models.Model):
    running_processors = models.FloatField(null=True)
    running_machines = models.FloatField(null=True)
    running_hs06 = models.FloatField(null=True)
    max_processors = models.FloatField(null=True)
    max_machines = models.FloatField(null=True)
    max_hs06 = models.FloatField(null=True)
    load_average = models.FloatField(null=True)
    mem_total_kb = models.FloatField(null=True)
    mem_used_kb = models.FloatField(null=True)
    swap_used_kb = models.FloatField(null=True)
    swap_free_kb = models.FloatField(null=True)
    root_disk_avail_kb = models.FloatField(null=True)
    root_disk_avail_inodes = models.FloatField(null=True)
    daemon_disk_avail_kb = models.FloatField(null=True)
    daemon_disk_avail_inodes = models.FloatField(null=True)
    num_before_fizzle = models.FloatField(null=True)

    class Meta:
        abstract = True


class Rollup(RollupMetrics):
    """Per-sender sums over a time bucket (5 min or 1 h) so long ranges stay fast.

    Sums and sample counts are kept rather than averages so coarser buckets can be
    rebuilt exactly from finer ones. `samples` counts the messages; each `n_<metric>`
    counts those that carried the metric, the divisor of its average, because a sender
    may send a metric in some messages of a bucket and omit it in others. A count
    defaults to 0 in the database because a message type's statements leave the other
    type's metrics out.
    """

    resolution = models.IntegerField()
    bucket = models.BigIntegerField()
    message_type = models.CharField(max_length=32)
    site = models.CharField(max_length=255)
    space = models.CharField(max_length=255)
    factory = models.CharField(max_length=255)
    machinetype = models.CharField(max_length=255, default="")
    vo = models.CharField(max_length=255, null=True)
    samples = models.IntegerField()
    n_running_processors = models.IntegerField(db_default=0)
    n_running_machines = models.IntegerField(db_default=0)
    n_running_hs06 = models.IntegerField(db_default=0)
    n_max_processors = models.IntegerField(db_default=0)
    n_max_machines = models.IntegerField(db_default=0)
    n_max_hs06 = models.IntegerField(db_default=0)
    n_load_average = models.IntegerField(db_default=0)
    n_mem_total_kb = models.IntegerField(db_default=0)
    n_mem_used_kb = models.IntegerField(db_default=0)
    n_swap_used_kb = models.IntegerField(db_default=0)
    n_swap_free_kb = models.IntegerField(db_default=0)
    n_root_disk_avail_kb = models.IntegerField(db_default=0)
    n_root_disk_avail_inodes = models.IntegerField(db_default=0)
    n_daemon_disk_avail_kb = models.IntegerField(db_default=0)
    n_daemon_disk_avail_inodes = models.IntegerField(db_default=0)
    n_num_before_fizzle = models.IntegerField(db_default=0)

    class Meta:
        indexes = [
            models.Index(fields=["resolution", "message_type", "bucket"]),
            models.Index(fields=["resolution", "message_type", "site", "bucket"]),
            models.Index(fields=["resolution", "message_type", "site", "space", "bucket"]),
            # A factory page charts one factory over a month from these rows.
            models.Index(
                fields=["resolution", "message_type", "site", "space", "factory", "bucket"]
            ),
        ]


class RollupWatermark(models.Model):
    """Up to where (exclusive) each resolution's buckets have been built."""

    resolution = models.IntegerField(unique=True)
    built_until = models.BigIntegerField()


class SpaceRollup(RollupMetrics):
    """Σ over a space's senders (of one machinetype and VO) of each sender's average in
    the bucket: exactly what a chart grouped by site, space, machinetype or VO adds up, kept
    at the chart intervals themselves because averages do not combine across buckets.

    Factory rows have machinetype "" and no VO.
    """

    resolution = models.IntegerField()
    bucket = models.BigIntegerField()
    message_type = models.CharField(max_length=32)
    site = models.CharField(max_length=255)
    space = models.CharField(max_length=255)
    machinetype = models.CharField(max_length=255, default="")
    vo = models.CharField(max_length=255, null=True)

    class Meta:
        indexes = [
            models.Index(fields=["resolution", "message_type", "bucket"]),
            models.Index(fields=["resolution", "message_type", "site", "bucket"]),
        ]


class SpaceRollupWatermark(models.Model):
    """Up to where (exclusive) each SpaceRollup resolution has been built."""

    resolution = models.IntegerField(unique=True)
    built_until = models.BigIntegerField()
