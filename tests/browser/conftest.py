from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.dashboard.fleet import write_fleet

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


@pytest.fixture(scope="session")
def driver(tmp_path_factory):
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip(
            "SKIPPED LOUDLY: no /usr/bin/chromium or /usr/bin/chromedriver "
            "(apt-get install -y chromium chromium-driver); browser tests did not run"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(20)
    yield browser
    browser.quit()


@pytest.fixture
def site(live_server, transactional_db, settings):
    settings.ROOT_URLCONF = "tests.dashboard.urls"
    cache.clear()
    fleet = write_fleet(int(time.time()))
    yield live_server.url, fleet
    cache.clear()


@pytest.fixture
def shoot(driver):
    SCREENSHOTS.mkdir(exist_ok=True)

    def save(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        driver.save_screenshot(str(path))
        print(f"screenshot: {path}")
        return path

    return save


@pytest.fixture
def simulated(live_server, transactional_db, settings):
    """Six hours of the factory simulator's traffic (2 sites x 2 factories x 2 machinetypes,
    one-minute cycles), stored as the listener stores it, with the rollups built."""
    from factories.messages import normalise
    from factories.simulate import Fleet
    from vacmon.store import get_store
    from vacmon.store.embedded import rollups

    settings.ROOT_URLCONF = "tests.dashboard.urls"
    cache.clear()
    now = int(time.time())
    fleet = Fleet(start=now - 6 * 3600, seed=7, sites=2, factories=2, machinetypes=2)
    messages = [normalise(m, received=int(m["time_sent"])) for m in fleet.advance(now)]
    get_store().write(messages)
    rollups.build(now)
    yield live_server.url, messages
    cache.clear()
