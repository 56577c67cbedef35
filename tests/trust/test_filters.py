from __future__ import annotations

import pytest

from vacmon.models import Site
from vacmon.trust.filters import trusted_only

pytestmark = pytest.mark.django_db


def test_it_follows_the_setting(settings):
    settings.VACMON_CRR_TRUSTED_ONLY = False
    assert not trusted_only()
    settings.VACMON_CRR_TRUSTED_ONLY = True
    assert trusted_only()


def test_a_site_may_override_the_setting_either_way(settings):
    settings.VACMON_CRR_TRUSTED_ONLY = False
    Site.objects.create(name="STRICT", crr_trusted_only=True)
    Site.objects.create(name="LAX", crr_trusted_only=False)
    Site.objects.create(name="DEFAULT")
    assert trusted_only("STRICT")
    assert not trusted_only("DEFAULT")
    settings.VACMON_CRR_TRUSTED_ONLY = True
    assert not trusted_only("LAX")
    assert trusted_only("DEFAULT") and trusted_only("UNREGISTERED")
