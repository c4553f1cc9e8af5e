"""The customer list in a real browser: the header buttons, and "Select all" acting on the whole list."""

import pytest
from selenium.webdriver.common.by import By

pytest_plugins = ("browser",)
pytestmark = pytest.mark.slow

# More than the list's page of 80, so ticking the header box selects only a part of them.
SHOPS = 85

SEED = """
import sys
from datetime import timedelta
import odoo
from odoo import SUPERUSER_ID, api
odoo.tools.config.parse_config(["-c", sys.argv[1], "--log-level=warn"])
db, tests_dir, shops = sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path.insert(0, tests_dir)
from common import Scenario
with odoo.modules.registry.Registry.new(db).cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    env["res.lang"]._activate_lang("en_US")
    env.ref("base.user_admin").partner_id.lang = "en_US"
    shop = Scenario(env)
    today = env["customer.churn.engine"]._today(shop.company)
    for n in range(shops):
        shop.order(shop.customer(f"Listed shop {n:03d}"), today - timedelta(days=3), 100)
    shop.recompute(as_of=today)
    count = env["customer.churn.figure"].search_count([("company_id", "=", shop.company.id)])
print(count)
"""


@pytest.fixture(scope="module")
def browser_database(seed_database):
    from odoo_harness import ROOT

    name, output = seed_database("cct_browser_lists", SEED, str(ROOT / "tests"), str(SHOPS))
    assert int(output.strip().splitlines()[-1]) == SHOPS
    return name


def open_plan_visits(browser):
    browser.wait_until(
        lambda d: next(
            (
                b
                for b in d.find_elements(By.CSS_SELECTOR, ".o_control_panel_actions button")
                if b.text == "Plan Visits" and b.is_displayed()
            ),
            None,
        ),
        "no Plan Visits button",
    ).click()
    return browser.wait(".modal .o_field_widget[name='selection_label']").text


def test_header_buttons_and_select_all_act_on_the_whole_list(browser):
    browser.open("/odoo/action-customer_churn_cockpit.customer_churn_figure_action")
    browser.wait(".o_list_view .o_data_row")
    assert "Plan Visits" not in browser.texts(".o_control_panel_actions button"), "shown before a row is selected"
    browser.wait(".o_list_view thead .o_list_record_selector input").click()
    buttons = browser.wait_until(
        lambda d: (
            [b.text for b in d.find_elements(By.CSS_SELECTOR, ".o_control_panel_actions button") if b.text] or None
        ),
        "no header buttons",
    )
    assert {"Plan Visits", "Send Coupons", "Export to Excel"} <= set(buttons)
    # The header box ticks the page: the wizard says so.
    assert open_plan_visits(browser) == f"80 of {SHOPS} customers"
    browser.wait(".modal .modal-footer button.btn-secondary").click()
    browser.wait_until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".modal"), "the wizard stays open")
    # Closing the wizard reloads the list, which drops the selection: tick again, then "Select all".
    browser.wait_until(lambda d: not browser._visible(".o_list_selection_box"), "the selection stays")
    browser.wait(".o_list_view thead .o_list_record_selector input").click()
    browser.wait(".o_list_select_domain").click()
    browser.wait_until(
        lambda d: f"All {SHOPS} selected" in browser.wait(".o_list_selection_box").text, "not all selected"
    )
    assert open_plan_visits(browser) == f"{SHOPS} of {SHOPS} customers"
    browser.screenshot("select_all_plan_visits.png")
    assert not browser.console_errors()
