from __future__ import annotations

from datetime import timedelta

import pytest

from apel.fields import RecordKind
from apel.parse import parse_message
from apel.values import Benchmarks
from tests.apel.helpers import NOW, job_fields, message, record_text

SUMMARY = {
    "Site": "TEST-SITE",
    "Month": "10",
    "Year": "2026",
    "VO": "atlas",
    "SubmitHost": "ce01.example.org:8443/cream-slurm-grid",
    "InfrastructureType": "grid",
    "ServiceLevelType": "HEPSPEC",
    "ServiceLevel": "10.5",
    "NodeCount": "1",
    "Processors": "8",
    "EarliestEndTime": "1790899200",
    "LatestEndTime": "1793487599",
    "WallDuration": "720000",
    "CpuDuration": "650000",
    "NumberOfJobs": "100",
}
SUMMARY_HEADER = "APEL-summary-job-message: v0.2"


def only_error(text: str) -> str:
    result = parse_message(text, NOW)
    assert result.message_error is None
    assert not result.records, result.records
    assert len(result.errors) == 1
    return result.errors[0].message


def job_error(**changes: str | None) -> str:
    return only_error(message(job_fields(**changes)))


def summary_error(**changes: str) -> str:
    return only_error(message({**SUMMARY, **changes}, header=SUMMARY_HEADER))


def test_it_accepts_a_vac_job_record_with_typed_values_and_natural_key() -> None:
    result = parse_message(message(job_fields()), NOW)
    assert result.ok and result.kind is RecordKind.JOB
    (record,) = result.records
    assert record.fields["WallDuration"] == 86355
    assert record.fields["ServiceLevel"] == 12.5
    assert record.fields["EndTime"] == 1795686355
    assert list(record.fields)[:3] == ["Site", "SubmitHost", "LocalJobId"]
    assert record.natural_key == (
        "UKI-NORTHGRID-MAN-HEP",
        "c9e8d7f6-1a2b-4c3d-8e9f-0a1b2c3d4e5f",
        1795686355,
    )


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("APEL-individual-job-message: v0.2", RecordKind.JOB),
        ("APEL-individual-job-message: v0.3", RecordKind.JOB),
        ("APEL-individual-job-message:v0.3", RecordKind.JOB),
        ("APEL-individual-job-message: v0.4", RecordKind.JOB_V04),
        ("APEL-summary-job-message: v0.2", RecordKind.SUMMARY),
        ("APEL-summary-job-message: v0.3", RecordKind.NORMALISED_SUMMARY),
        ("APEL-summary-job-message: v0.4", RecordKind.SUMMARY_V04),
        ("APEL-normalised-summary-message: v0.4", RecordKind.NORMALISED_SUMMARY_V04),
        ("APEL-sync-message: v0.1", RecordKind.SYNC),
        ("APEL-sync-message: v9", RecordKind.SYNC),
        ("APEL-cloud-message: v0.4", RecordKind.CLOUD),
        ("APEL-cloud-message: v0.2", RecordKind.CLOUD),
        ("APEL-cloud-summary-message: v0.4", RecordKind.CLOUD_SUMMARY),
    ],
)
def test_it_dispatches_each_header_as_the_loader_does(header: str, kind: RecordKind) -> None:
    assert parse_message(header + "\n", NOW).kind is kind


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (
            "APEL-individual-jobs-message: v0.3",
            "Message type APEL-individual-jobs-message: v0.3 not recognised.",
        ),
        (
            "APEL-summary-job-message:v0.2",
            "Message type APEL-summary-job-message:v0.2 not recognised.",
        ),
        (
            "APEL-summary-job-message: v0.5",
            "Message type APEL-summary-job-message: v0.5 not recognised.",
        ),
        ("APEL individual job message", "Message header is incorrect: substring not found"),
    ],
)
def test_it_refuses_the_whole_message_for_an_unknown_header(header: str, error: str) -> None:
    result = parse_message(header + "\n" + record_text(job_fields()) + "%%\n", NOW)
    assert result.message_error == error
    assert not result.records


def test_it_names_a_missing_mandatory_field() -> None:
    assert job_error(Site=None) == "Mandatory field Site not specified."


@pytest.mark.parametrize("null", ["", "none", "NULL", "None"])
def test_it_refuses_a_null_in_a_mandatory_field(null: str) -> None:
    assert job_error(LocalJobId=null) == "NULL in mandatory field: LocalJobId"


def test_it_treats_null_in_an_optional_field_as_absent() -> None:
    (record,) = parse_message(message(job_fields(Queue="null")), NOW).records
    assert "Queue" not in record.fields


def test_it_keeps_the_raw_text_of_a_null_vo() -> None:
    (record,) = parse_message(message(job_fields(FQAN=None, VO="None")), NOW).records
    assert record.fields["VO"] == "None"


def test_it_refuses_an_unknown_field() -> None:
    assert only_error(message({**job_fields(), "Colour": "blue"})) == "Unknown field: Colour"


def test_it_ignores_the_fields_the_loader_ignores() -> None:
    (record,) = parse_message(message({**job_fields(), "UpdateTime": "whenever"}), NOW).records
    assert "UpdateTime" not in record.fields


@pytest.mark.parametrize("value", ["2h", "90.0", "1e3"])
def test_it_refuses_a_non_integer_in_an_int_field(value: str) -> None:
    assert job_error(WallDuration=value) == f"Invalid int value {value} in field WallDuration"


def test_it_refuses_a_non_number_in_a_float_field() -> None:
    error = job_error(ServiceLevel="fast")
    assert error == "Invalid float value fast in field ServiceLevel"


@pytest.mark.parametrize(
    "value",
    ["2026-01-02 03:04:05", "1795677013.5", "2026-11-01T10:00:00", "2026-11-01T10:00:00+00:00"],
)
def test_it_refuses_datetimes_the_loader_cannot_read(value: str) -> None:
    assert job_error(StartTime=value) == f"Unknown datetime format!: {value}"


def test_it_reads_an_iso_datetime_with_z_as_utc() -> None:
    (record,) = parse_message(message(job_fields(StartTime="2026-11-01T10:00:00Z")), NOW).records
    assert record.fields["StartTime"] == 1793527200


def test_it_refuses_an_end_time_more_than_two_days_ahead() -> None:
    too_late = int((NOW + timedelta(days=2, seconds=1)).timestamp())
    error = job_error(EndTime=str(too_late))
    assert error == "Epoch time 2026-11-28 12:00:01 is in the future."


def test_it_accepts_an_end_time_exactly_two_days_ahead() -> None:
    limit = str(int((NOW + timedelta(days=2)).timestamp()))
    assert parse_message(message(job_fields(EndTime=limit)), NOW).ok


def test_it_refuses_an_end_time_before_the_start_time() -> None:
    assert job_error(StartTime="1795686356") == "EndTime is before StartTime."


@pytest.mark.parametrize("unit", ["HEPSPEC", "hepspec", "si2k", "SI2K", "HEPscore23"])
def test_it_accepts_the_three_benchmark_types_in_any_case(unit: str) -> None:
    assert parse_message(message(job_fields(ServiceLevelType=unit)), NOW).ok


def test_it_refuses_an_unknown_benchmark_type() -> None:
    assert job_error(ServiceLevelType="HS06") == "ScalingFactorUnit HS06 not valid."


def test_it_refuses_a_record_without_any_benchmark_as_the_database_pass_does() -> None:
    error = job_error(ServiceLevelType=None, ServiceLevel=None)
    assert error == "ScalingFactorUnit custom not valid."


@pytest.mark.parametrize("missing", ["ServiceLevelType", "ServiceLevel"])
def test_it_refuses_a_benchmark_unit_without_value_and_vice_versa(missing: str) -> None:
    assert job_error(**{missing: None}) == "Unit but not value supplied for ScalingFactor."


def test_it_refuses_a_duration_over_2_31_in_the_procedure_parameters_words() -> None:
    # What APEL's loader reported through MariaDB for WallDuration 2147483648: the
    # value never fits ReplaceJobRecord's INT parameter `wallDuration`.
    loader_says = "(1264, \"Out of range value for column 'wallDuration' at row 0\")"
    assert job_error(WallDuration="2147483648") == loader_says
    assert job_error(MemoryVirtual="2147483648") == (
        "(1264, \"Out of range value for column 'memoryVirtual' at row 0\")"
    )


@pytest.mark.parametrize(
    ("field", "size", "parameter"),
    [
        ("Site", 255, "site"),
        ("SubmitHost", 255, "submitHost"),
        ("LocalJobId", 255, "localJobId"),
        ("Queue", 100, "queue"),
        ("FQAN", 255, "fullyQualifiedAttributeName"),
        ("InfrastructureType", 20, "infrastructureType"),
    ],
)
def test_a_text_longer_than_its_procedure_parameter_is_refused_in_mariadbs_words(
    field: str, size: int, parameter: str
) -> None:
    # MariaDB 10.11 in strict mode, for a CALL with a VARCHAR(5) parameter `site` given
    # 8 characters: ERROR 1406 (22001): Data too long for column 'site' at row 0.
    loader_says = f"(1406, \"Data too long for column '{parameter}' at row 0\")"
    assert job_error(**{field: "x" * (size + 1)}) == loader_says
    assert parse_message(message(job_fields(**{field: "x" * size})), NOW).ok


def test_of_two_parameters_refused_the_first_in_the_procedures_order_is_named() -> None:
    # site comes before wallDuration in ReplaceJobRecord, as MariaDB converts them.
    error = job_error(Site="S" * 256, WallDuration="2147483648")
    assert error == "(1406, \"Data too long for column 'site' at row 0\")"


def test_summary_and_sync_texts_longer_than_their_parameters_are_refused() -> None:
    error = summary_error(InfrastructureDescription="d" * 101)
    assert error == "(1406, \"Data too long for column 'infrastructureDescription' at row 0\")"
    sync = {"Site": "S", "SubmitHost": "h" * 256, "NumberOfJobs": "1", "Month": "10"}
    text = message({**sync, "Year": "2026"}, header="APEL-sync-message: v0.1")
    assert only_error(text) == "(1406, \"Data too long for column 'submitHost' at row 0\")"


def test_it_refuses_a_negative_duration_in_the_unsigned_columns_words() -> None:
    # -1 fits the signed parameter; the JobRecords column is BIGINT UNSIGNED.
    loader_says = "(1264, \"Out of range value for column 'CpuDuration' at row 1\")"
    assert job_error(CpuDuration="-1") == loader_says


def test_it_refuses_a_blank_line_inside_a_record_with_a_hint() -> None:
    fields = job_fields()
    text = "APEL-individual-job-message: v0.3\nSite: X\n\n" + record_text(fields) + "%%\n"
    result = parse_message(text, NOW)
    (error,) = result.errors
    assert error.message.startswith("Message header is incorrect: not enough values to unpack")
    assert error.hint is not None and "blank line" in error.hint


def test_it_reads_a_comment_line_with_a_colon_as_an_unknown_field() -> None:
    text = message(job_fields()).replace("Site:", "# note: hi\nSite:", 1)
    assert only_error(text) == "Unknown field: # note"


def test_it_splits_on_percent_percent_inside_a_value_as_the_loader_does() -> None:
    result = parse_message(message(job_fields(Queue="a%%b")), NOW)
    assert [e.message for e in result.errors][-1].startswith("Message header is incorrect")


def test_it_refuses_non_ascii_records() -> None:
    result = parse_message(message(job_fields(Queue="atlás")), NOW)
    assert result.errors[0].message == "Record contains non-ASCII characters"


def test_one_bad_record_never_drops_its_neighbours() -> None:
    good = [job_fields(LocalJobId=f"job-{i}") for i in range(3)]
    bad = job_fields(LocalJobId="job-bad", WallDuration="2h")
    result = parse_message(message(good[0], bad, good[1], good[2]), NOW)
    assert [r.fields["LocalJobId"] for r in result.records] == ["job-0", "job-1", "job-2"]
    (error,) = result.errors
    assert error.index == 1
    assert error.line == 2 + len(good[0]) + 1
    assert error.message == "Invalid int value 2h in field WallDuration"


def test_it_tolerates_crlf_a_missing_final_marker_and_no_space_after_the_colon() -> None:
    fields = job_fields(GlobalUserName=None)
    text = "APEL-individual-job-message: v0.3\r\n" + record_text(fields).replace("\n", "\r\n")
    text += "GlobalUserName:/DC=x\r\n"
    (record,) = parse_message(text, NOW).records
    assert record.fields["GlobalUserName"] == "/DC=x"
    assert record.fields["Site"] == "UKI-NORTHGRID-MAN-HEP"


def test_the_last_of_duplicate_keys_wins() -> None:
    text = message(job_fields()).replace("Queue: atlas\n", "Queue: atlas\nQueue: lhcb\n")
    (record,) = parse_message(text, NOW).records
    assert record.fields["Queue"] == "lhcb"


def test_it_derives_vo_group_and_role_from_the_fqan() -> None:
    fqan = "/atlas/uk/Role=pilot/Capability=NULL;/atlas/Role=NULL"
    (record,) = parse_message(message(job_fields(FQAN=fqan, VO="cms")), NOW).records
    assert record.vo_triplet == ("atlas", "/atlas/uk", "Role=pilot")


V04 = "APEL-individual-job-message: v0.4"


def v04_error(**changes: str | None) -> str:
    fields = job_fields(ServiceLevelType=None, ServiceLevel="{hepspec: 10.5}")
    return only_error(message({**fields, **changes}, header=V04))  # type: ignore[dict-item]


def test_it_prefers_hepscore23_in_a_v04_benchmark_dictionary() -> None:
    level = "{hepspec: 10.5, HEPscore23: 12.3, si2k: 2500}"
    fields = job_fields(ServiceLevelType=None, ServiceLevel=level)
    (record,) = parse_message(message(fields, header=V04), NOW).records
    assert isinstance(record.fields["ServiceLevel"], Benchmarks)
    assert record.benchmark == ("hepscore23", 12.3)


def test_it_refuses_a_plain_number_as_a_v04_service_level() -> None:
    assert v04_error(ServiceLevel="10").startswith("Expecting dictionary-like value.")


def test_it_refuses_a_v04_record_with_a_service_level_type_line() -> None:
    assert v04_error(ServiceLevelType="HEPSPEC") == "Mixture of benchmark types detected"


def test_it_refuses_a_v04_dictionary_without_a_known_benchmark() -> None:
    assert v04_error(ServiceLevel="{specint: 3}") == "No valid benchmark type found"


def test_it_accepts_the_spec_summary_sample() -> None:
    (record,) = parse_message(message(SUMMARY, header=SUMMARY_HEADER), NOW).records
    assert record.fields["NumberOfJobs"] == 100


def test_it_refuses_a_summary_for_a_future_month() -> None:
    error = summary_error(Month="12", EarliestEndTime="none", LatestEndTime="none")
    assert error == "Month specified in record is in the future."


def test_it_refuses_an_impossible_month() -> None:
    assert summary_error(Month="13") == "Invalid values for month and/or year."


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"EarliestEndTime": "1790812799"}, "EarliestEndTime is not within stated month."),
        ({"LatestEndTime": "1793491201"}, "LatestEndTime is not within stated month."),
        (
            {"EarliestEndTime": "1793487599", "LatestEndTime": "1790899200"},
            "LatestEndTime is earlier than EarliestEndTime.",
        ),
    ],
)
def test_it_refuses_summary_end_times_outside_the_month(
    changes: dict[str, str], error: str
) -> None:
    assert summary_error(**changes) == error


@pytest.mark.parametrize("field", ["WallDuration", "CpuDuration"])
def test_it_refuses_negative_summary_durations_in_the_loader_words(field: str) -> None:
    assert summary_error(**{field: "-1"}) == "Negative WallDuration"


def test_it_refuses_a_summary_without_service_level_as_the_database_does() -> None:
    fields = {k: v for k, v in SUMMARY.items() if k != "ServiceLevel"}
    error = only_error(message(fields, header=SUMMARY_HEADER))
    assert error == "(1048, \"Column 'ServiceLevel' cannot be null\")"


def test_a_summary_missing_both_benchmark_fields_gets_the_loaders_service_level_text() -> None:
    # What the loader reports through MariaDB 10.11 for such a summary: it fills the
    # missing ServiceLevelType with the text "None", so only ServiceLevel is NULL.
    loader_says = "(1048, \"Column 'ServiceLevel' cannot be null\")"
    fields = {k: v for k, v in SUMMARY.items() if k not in ("ServiceLevel", "ServiceLevelType")}
    assert only_error(message(fields, header=SUMMARY_HEADER)) == loader_says


def test_a_summary_without_service_level_type_is_loaded_as_the_loader_does() -> None:
    fields = {k: v for k, v in SUMMARY.items() if k != "ServiceLevelType"}
    assert parse_message(message(fields, header=SUMMARY_HEADER), NOW).ok


def test_a_negative_summary_job_count_is_refused_in_the_unsigned_columns_words() -> None:
    error = summary_error(NumberOfJobs="-1")
    assert error == "(1264, \"Out of range value for column 'NumberOfJobs' at row 1\")"


def test_a_sync_job_count_over_2_31_is_refused_in_the_procedure_parameters_words() -> None:
    sync = {"Site": "S", "SubmitHost": "h", "NumberOfJobs": "2147483648", "Month": "10"}
    text = message({**sync, "Year": "2026"}, header="APEL-sync-message: v0.1")
    assert only_error(text) == "(1264, \"Out of range value for column 'njobs' at row 0\")"


def test_a_summary_without_node_count_is_refused_as_the_not_null_column_does() -> None:
    fields = {k: v for k, v in SUMMARY.items() if k != "NodeCount"}
    error = only_error(message(fields, header=SUMMARY_HEADER))
    assert error == "(1048, \"Column 'NodeCount' cannot be null\")"


def test_a_summary_job_count_over_2_31_is_refused_in_the_parameters_words() -> None:
    error = summary_error(NumberOfJobs="2147483648")
    assert error == "(1264, \"Out of range value for column 'numberOfJobs' at row 0\")"


def test_it_accepts_sync_and_cloud_samples_from_the_spec() -> None:
    sync = {"Site": "S", "SubmitHost": "h", "NumberOfJobs": "100", "Month": "10", "Year": "2026"}
    assert parse_message(message(sync, header="APEL-sync-message: v0.1"), NOW).ok
    cloud = {"VMUUID": "vm-1", "SiteName": "TEST-CLOUD", "EndTime": "4102444800", "CpuCount": "2"}
    (record,) = parse_message(message(cloud, header="APEL-cloud-message: v0.4"), NOW).records
    assert record.fields["CpuCount"] == 2.0
