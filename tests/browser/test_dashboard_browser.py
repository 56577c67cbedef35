"""The dashboard in a real headless Chromium: charts draw, scripts run without errors, links
lead from the overview down to one machine, and hostile message text stays text."""

from __future__ import annotations

import pytest

from tests.dashboard.fleet import HOSTILE

pytestmark = pytest.mark.browser

SPACE = "/sites/EXAMPLE-SITE/vac01.example.ac.uk/"
PAGES = {
    "overview": "/",
    "site": "/sites/EXAMPLE-SITE/",
    "space": SPACE,
    "factory": SPACE + "f1.example.ac.uk/",
    "machinetype": SPACE + "machinetypes/atlas/",
    "machines": "/machines/",
    "vo": "/vos/lhcb/",
}


def errors(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def chart_shapes(driver) -> int:
    return driver.execute_script(
        "return document.querySelectorAll("
        "'svg.chart polygon, svg.chart polyline, svg.chart rect.bar').length"
    )


def no_alert(driver) -> bool:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        _ = driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def test_every_page_type_draws_its_charts_without_console_errors(driver, site, shoot):
    base, _ = site
    driver.get_log("browser")  # start from an empty log
    for name, path in PAGES.items():
        driver.get(base + path)
        assert driver.find_elements("css selector", "svg.chart"), name
        assert chart_shapes(driver) > 0, name
        assert errors(driver) == [], name
        assert no_alert(driver), name
        shoot(f"dashboard-{name}")


def test_every_page_type_draws_the_factory_simulators_fleet(driver, simulated, shoot):
    base, messages = simulated
    mt = next(m for m in messages if m.message_type == "machinetype_status")
    machine = next(m for m in messages if m.message_type == "machine_status")
    space = f"/sites/{mt.site}/{mt.space}/"
    pages = {
        "overview": "/",
        "site": f"/sites/{mt.site}/",
        "space": space,
        "factory": f"{space}{mt.factory}/",
        "machinetype": f"{space}machinetypes/{mt.machinetype}/",
        "machines": "/machines/?range=week",
        "vo": f"/vos/{mt.vo}/",
    }
    for name, path in pages.items():
        driver.get(base + path)
        assert chart_shapes(driver) > 0, name
        assert errors(driver) == [], name
        shoot(f"simulated-{name}")
    path = f"/sites/{machine.site}/{machine.space}/{machine.factory}/machines/{machine.machine}/"
    driver.get(base + path)
    assert machine.machine in driver.find_element("tag name", "h1").text
    assert errors(driver) == []


def test_clicking_from_the_overview_to_a_machine_shows_hostile_text_as_text(driver, site, shoot):
    base, fleet = site
    driver.get(base + "/")
    driver.find_element("link text", fleet.site).click()
    driver.find_element("link text", fleet.space).click()
    assert "Space " + fleet.space in driver.find_element("tag name", "h1").text
    driver.find_element("link text", "f1").click()
    assert fleet.factory in driver.find_element("tag name", "h1").text
    driver.find_element("link text", fleet.hostile_machine).click()
    assert driver.find_element("id", "shutdown-message").text == HOSTILE
    assert no_alert(driver)
    assert driver.execute_script("return document.querySelectorAll('main script').length") == 0
    assert errors(driver) == []
    shoot("dashboard-machine")


def test_the_range_form_and_refresh_pause_work(driver, site):
    base, _ = site
    driver.get(base + "/")
    from selenium.webdriver.support.ui import Select, WebDriverWait

    Select(driver.find_element("id", "range-select")).select_by_value("week")
    WebDriverWait(driver, 10).until(lambda d: "range=week" in d.current_url)
    toggle = driver.find_element("id", "refresh-toggle")
    assert toggle.text == "Pause"
    toggle.click()
    assert driver.find_element("id", "refresh-state").text == "auto-refresh paused"
    toggle.click()  # leave the browser profile as it was found
    assert toggle.text == "Pause"


def test_pages_fit_a_phone_screen(driver, site, shoot):
    base, _ = site
    driver.set_window_size(390, 844)
    try:
        for path in ("/", SPACE):
            driver.get(base + path)
            overflow = driver.execute_script(
                "return document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 1, path
        shoot("dashboard-space-phone")
    finally:
        driver.set_window_size(1280, 1000)
