"""Raw status messages, the latest-state table and the time-bucket rollups (embedded store).

Times are integer Unix seconds, as on the wire: bucketing is then plain integer arithmetic
that SQLite and PostgreSQL evaluate the same way.
"""

from __future__ import annotations

from django.db import models


class StatusBase(models.Model):
    site = models.CharField(max_length=255)
    space = models.CharField(max_length=255)
    factory = models.CharField(max_length=255)
    time_sent = models.BigIntegerField()
    time_received = models.BigIntegerField()
    skewed = models.BooleanField(default=False)
    trusted = models.BooleanField(default=False)
    daemon_version = models.CharField(max_length=1024, null=True)
    vacquery_version = models.CharField(max_length=1024, null=True)
    cookie = models.CharField(max_length=1024, null=True)
    extra = models.JSONField(default=dict)

    class Meta:
        abstract = True


class FactoryStatus(StatusBase):
    running_processors = models.BigIntegerField(null=True)
    running_machines = models.BigIntegerField(null=True)
    running_hs06 = models.FloatField(null=True)
    max_processors = models.BigIntegerField(null=True)
    max_machines = models.BigIntegerField(null=True)
    max_hs06 = models.FloatField(null=True)
    root_disk_avail_kb = models.BigIntegerField(null=True)
    root_disk_avail_inodes = models.BigIntegerField(null=True)
    daemon_disk_avail_kb = models.BigIntegerField(null=True)
    daemon_disk_avail_inodes = models.BigIntegerField(null=True)
    load_average = models.FloatField(null=True)
    kernel_version = models.CharField(max_length=1024, null=True)
    os_issue = models.CharField(max_length=1024, null=True)
    boot_time = models.BigIntegerField(null=True)
    factory_heartbeat_time = models.BigIntegerField(null=True)
    responder_heartbeat_time = models.BigIntegerField(null=True)
    mjf_heartbeat_time = models.BigIntegerField(null=True)
    metadata_heartbeat_time = models.BigIntegerField(null=True)
    mem_total_kb = models.BigIntegerField(null=True)
    mem_used_kb = models.BigIntegerField(null=True)
    swap_used_kb = models.BigIntegerField(null=True)
    swap_free_kb = models.BigIntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "space", "factory", "time_sent"], name="factorystatus_key"
            )
        ]
        indexes = [
            models.Index(fields=["time_received"]),
            # Site and space pages read short recent ranges of one site. Factory pages read
            # one factory's newest messages: with space and factory in the index they are
            # picked out of the site's range without visiting every row of the site.
            models.Index(fields=["site", "time_received", "space", "factory"]),
        ]


class MachinetypeStatus(StatusBase):
    machinetype = models.CharField(max_length=255)
    vo = models.CharField(max_length=255, null=True)
    fqan = models.CharField(max_length=1024, null=True)
    num_machinetypes = models.BigIntegerField(null=True)
    running_machines = models.BigIntegerField(null=True)
    running_processors = models.BigIntegerField(null=True)
    running_hs06 = models.FloatField(null=True)
    num_before_fizzle = models.BigIntegerField(null=True)
    shutdown_message = models.CharField(max_length=1024, null=True)
    shutdown_time = models.BigIntegerField(null=True)
    shutdown_machine = models.CharField(max_length=1024, null=True)
    bytes_per_processor = models.BigIntegerField(null=True)
    max_wallclock_seconds = models.BigIntegerField(null=True)
    min_wallclock_seconds = models.BigIntegerField(null=True)
    max_processors = models.BigIntegerField(null=True)
    min_processors = models.BigIntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "space", "factory", "machinetype", "time_sent"],
                name="machinetypestatus_key",
            )
        ]
        indexes = [
            models.Index(fields=["time_received"]),
            # Site and space pages read short recent ranges of one site.
            models.Index(fields=["site", "time_received"]),
        ]


class MachineStatus(StatusBase):
    machine = models.CharField(max_length=255)
    machinetype = models.CharField(max_length=255, null=True)
    vo = models.CharField(max_length=255, null=True)
    fqan = models.CharField(max_length=1024, null=True)
    state = models.CharField(max_length=1024, null=True)
    num_machines = models.BigIntegerField(null=True)
    machine_model = models.CharField(max_length=1024, null=True)
    uuid = models.CharField(max_length=1024, null=True)
    created_time = models.BigIntegerField(null=True)
    started_time = models.BigIntegerField(null=True)
    heartbeat_time = models.BigIntegerField(null=True)
    num_processors = models.BigIntegerField(null=True)
    cpu_seconds = models.BigIntegerField(null=True)
    cpu_percentage = models.FloatField(null=True)
    hs06 = models.FloatField(null=True)
    shutdown_message = models.CharField(max_length=1024, null=True)
    shutdown_time = models.BigIntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "space", "factory", "machine", "time_sent"],
                name="machinestatus_key",
            )
        ]
        indexes = [
            models.Index(fields=["time_received"]),
            # Site and space pages read short recent ranges of one site. Factory pages read
            # one factory's newest messages: with space and factory in the index they are
            # picked out of the site's range without visiting every row of the site.
            models.Index(fields=["site", "time_received", "space", "factory"]),
        ]


class LatestStatus(models.Model):
    """The newest factory and machinetype message per sender, kept on write so "current
    state" never scans the raw tables. Points at its raw row through the natural key, and
    keeps the envelope and the usage and capacity figures itself, which is all the overview
    needs of a thousand senders."""

    message_type = models.CharField(max_length=32)
    site = models.CharField(max_length=255)
    space = models.CharField(max_length=255)
    factory = models.CharField(max_length=255)
    item = models.CharField(max_length=255, default="")  # machinetype or machine
    vo = models.CharField(max_length=255, null=True)  # of the newest machinetype message
    time_received = models.BigIntegerField()
    time_sent = models.BigIntegerField()
    skewed = models.BooleanField(default=False)
    trusted = models.BooleanField(default=False)
    running_machines = models.BigIntegerField(null=True)
    running_processors = models.BigIntegerField(null=True)
    running_hs06 = models.FloatField(null=True)
    max_machines = models.BigIntegerField(null=True)
    max_processors = models.BigIntegerField(null=True)
    max_hs06 = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message_type", "site", "space", "factory", "item"], name="latest_key"
            )
        ]
        # No index on time_received: the table has one row per sender (thousands), a scan
        # is cheap, and every ingest batch rewrites time_received on most rows.


class MachineShutdown(models.Model):
    """Each machine outcome named by machinetype_status, once (vacmon.store.shutdowns):
    pages read outcomes from here instead of thousands of messages repeating them."""

    site = models.CharField(max_length=255)
    space = models.CharField(max_length=255)
    factory = models.CharField(max_length=255)
    machinetype = models.CharField(max_length=255)
    vo = models.CharField(max_length=255, null=True)
    machine = models.CharField(max_length=1024)
    time = models.BigIntegerField()
    message = models.CharField(max_length=1024)
    time_received = models.BigIntegerField()  # of the first message naming it

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "space", "factory", "machine", "time"], name="machineshutdown_key"
            )
        ]
        indexes = [
            models.Index(fields=["time"]),
            models.Index(fields=["site", "time"]),
        ]
