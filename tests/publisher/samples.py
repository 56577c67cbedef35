"""Documents and messages quoted from the specs (vac-protocol.md 1.7 and 5.2,
crr-etf-sam.md 1.5 and 1.7), plus small builders for synthetic statuses."""

from __future__ import annotations

import json
from typing import Any

from publisher import FactoryStatus, MachinetypeStatus, SpaceInputs, SpaceSettings

# vac-protocol 1.7: Vac 03.00.01 factory_status with gocdb_sitename set.
VAC_FACTORY_STATUS = """{"load_average": 5.98, "root_disk_avail_inodes": 3200000, "total_cpus": 8,
"time_sent": 1543000000, "factory_heartbeat_time": 1542999993, "max_hs06": 100.0,
"mjf_heartbeat_time": 1542999993, "root_disk_avail_kb": 10485760,
"daemon_version": "Vac 03.00.01 vacd-factory", "vacquery_version": "VacQuery 01.03",
"cookie": "0", "boot_time": 1540407999, "vac_disk_avail_inodes": 26000000, "total_hs06": 100.0,
"max_machines": 8, "running_processors": 2, "site": "UKI-NORTHGRID-MAN-HEP",
"os_issue": "CentOS Linux release 7.6.1810 (Core)", "swap_used_kb": 76544, "running_cpus": 2,
"running_machines": 2, "space": "vac01.tier2.hep.manchester.ac.uk",
"kernel_version": "3.10.0-957.1.3.el7.x86_64", "running_hs06": 25.0,
"daemon_disk_avail_kb": 209715200, "mem_used_kb": 30860848,
"factory": "vm123.tier2.hep.manchester.ac.uk", "vac_disk_avail_kb": 209715200,
"mem_total_kb": 32781300, "total_machines": 8, "swap_free_kb": 8312060,
"vac_version": "Vac 03.00.01 vacd-factory", "responder_heartbeat_time": 1542999993,
"max_processors": 8, "max_cpus": 8, "daemon_disk_avail_inodes": 26000000,
"message_type": "factory_status", "metadata_heartbeat_time": 1542999993}"""

# vac-protocol 1.7: Vac 03.00.01 machinetype_status (no limits: an older sender).
VAC_LHCB_STATUS = """{"num_before_fizzle": 0, "machinetype": "lhcb", "num_machinetypes": 2,
"running_machines": 1, "space": "vac01.tier2.hep.manchester.ac.uk", "time_sent": 1543000000,
"shutdown_time": 1542992840, "factory": "vm123.tier2.hep.manchester.ac.uk",
"daemon_version": "Vac 03.00.01 vacd-factory", "fqan": "/lhcb/Role=NULL/Capability=NULL",
"vacquery_version": "VacQuery 01.03", "vac_version": "Vac 03.00.01 vacd-factory",
"running_hs06": 12.5, "site": "UKI-NORTHGRID-MAN-HEP", "cookie": "0",
"shutdown_message": "300 Nothing to do", "message_type": "machinetype_status",
"running_processors": 1.0, "shutdown_machine": "vm123-01.tier2.hep.manchester.ac.uk",
"running_cpus": 1.0}"""

# vac-protocol 1.7: Vac master machinetype_status, with limits.
VAC_ATLAS_STATUS = """{"site": "UKI-NORTHGRID-MAN-HEP",
"daemon_version": "Vac 03.01+pre00 vacd-factory", "vacquery_version": "VacQuery 01.03",
"shutdown_machine": null, "max_wallclock_seconds": 86400, "running_processors": 2.0,
"bytes_per_processor": 2147483648, "machinetype": "atlas",
"space": "vac01.tier2.hep.manchester.ac.uk", "running_hs06": 25.0,
"factory": "vm123.tier2.hep.manchester.ac.uk", "vac_version": "Vac 03.01+pre00 vacd-factory",
"shutdown_time": null, "time_sent": 1543000000, "fqan": "/atlas/Role=production/Capability=NULL",
"cookie": "0", "running_cpus": 2.0, "num_before_fizzle": 1, "num_machinetypes": 2,
"running_machines": 2, "max_processors": 1, "shutdown_message": null,
"message_type": "machinetype_status"}"""

# vac-protocol 1.7: Vcycle 03.00+pre06 factory_status and machinetype_status.
VCYCLE_FACTORY_STATUS = """{"mjf_heartbeat_time": 1542999997, "daemon_disk_avail_kb": 41943040,
"site": "CERN-PROD", "daemon_version": "Vcycle 03.00+pre06 vcycled",
"vacquery_version": "VacQuery 01.02", "running_processors": 8,
"os_issue": "CentOS Linux release 7.6.1810 (Core)", "space": "vcycle02.cern.ch",
"running_hs06": 0.0, "factory": "vcycle-manager01.cern.ch", "swap_used_kb": 0,
"daemon_disk_avail_inodes": 6000000, "load_average": 0.4, "root_disk_avail_inodes": 3200000,
"time_sent": 1543000000, "max_hs06": 0.0, "root_disk_avail_kb": 10485760,
"factory_heartbeat_time": 1543000000, "cookie": "0", "boot_time": 1534360000,
"max_machines": 400, "running_machines": 1, "kernel_version": "3.10.0-957.1.3.el7.x86_64",
"mem_used_kb": 5892844, "mem_total_kb": 8010244, "swap_free_kb": 0, "max_processors": 400,
"message_type": "factory_status", "metadata_heartbeat_time": 1542999997}"""

VCYCLE_LHCB_STATUS = """{"time_sent": 1543000000, "site": "CERN-PROD",
"daemon_version": "Vcycle 03.00+pre06 vcycled", "fqan": "/lhcb/Role=NULL/Capability=NULL",
"vacquery_version": "VacQuery 01.02", "cookie": "0", "max_wallclock_seconds": 172800,
"running_processors": 8, "bytes_per_processor": 2147483648, "machinetype": "lhcb",
"num_machinetypes": 2, "running_machines": 1, "space": "vcycle02.cern.ch",
"running_hs06": 0.0, "factory": "vcycle-manager01.cern.ch", "max_processors": 8,
"message_type": "machinetype_status"}"""

# vac-protocol 1.7: legacy Vac 01.00.01 (VacQuery 0.4) factory_status.
LEGACY_FACTORY_STATUS = """{"method": "factory", "message_type": "factory_status",
"vac_version": "Vac 01.00.01 vacd-factory", "vacquery_version": "VacQuery 0.4", "cookie": "0",
"space": "vac01.example.ac.uk", "factory": "vac-f01.example.ac.uk", "time_sent": 1466000000,
"total_cpus": 16, "max_cpus": 16, "running_cpus": 12, "running_machines": 12,
"running_hs06": 120.00, "total_machines": 16, "total_hs06": 160.00, "max_machines": 16,
"max_hs06": 160.00, "vac_disk_avail_kb": 104857600, "root_disk_avail_kb": 20971520,
"vac_disk_avail_inodes": 6553600, "root_disk_avail_inodes": 1310720, "load_average": 11.87,
"kernel_version": "2.6.32-573.22.1.el6.x86_64",
"os_issue": "Scientific Linux release 6.7 (Carbon)", "boot_time": 1463000000,
"factory_heartbeat_time": 1465999990, "responder_heartbeat_time": 1465999950,
"mjf_heartbeat_time": 1465999995, "metadata_heartbeat_time": 1465999980, "swap_used_kb": 0,
"swap_free_kb": 4194300, "mem_used_kb": 60000000, "mem_total_kb": 66000000,
"site": "vac01.example.ac.uk"}"""

# vac-protocol 5.2: what the original vacjson-cgi emitted for two Vac factories (8 and 16
# processors, 100 and 200 HS06), atlas from a master factory, lhcb from an older one.
VACMON_2019_MANCHESTER = """{
  "computingresources": {
    "vac01.tier2.hep.manchester.ac.uk": {
      "status": "production",
      "publication_time": 1543000000,
      "jobmanager": "uk.ac.gridpp.vac",
      "site": "UKI-NORTHGRID-MAN-HEP",
      "shares": {
        "atlas": {"max_walltime_minutes": 1440, "type": "machinetype",
                  "assigned_vos": ["atlas"], "max_main_memory_GB": 2},
        "lhcb": {"type": "machinetype", "assigned_vos": ["lhcb"]}
      },
      "number_logical_cpus": 24,
      "jobmanager_version": "03.00.01",
      "capacity_HS06": 300,
      "accesspoints": {
        "vac01.tier2.hep.manchester.ac.uk": {"version": "03.00.01", "flavour": "uk.ac.gridpp.vac",
          "endpoint_urls": ["vac01.tier2.hep.manchester.ac.uk"]}
      },
      "type": "vacuum"
    }
  }
}"""

# crr-etf-sam 1.5: the VacMon-2019-style document that fails CRR v1.5 with 9 errors (1.6).
VACMON_2019_EXAMPLE = """{"computingresources": {"vac01.example.ac.uk": {
  "publication_time": 1557996158,
  "shares": {"lhcb-vm-prod": {"type": "machinetype", "assigned_vos": ["lhcb"],
                               "max_walltime_minutes": 2880, "max_main_memory_GB": 2}},
  "site": "UKI-EXAMPLE", "type": "vacuum", "status": "production",
  "number_logical_cpus": 160, "capacity_HS06": 1600,
  "accesspoints": {"vac01.example.ac.uk": {"endpoint_urls": ["vac01.example.ac.uk"],
                                           "flavour": "uk.ac.gridpp.vac", "version": "03.01"}},
  "jobmanager": "uk.ac.gridpp.vac", "jobmanager_version": "03.01"}}}"""

# crr-etf-sam 1.7: the recommended output, valid against v1.5.
RECOMMENDED_CRR = """{
  "computingresources": {
    "vac01.example.ac.uk": {
      "site": "UKI-EXAMPLE", "type": "vacuum", "jobmanager": "VAC",
      "jobmanager_version": "03.01", "status": "production", "number_logical_cpus": 160,
      "capacity_hs06": 1600.0, "os": "CernVM 4 (EL7)", "max_walltime_minutes": 2880,
      "max_memory_gb": 2.0, "assigned_vos": ["lhcb", "atlas"],
      "comment": "generated by VacMon-style service", "publication_time": 1557996158,
      "shares": {
        "lhcb-vm-prod":   {"type": "machinetype", "assigned_vos": ["lhcb"],
                           "max_walltime_minutes": 2880, "max_memory_gb": 2.0},
        "atlas-vm-mcore": {"type": "machinetype", "assigned_vos": ["atlas"],
                           "max_walltime_minutes": 2880, "max_memory_gb": 2.0}
      },
      "accesspoints": {
        "vac01.example.ac.uk": {"flavour": "VAC", "version": "03.01",
                                "endpoint_urls": ["vac01.example.ac.uk"]}
      }
    }
  }
}"""

NOW = 1543000100
MANCHESTER_SPACE = "vac01.tier2.hep.manchester.ac.uk"
MANCHESTER_SITE = "UKI-NORTHGRID-MAN-HEP"


def stored(sample: str, time_received: int = NOW - 97, **changes: Any) -> dict[str, Any]:
    """A sample message as the store keeps it: plus time_received, with edits."""
    return {**json.loads(sample), "time_received": time_received, **changes}


def recommended() -> dict[str, Any]:
    """A fresh copy of the spec's valid document, for tests that break one thing."""
    document: dict[str, Any] = json.loads(RECOMMENDED_CRR)
    return document


def resource_of(document: Any, resource_id: str = "vac01.example.ac.uk") -> Any:
    return document["computingresources"][resource_id]


def factory(name: str, **fields: Any) -> FactoryStatus:
    values: dict[str, Any] = {
        "site": "UKI-EXAMPLE",
        "space": "vac01.example.ac.uk",
        "factory": name,
        "time_received": NOW - 60,
        "daemon_version": "Vac 03.01 vacd-factory",
        **fields,
    }
    return FactoryStatus(**values)


def machinetype(
    name: str, factory_name: str = "f1.example.ac.uk", **fields: Any
) -> MachinetypeStatus:
    values: dict[str, Any] = {
        "site": "UKI-EXAMPLE",
        "space": "vac01.example.ac.uk",
        "factory": factory_name,
        "machinetype": name,
        "time_received": NOW - 60,
        "fqan": f"/{name.split('-')[0]}/Role=NULL/Capability=NULL",
        "max_wallclock_seconds": 172800,
        "bytes_per_processor": 2 * 10**9,
        "max_processors": 1,
        **fields,
    }
    return MachinetypeStatus(**values)


def space(
    factories: list[FactoryStatus],
    machinetypes: list[MachinetypeStatus] | None = None,
    settings: SpaceSettings | None = None,
    name: str = "vac01.example.ac.uk",
) -> SpaceInputs:
    return SpaceInputs(
        site="UKI-EXAMPLE",
        space=name,
        factories=factories,
        machinetypes=machinetypes or [],
        settings=settings or SpaceSettings(),
    )
