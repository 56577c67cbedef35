"""The inputs behind each sample of spec vac-protocol.md 1.7, as a manager would know them."""

from __future__ import annotations

from factories.flavour import VAC_03, VAC_MASTER, VCYCLE_03
from factories.model import Capacity, HostStatus, MachineState, MachinetypeState, Sender, Totals

NOW = 1543000000
VAC_SPACE = "vac01.tier2.hep.manchester.ac.uk"
VAC_FACTORY = "vm123.tier2.hep.manchester.ac.uk"
MAN = "UKI-NORTHGRID-MAN-HEP"
LHCB_FQAN = "/lhcb/Role=NULL/Capability=NULL"
ATLAS_FQAN = "/atlas/Role=production/Capability=NULL"

VAC_SENDER = Sender(VAC_03, VAC_SPACE, VAC_FACTORY, MAN)
VAC_MASTER_SENDER = Sender(VAC_MASTER, VAC_SPACE, VAC_FACTORY, MAN)
VCYCLE_SENDER = Sender(VCYCLE_03, "vcycle02.cern.ch", "vcycle-manager01.cern.ch", "CERN-PROD")

VAC_HOST = HostStatus(
    root_disk_avail_kb=10485760,
    root_disk_avail_inodes=3200000,
    daemon_disk_avail_kb=209715200,
    daemon_disk_avail_inodes=26000000,
    load_average=5.98,
    kernel_version="3.10.0-957.1.3.el7.x86_64",
    os_issue="CentOS Linux release 7.6.1810 (Core)",
    boot_time=1540407999,
    mem_total_kb=32781300,
    mem_used_kb=30860848,
    swap_used_kb=76544,
    swap_free_kb=8312060,
    factory_heartbeat_time=1542999993,
    responder_heartbeat_time=1542999993,
    mjf_heartbeat_time=1542999993,
    metadata_heartbeat_time=1542999993,
)
VAC_RUNNING = Totals(processors=2, machines=2, hs06=25.0)
VAC_CAPACITY = Capacity(max_processors=8, hs06_per_processor=12.5)

VCYCLE_HOST = HostStatus(
    root_disk_avail_kb=10485760,
    root_disk_avail_inodes=3200000,
    daemon_disk_avail_kb=41943040,
    daemon_disk_avail_inodes=6000000,
    load_average=0.4,
    kernel_version="3.10.0-957.1.3.el7.x86_64",
    os_issue="CentOS Linux release 7.6.1810 (Core)",
    boot_time=1534360000,
    mem_total_kb=8010244,
    mem_used_kb=5892844,
    factory_heartbeat_time=1543000000,
    mjf_heartbeat_time=1542999997,
    metadata_heartbeat_time=1542999997,
)
VCYCLE_RUNNING = Totals(processors=8, machines=1, hs06=80.0)
VCYCLE_CAPACITY = Capacity(max_processors=400, max_machines=400, hs06_per_processor=10.0)

VAC_LHCB = MachinetypeState(
    name="lhcb",
    running_machines=1,
    running_processors=1,
    running_hs06=12.5,
    shutdown_message="300 Nothing to do",
    shutdown_time=1542992840,
    shutdown_machine="vm123-01.tier2.hep.manchester.ac.uk",
    fqan=LHCB_FQAN,
)
VAC_MASTER_ATLAS = MachinetypeState(
    name="atlas",
    running_machines=2,
    running_processors=2,
    running_hs06=25.0,
    num_before_fizzle=1,
    fqan=ATLAS_FQAN,
)
VCYCLE_LHCB = MachinetypeState(
    name="lhcb",
    running_machines=1,
    running_processors=8,
    running_hs06=80.0,
    fqan=LHCB_FQAN,
    max_wallclock_seconds=172800,
    max_processors=8,
)

VAC_PUSHED = MachineState(
    name="vm123-03.tier2.hep.manchester.ac.uk",
    state="Running",  # Vac's finish-time quirk (spec 1.8.1)
    machinetype="atlas",
    uuid="c9e8d7f6-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
    created_time=1542913540,
    started_time=1542913600,
    heartbeat_time=1542999955,
    num_processors=1,
    cpu_seconds=84211,
    cpu_percentage=97.4,
    hs06=12.5,
    fqan=ATLAS_FQAN,
    machine_model="cernvm3",
    num_machines=8,
)
VAC_FINISHED = MachineState(
    name="vm123-01.tier2.hep.manchester.ac.uk",
    state="Shut down",
    machinetype="lhcb",
    uuid="a3c1f0d2-55e0-4d7b-8f43-1b2c9d0e7f66",
    created_time=1542991000,
    started_time=1542991050,
    heartbeat_time=1542992850,
    num_processors=1,
    cpu_seconds=1702,
    cpu_percentage=11.2,
    hs06=12.5,
    shutdown_message="300 Nothing to do",
    shutdown_time=1542992840,
    fqan=LHCB_FQAN,
    machine_model="cernvm3",
    num_machines=8,
)
VCYCLE_MACHINE = MachineState(
    name="vcycle-lhcb-a8d7s6f5g4",
    state="Shut down",
    machinetype="lhcb",
    uuid="7c6b5a49-3827-4160-a5b4-c3d2e1f00918",
    created_time=1542995000,
    started_time=1542995200,
    heartbeat_time=1542999100,
    num_processors=8,
    cpu_seconds=4150,
    cpu_percentage=100.0,
    hs06=80.0,
    shutdown_message="300 Nothing to do",
    shutdown_time=1542999300,
    fqan=LHCB_FQAN,  # known to the manager, but Vcycle never sends it (spec 1.5)
    stopped_time=1542999350,
    max_rss_bytes=8 * 2048 * 1048576,
)
