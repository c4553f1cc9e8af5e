"""The board's Owl components under Odoo's own JavaScript unit tests (Hoot), run headless in Chromium.

The tests live in customer_churn_cockpit/static/tests (bundle ``web.assets_unit_tests``); Odoo's
/web/tests page runs only their suite (``suite=`` takes the hash Hoot gives a suite's full name,
as odoo/addons/web/tests/test_js.py computes it) and reports on the console.
"""

import time

import pytest

pytest_plugins = ("browser",)
pytestmark = pytest.mark.slow

SUITE = "@customer_churn_cockpit"
TIMEOUT = 90  # seconds; the first visit compiles the test bundle


def hoot_hash(name):
    """Hoot's id of a suite or a test: the Java-style string hash of its full name, in hex."""
    value = 0
    for char in name:
        value = ((value << 5) - value + ord(char)) & 0xFFFFFFFF
    return f"{value:08x}"


def test_hoot_unit_tests_of_the_board_pass(browser):
    assert hoot_hash("@web/core/autocomplete") == "69a6561d"  # the value Odoo's own test asserts
    browser.open(f"/web/tests?headless&loglevel=2&timeout=15000&suite={hoot_hash(SUITE)}")
    messages, deadline = [], time.monotonic() + TIMEOUT
    # Hoot styles its console lines: "%c[HOOT]%c test suite succeeded".
    ended = ("test suite succeeded", "test suite failed", "Some tests failed")
    while time.monotonic() < deadline:
        messages += [entry["message"] for entry in browser.driver.get_log("browser")]
        if any(signal in message for message in messages for signal in ended):
            break
        time.sleep(0.5)
    report = "\n".join(messages)
    assert any("[HOOT]" in m and "test suite succeeded" in m for m in messages), report[-6000:]
    # The suite did run: its ten tests passed.
    summary = [m for m in messages if "@customer_churn_cockpit/churn_board" in m and " ended" in m]
    assert summary and '"(passed:" 10 ' in summary[-1] and "failed" not in summary[-1], report[-6000:]
