"""The cockpit board in a real browser: tiles from committed figures, and a click that lists the segment."""

import json

import pytest
from selenium.webdriver.common.by import By

from odoo_harness import ROOT

pytest_plugins = ("browser",)
pytestmark = pytest.mark.slow

# name -> [(days before today, untaxed amount), ...]; runs as of 7 days ago, then today.
STORY = {
    "Harbour Kiosk": [(d, 420) for d in (3, 10, 17, 24, 31, 38, 45, 52)],
    "Maple Corner Store": [(d, 260) for d in (1, 8, 15, 22, 36, 50)],
    "Sunny Side Minimart": [(5, 600), (12, 580), (19, 640), (33, 300), (47, 280)],
    "Jade Express": [(d, 150) for d in (1, 4, 7, 11, 14, 18, 22)],
    "Lotus Mart": [(d, 310) for d in (20, 34, 48, 62)],
    "Sunrise Grocery": [(d, 180) for d in (17, 31, 45)],
    "Golden Noodle Shop": [(d, 520) for d in (25, 40, 55, 70)],
    "Old Town Deli": [(d, 240) for d in (45, 60, 75)],
    "Corner 24": [(33, 90), (41, 90)],
    "Riverside Snacks": [(95, 150), (120, 150)],
    "Blue Door Cafe": [],
    "Pine Street Bakery": [],
}
# Last order 15 to 29 days ago. Seven days earlier only Golden Noodle Shop (18) and Corner 24 (26) were.
AT_RISK = ["Golden Noodle Shop", "Lotus Mart", "Sunrise Grocery"]
# Active at the first run (13 and 10 days), at risk at the second.
ACTIVE_TO_AT_RISK = ["Lotus Mart", "Sunrise Grocery"]
# Orders on days of the calendar months before this one (ABC_STORY): 1 in the month before last,
# 100,000 last month. Last month it holds over 80% of the sales alone, so it is the only A; the
# month before, the smallest buyer, so C.
CLIMBER = "Dragon Gate Supermarket"

SEED = """
import json, sys
from datetime import timedelta
import odoo
from odoo import SUPERUSER_ID, api
odoo.tools.config.parse_config(["-c", sys.argv[1], "--log-level=warn"])
db, tests_dir, story, climber_name = sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), sys.argv[5]
sys.path.insert(0, tests_dir)
from common import Scenario
with odoo.modules.registry.Registry.new(db).cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
    # The screenshots document the English interface, whatever language the admin last chose.
    env["res.lang"]._activate_lang("en_US")
    env.ref("base.user_admin").partner_id.lang = "en_US"
    shop = Scenario(env)
    # The story reads on the fixed days (at risk from day 15, churned from 30) for every shop.
    shop.company.churn_state_basis = "fixed"
    today = env["customer.churn.engine"]._today(shop.company)
    for name, orders in story.items():
        partner = shop.customer(name)
        for days, amount in orders:
            shop.order(partner, today - timedelta(days=days), amount)
    last_month = today.replace(day=1) - timedelta(days=1)
    climber = shop.customer(climber_name)
    shop.order(climber, (last_month.replace(day=1) - timedelta(days=1)).replace(day=3), 1)
    shop.order(climber, last_month.replace(day=3), 100000)
    # Active at both runs, whatever the day of the month.
    shop.orders(climber, [today - timedelta(days=8), today - timedelta(days=1)], 1)
    shop.recompute(as_of=today - timedelta(days=7))
    shop.recompute(as_of=today)
    at_risk = env["res.partner"].with_company(shop.company).search([("churn_state", "=", "at_risk")]).mapped("name")
print(json.dumps(sorted(at_risk)))
"""


@pytest.fixture(scope="module")
def browser_database(seed_database):
    name, output = seed_database("cct_browser_board", SEED, str(ROOT / "tests"), json.dumps(STORY), CLIMBER)
    assert json.loads(output.strip().splitlines()[-1]) == AT_RISK, "the engine disagrees with the story"
    return name


def test_board_shows_the_segments_and_a_click_lists_the_customers(browser):
    browser.open("/odoo/action-customer_churn_cockpit.customer_churn_board_action")
    tile = browser.wait(".o_churn_tile[data-tile-key='at_risk']")
    assert tile.find_element(By.CSS_SELECTOR, ".o_churn_tile_count").text == str(len(AT_RISK))
    assert tile.find_element(By.CSS_SELECTOR, ".o_churn_tile_change").text == "▲ 1"
    assert len(browser.driver.find_elements(By.CSS_SELECTOR, ".o_churn_tile")) == 23  # with the two salesperson tiles
    assert "Figures as of" in browser.wait(".o_churn_as_of").text
    assert browser.wait(".o_churn_recompute").text == "Recompute"  # admin manages the cockpit
    assert not browser.driver.find_elements(By.CSS_SELECTOR, ".o_notification"), "a warning covers the board"
    browser.screenshot("board.png")

    tile.click()
    names = browser.texts_when(".o_list_view .o_data_row td[name='partner_id']", AT_RISK)
    assert names == AT_RISK
    assert browser.wait(".o_breadcrumb .active").text == "At-Risk Customers"
    browser.screenshot("at_risk_list.png")
    assert not browser.console_errors()


def test_a_matrix_cell_lists_exactly_its_customers(browser):
    browser.open("/odoo/action-customer_churn_cockpit.customer_churn_board_action")
    matrix = browser.wait(".o_churn_matrix[data-matrix='abc']")
    browser.driver.execute_script("arguments[0].scrollIntoView()", matrix)
    browser.wait(".o_churn_baselines_table tbody tr")
    browser.screenshot("board_movement.png")

    cell = browser.wait(".o_churn_matrix[data-matrix='abc'] td[data-cell='C-A'] a")
    assert cell.text == "1"
    cell.click()
    names = browser.texts_when(".o_list_view .o_data_row td[name='partner_id']", [CLIMBER])
    assert names == [CLIMBER]
    assert browser.wait(".o_breadcrumb .active").text == "ABC Tier Movement: C → A"

    browser.driver.back()
    cell = browser.wait(".o_churn_matrix[data-matrix='state'] td[data-cell='active-at_risk'] a")
    assert cell.text == str(len(ACTIVE_TO_AT_RISK))
    cell.click()
    names = browser.texts_when(".o_list_view .o_data_row td[name='partner_id']", ACTIVE_TO_AT_RISK)
    assert names == ACTIVE_TO_AT_RISK
    assert not browser.console_errors()


def test_monthly_baselines_switch_between_12_and_24_months(browser):
    browser.open("/odoo/action-customer_churn_cockpit.customer_churn_board_action")
    browser.wait(".o_churn_baselines canvas")
    rows = ".o_churn_baselines_table tbody tr"
    assert len(browser.wait_until(lambda d: d.find_elements(By.CSS_SELECTOR, rows) or None, "no month")) == 12
    baselines = browser.wait(".o_churn_baselines")
    browser.driver.execute_script("arguments[0].scrollIntoView()", baselines)
    browser.screenshot("board_baselines.png")
    browser.wait(".o_churn_baselines_span[data-months='24']").click()
    browser.wait_until(lambda d: len(d.find_elements(By.CSS_SELECTOR, rows)) == 24, "no 24 months")
    assert not browser.console_errors()
