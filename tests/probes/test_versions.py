from __future__ import annotations

import pytest

from probes.model import ProbeError
from probes.versions import DaemonVersion, split_daemon_version


def test_versions_sort_with_pre_releases_before_their_release():
    texts = ["03.00.01", "03.01+pre00", "03.01+pre01", "03.01", "03.01.01", "03.10", "10.0"]
    versions = [DaemonVersion.parse(t) for t in texts]
    assert sorted(reversed(versions)) == versions


def test_missing_release_numbers_count_as_zero():
    assert DaemonVersion.parse("03.01") == DaemonVersion.parse("03.01.00")


def test_it_splits_product_and_version():
    assert split_daemon_version("Vcycle 03.00+pre06 vcycled") == (
        "Vcycle",
        DaemonVersion.parse("03.00+pre06"),
    )
    assert split_daemon_version("03.01+pre00")[0] is None


@pytest.mark.parametrize("text", ["", "v3", "03.00-rc1", "1.2.3.4", "Vac 03 a b"])
def test_it_rejects_what_is_not_a_vac_version(text):
    with pytest.raises(ProbeError):
        split_daemon_version(text)
