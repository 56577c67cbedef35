"""Realistic `condor_status -json` output of a small DODAS pool (two worker nodes).

wn01 has an 8-core partitionable slot with three dynamic children (two CMS pilots busy, one
claimed but idle); wn02 has two static slots, one used by its owner and one unclaimed, and
a 4-core partitionable slot of a second slot type that is entirely free.
"""

from __future__ import annotations

import json

NOW = 1700000000

COMMON = {
    "MyType": "Machine",
    "OpSys": "LINUX",
    "Arch": "X86_64",
    "CondorVersion": "$CondorVersion: 23.0.6 2024-03-14 BuildID: 123 $",
    "MyCurrentTime": NOW,
}


def ad(**fields):
    return {**COMMON, **fields}


WN01 = "wn01.dodas.example.org"
WN02 = "wn02.dodas.example.org"
ADS = [
    ad(
        Name=f"slot1@{WN01}",
        Machine=WN01,
        MyAddress="<10.0.0.11:9618?addrs=10.0.0.11-9618>",
        SlotType="Partitionable",
        PartitionableSlot=True,
        SlotTypeID=1,
        SlotID=1,
        State="Unclaimed",
        Activity="Idle",
        Cpus=2,
        Memory=4096,
        TotalSlotCpus=8,
        TotalSlotMemory=16384,
        TotalCpus=8.0,
        TotalMemory=16384,
        AcceptedVOs="cms",
        LastHeardFrom=NOW - 30,
        EnteredCurrentState=NOW - 86400,
        LoadAvg=0.0,
    ),
    ad(
        Name=f"slot1_1@{WN01}",
        Machine=WN01,
        MyAddress="<10.0.0.11:9618>",
        SlotType="Dynamic",
        DynamicSlot=True,
        SlotTypeID=-1,
        SlotID=1,
        State="Claimed",
        Activity="Busy",
        Cpus=4,
        Memory=8192,
        AcceptedVOs="cms",
        RemoteOwner="cmspilot@dodas.example.org",
        RemoteUser="cmspilot@dodas.example.org",
        AccountingGroup="group_cms.pilot",
        x509UserProxyVOName="cms",
        x509UserProxyFirstFQAN="/cms/Role=pilot/Capability=NULL",
        GlobalJobId="schedd.dodas.example.org#1234.0#1699990000",
        JobStart=NOW - 7200,
        EnteredCurrentState=NOW - 7300,
        EnteredCurrentActivity=NOW - 7200,
        LastHeardFrom=NOW - 20,
        LoadAvg=3.92,
        TotalCpus=8.0,
    ),
    ad(
        Name=f"slot1_2@{WN01}",
        Machine=WN01,
        MyAddress="<10.0.0.11:9618>",
        SlotType="Dynamic",
        DynamicSlot=True,
        SlotTypeID=-1,
        SlotID=1,
        State="Claimed",
        Activity="Busy",
        Cpus=1,
        Memory=2048,
        AcceptedVOs="cms",
        RemoteOwner="cmspilot@dodas.example.org",
        AccountingGroup="group_cms.pilot",
        GlobalJobId="schedd.dodas.example.org#1235.0#1699995000",
        JobStart=NOW - 1800,
        EnteredCurrentState=NOW - 1850,
        LastHeardFrom=NOW - 20,
        LoadAvg=0.97,
        TotalCpus=8.0,
    ),
    ad(
        Name=f"slot1_3@{WN01}",
        Machine=WN01,
        MyAddress="<10.0.0.11:9618>",
        SlotType="Dynamic",
        DynamicSlot=True,
        SlotTypeID=-1,
        SlotID=1,
        State="Claimed",
        Activity="Idle",
        Cpus=1,
        Memory=2048,
        AcceptedVOs="cms",
        RemoteOwner="cmspilot@dodas.example.org",
        EnteredCurrentState=NOW - 40,
        EnteredCurrentActivity=NOW - 40,
        LastHeardFrom=NOW - 20,
        LoadAvg=0.0,
        TotalCpus=8.0,
    ),
    ad(
        Name=f"slot1@{WN02}",
        Machine=WN02,
        MyAddress="<10.0.0.12:9618>",
        SlotType="Static",
        SlotTypeID=0,
        SlotID=1,
        State="Owner",
        Activity="Idle",
        Cpus=1,
        Memory=2048,
        TotalCpus=6.0,
        AcceptedVOs="cms,atlas",
        LastHeardFrom=NOW - 10,
    ),
    ad(
        Name=f"slot2@{WN02}",
        Machine=WN02,
        MyAddress="<10.0.0.12:9618>",
        SlotType="Static",
        SlotTypeID=0,
        SlotID=2,
        State="Unclaimed",
        Activity="Idle",
        Cpus=1,
        Memory=2048,
        TotalCpus=6.0,
        AcceptedVOs="cms,atlas",
        LastHeardFrom=NOW - 10,
    ),
    ad(
        Name=f"slot3@{WN02}",
        Machine=WN02,
        MyAddress="<10.0.0.12:9618>",
        SlotType="Partitionable",
        PartitionableSlot=True,
        SlotTypeID=2,
        SlotID=3,
        State="Unclaimed",
        Activity="Idle",
        Cpus=4,
        Memory=8192,
        TotalSlotCpus=4,
        TotalSlotMemory=8192,
        TotalCpus=6.0,
        AcceptedVOs="atlas",
        LastHeardFrom=NOW - 10,
    ),
]

TEXT = json.dumps(ADS, indent=2)
