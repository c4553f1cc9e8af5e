"""The backtest (SPEC §11) through the engine: counts of a small history, counted by hand.

A company of its own, first ordering 80 days before as_of, so with the default horizon of 60
days the replay dates are as_of - 60, - 67 and - 74; as_of - 81 comes before the first order
and is not replayed. Days below are "days before as_of".

- Early: one order, on day 80. Lost at every replay date; at risk (20 days) at day 60 only.
- On the line: day 80, then day 14 = (as_of - 74) + 60, exactly at d + H: not lost at 74.
- Past the line: day 80, then day 13 = (as_of - 74) + 61, one day past d + H: lost at 74.
- Late: first order on day 70, after the replay date 74: no customer there; lost at 67 and 60.

Population: 3 at 74 (Late had not ordered yet), 4 at 67, 4 at 60: 11. Lost: Early and Past
the line at 74, Early and Late at 67 and at 60: 6. At risk (15 to 29 days): Early, On the
line and Past the line at 60 (20 days): 3 flagged, 1 hit (Early). Nobody has three order days,
so no cycle: both bases flag the same. The previous window is empty everywhere: no plunge.
Fewer than 30 repeat customers: no P(alive) fit, so low P(alive) is not available.
"""

import pytest

from odoo import Command
from odoo.exceptions import AccessError

from odoo.addons.mail.tests.common import mail_new_test_user

from common import AS_OF, Scenario, days_ago

KEYS = {
    "company_id",
    "as_of",
    "signal",
    "replay_dates",
    "population",
    "flagged",
    "lost",
    "hits",
    "precision",
    "recall",
    "lift",
}


@pytest.fixture
def history(env):
    company = env["res.company"].create({"name": "Backtest Branch"})
    env.user.company_ids = [Command.link(company.id)]
    shop = Scenario(env, company)
    early, on_line, past_line, late = (
        shop.customer(name) for name in ("Early", "On the line", "Past the line", "Late")
    )
    shop.order(early, days_ago(80))
    shop.orders(on_line, [days_ago(80), days_ago(14)])
    shop.orders(past_line, [days_ago(80), days_ago(13)])
    shop.order(late, days_ago(70))
    return company


def by_signal(rows):
    return {row["signal"]: row for row in rows}


def test_counts_of_a_hand_built_history(env, history):
    rows = env["customer.churn.engine"].backtest(history, AS_OF)
    assert all(set(row) == KEYS for row in rows)
    assert {(row["company_id"], row["as_of"]) for row in rows} == {(history.id, AS_OF)}
    signals = by_signal(rows)
    for basis in ("at_risk_fixed", "at_risk_cycle"):
        row = signals[basis]
        assert (row["replay_dates"], row["population"], row["flagged"], row["lost"], row["hits"]) == (3, 11, 3, 6, 1)
        assert row["precision"] == pytest.approx(1 / 3)
        assert row["recall"] == pytest.approx(1 / 6)
        assert row["lift"] == pytest.approx((1 / 3) / (6 / 11))
    for signal in ("sales_plunge", "orders_plunge", "cycle_overdue"):
        row = signals[signal]
        assert (row["population"], row["flagged"], row["lost"], row["hits"]) == (11, 0, 6, 0)
        assert (row["precision"], row["recall"], row["lift"]) == (None, 0, None)
    low = signals["low_p_alive"]
    assert (low["replay_dates"], low["population"], low["flagged"], low["precision"]) == (0, None, None, None)


def test_lines_are_stored_and_replaced_not_duplicated(env, history):
    Engine, Line = env["customer.churn.engine"], env["customer.churn.backtest"]
    Engine.backtest(history, AS_OF)
    Engine.backtest(history, AS_OF)
    lines = Line.search([("company_id", "=", history.id)])
    assert len(lines) == 7
    at_risk = lines.filtered(lambda line: line.signal == "at_risk_fixed")
    assert (at_risk.population, at_risk.flagged, at_risk.hits, at_risk.as_of, at_risk.is_latest) == (
        11,
        3,
        1,
        AS_OF,
        True,
    )
    assert at_risk.flagged_per_week == pytest.approx(1.0)
    # 3 flagged over the replayed weeks: too few to tell.
    assert at_risk.too_few


def test_an_earlier_backtest_is_kept_but_not_latest(env, history):
    Engine, Line = env["customer.churn.engine"], env["customer.churn.backtest"]
    Engine.backtest(history, AS_OF)
    Engine.backtest(history, days_ago(7))
    lines = Line.search([("company_id", "=", history.id)])
    assert len(lines) == 14
    assert set(lines.filtered("is_latest").mapped("as_of")) == {AS_OF}


def test_other_companies_orders_do_not_count(env, history):
    other = Scenario(env)
    other.order(other.customer("Main company's shop"), days_ago(70))
    row = by_signal(env["customer.churn.engine"].backtest(history, AS_OF))["at_risk_fixed"]
    assert (row["population"], row["lost"]) == (11, 6)


def test_salespeople_may_not_run_the_backtest(env, history):
    rep = mail_new_test_user(
        env,
        login="bt_rep",
        groups="sales_team.group_sale_salesman",
        company_id=history.id,
        company_ids=[Command.set(history.ids)],
    )
    with pytest.raises(AccessError):
        env["customer.churn.engine"].with_user(rep).backtest(history, AS_OF)
    with pytest.raises(AccessError):
        env["customer.churn.backtest"].with_user(rep).action_run_backtest()


def test_managers_run_the_backtest_of_their_companies_only(env, history):
    manager = mail_new_test_user(env, login="bt_boss", groups="sales_team.group_sale_manager")
    with pytest.raises(AccessError):
        env["customer.churn.engine"].with_user(manager).backtest(history, AS_OF)
    manager.company_ids = [Command.link(history.id)]
    rows = env["customer.churn.engine"].with_user(manager).backtest(history, AS_OF)
    assert len(rows) == 7


def test_board_tiles_carry_the_measured_precision(env, history):
    env["customer.churn.engine"].backtest(history, AS_OF)
    board = env["customer.churn.board"].with_company(history).get_board_data()
    tiles = {tile["key"]: tile for section in board["sections"] for tile in section["tiles"]}
    # 3 flagged at risk over the replayed weeks: too few to tell.
    assert tiles["at_risk"]["precision"]["text"] == "Too few flagged in the backtest to tell"
    assert tiles["sales_plunge"]["precision"]["text"] == "Too few flagged in the backtest to tell"
    assert tiles["active"]["precision"] is False


def test_a_tile_precision_in_tenths_of_shops(env):
    Board = env["customer.churn.board"]
    # Both bases alike: the tile reads the company's basis, whichever it is.
    precisions = {
        "at_risk_fixed": (0.64, False, 60),
        "at_risk_cycle": (0.64, False, 60),
        "cycle_overdue": (0.27, False, 45),
    }
    text = Board._tile_precision("at_risk", env.company, precisions)["text"]
    assert text == "6 in 10 shops flagged here stopped buying within 60 days"
    text = Board._tile_precision("cycle_overdue", env.company, precisions)["text"]
    assert text == "3 in 10 shops flagged here stopped buying within 45 days"


def test_the_weekly_job_backtests_every_company_as_of_today(env, history):
    Engine = env["customer.churn.engine"]
    Engine._cron_backtest()
    today = Engine._today(history)
    lines = env["customer.churn.backtest"].search([("company_id", "=", history.id)])
    assert (len(lines), set(lines.mapped("as_of")), all(lines.mapped("is_latest"))) == (7, {today}, True)


def test_order_days_are_the_runs_own(env, history):
    """A delivery address's orders count for its shop; quotations and other companies' orders never do."""
    shop = Scenario(env, history)
    parent = shop.customer("Chain store")
    shop.order(shop.contact_of(parent, "Back door"), days_ago(30), 40)
    shop.order(parent, days_ago(30), 60)
    shop.order(parent, days_ago(20), 500, state="sent")
    Scenario(env).order(parent, days_ago(10), 70)
    days = env["customer.churn.extract"]._extract_order_days(history, AS_OF)
    rows = days[days["partner_id"] == parent.id]
    assert [(row.day.date(), row.amount, row.orders) for row in rows.itertuples()] == [(days_ago(30), 100.0, 2)]
