"""The demo-data generator (tools/demo_data.py) writes what it promises, and the ORM agrees with it.

Expected values are written here from the generator's contract (its docstring and the brief), not
read back from its constants: 150 customers, 12 months ending on AS_OF, every order state, two
companies and two currencies, orders placed by child contacts, names that Odoo continues.
"""

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import pytz
from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, Command, api

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from demo_data import generate  # noqa: E402 (after the sys.path line above)

CUSTOMERS = 150
MONTHS = 12
AS_OF = date.today()
FIRST_DAY = AS_OF - relativedelta(months=MONTHS)
SHANGHAI = pytz.timezone("Asia/Shanghai")


def local_day(moment, tz=SHANGHAI):
    return pytz.utc.localize(moment).astimezone(tz).date()


@pytest.fixture
def demo(env):
    """The database as the generator leaves it, with what existed before it ran."""
    Partner = env["res.partner"]
    before = {
        "customers": Partner.search([("customer_rank", ">", 0), ("is_company", "=", True)]),
        "orders": env["sale.order"].search([]),
    }
    stats = generate(env, customers=CUSTOMERS, months=MONTHS, seed=7, as_of=AS_OF)
    customers = Partner.search([("customer_rank", ">", 0), ("is_company", "=", True)]) - before["customers"]
    orders = env["sale.order"].search([]) - before["orders"]
    return env, stats, customers, orders


def confirmed(orders):
    return orders.filtered(lambda order: order.state == "sale")


def test_customers_are_companies_with_a_salesperson(demo):
    env, stats, customers, _orders = demo
    assert len(customers) == CUSTOMERS
    assert stats["customers"] == CUSTOMERS
    # The departed salesperson is archived: his customers are still his, to be handed over.
    salesmen = env.ref("sales_team.group_sale_salesman").with_context(active_test=False).users
    for customer in customers:
        assert customer.commercial_partner_id == customer
        assert customer.active and customer.customer_rank == 1 and not customer.company_id
        assert customer.user_id in salesmen
        assert customer.name and customer.display_name == customer.name
    assert 3 <= len(customers.user_id) <= stats["salespeople"]


def test_some_customers_never_ordered(demo):
    _env, _stats, customers, orders = demo
    buyers = confirmed(orders).partner_id.commercial_partner_id
    never = customers - buyers
    assert 1 <= len(never) <= CUSTOMERS * 0.1


def test_every_order_state_is_present_some_recently(demo):
    _env, stats, _customers, orders = demo
    for state in ("sale", "draft", "sent", "cancel"):
        of_state = orders.filtered(lambda order, state=state: order.state == state)
        assert of_state, state
        assert stats["orders"][state] == len(of_state)
        assert max(local_day(order.date_order) for order in of_state) >= AS_OF - timedelta(days=30), state
    # Open quotations and cancellations are a small share beside the confirmed orders.
    assert len(confirmed(orders)) > 10 * (len(orders) - len(confirmed(orders)))


def test_orders_span_the_months_up_to_as_of(demo):
    _env, stats, _customers, orders = demo
    days = [local_day(order.date_order) for order in orders]
    assert min(days) > FIRST_DAY
    assert max(days) <= AS_OF
    assert min(local_day(o.date_order) for o in confirmed(orders)) <= FIRST_DAY + timedelta(days=14)
    assert any(day > AS_OF - timedelta(days=7) for day in days)
    assert stats["first_day"] == FIRST_DAY + timedelta(days=1)
    assert stats["last_day"] == AS_OF


def test_orders_are_placed_during_business_hours_in_shanghai(demo):
    _env, _stats, _customers, orders = demo
    hours = {pytz.utc.localize(order.date_order).astimezone(SHANGHAI).hour for order in orders}
    assert hours <= set(range(8, 18))


def test_two_companies_trade_in_their_currencies(demo):
    env, stats, _customers, orders = demo
    main = env.company
    assert main.partner_id.tz == "Asia/Shanghai"
    branch = env["res.company"].browse(stats["companies"]) - main
    assert len(branch) == 1
    assert branch.currency_id != main.currency_id
    sales = confirmed(orders)
    main_sales = sales.filtered(lambda order: order.company_id == main)
    branch_sales = sales.filtered(lambda order: order.company_id == branch)
    assert main_sales and branch_sales
    assert len(branch_sales) < len(main_sales)
    assert set(branch_sales.currency_id) == {branch.currency_id}
    assert all(order.currency_rate == 1 for order in branch_sales)
    foreign = main_sales.filtered(lambda order: order.currency_id != main.currency_id)
    assert foreign, "some main-company orders are in the second currency"
    assert foreign.currency_id == branch.currency_id
    assert all(order.currency_rate > 0 and abs(order.currency_rate - 1) > 0.01 for order in foreign)
    assert branch.currency_id.active


def test_child_contacts_place_orders(demo):
    _env, _stats, customers, orders = demo
    children = customers.child_ids
    assert children
    assert all(child.commercial_partner_id == child.parent_id for child in children)
    assert set(children.mapped("type")) <= {"contact", "delivery"}
    by_child = orders.filtered(lambda order: order.partner_id.parent_id)
    assert by_child
    assert by_child.partner_id.commercial_partner_id <= customers


def test_customers_follow_different_rhythms_and_sizes(demo):
    _env, _stats, _customers, orders = demo
    per_customer = {}
    for order in confirmed(orders):
        per_customer.setdefault(order.partner_id.commercial_partner_id, []).append(order)
    counts = sorted(len(placed) for placed in per_customer.values())
    assert counts[-1] >= 40, "weekly buyers order about 50 times a year"
    assert counts[len(counts) // 4] <= 15, "monthly and irregular buyers order far less"
    last_days = {c: (AS_OF - max(local_day(o.date_order) for o in placed)).days for c, placed in per_customer.items()}
    assert sum(days <= 7 for days in last_days.values()) > len(last_days) / 3
    assert any(15 <= days <= 60 for days in last_days.values()), "customers who stopped lately"
    assert any(days > 60 for days in last_days.values()), "customers who stopped long ago"
    first_days = {c: min(local_day(o.date_order) for o in placed) for c, placed in per_customer.items()}
    assert any(day >= AS_OF - timedelta(days=100) for day in first_days.values()), "new customers"
    # Sizes: a few big shops hold much of the revenue (ABC tiers are meaningful).
    main_currency = orders.env.company.currency_id
    revenue = sorted(
        (sum(o.amount_untaxed / o.currency_rate for o in placed if o.company_id.currency_id == main_currency)
         for placed in per_customer.values()),
        reverse=True,
    )  # fmt: skip
    assert sum(revenue[: len(revenue) // 10]) > 0.3 * sum(revenue)


def test_order_amounts_are_the_sum_of_their_lines(demo):
    env, _stats, _customers, orders = demo
    env.cr.execute(
        """SELECT o.id, o.amount_untaxed, o.amount_tax, o.amount_total, COUNT(l.id), SUM(l.price_subtotal),
                  bool_and(l.price_subtotal = round(l.price_unit * l.product_uom_qty, 2))
             FROM sale_order o JOIN sale_order_line l ON l.order_id = o.id
            WHERE o.id = ANY(%s)
         GROUP BY o.id""",
        [orders.ids],
    )
    rows = env.cr.fetchall()
    assert len(rows) == len(orders), "every order has lines"
    for _id, untaxed, tax, total, lines, subtotal, line_math in rows:
        assert 1 <= lines <= 3
        assert untaxed == subtotal and total == untaxed + tax and untaxed > 0
        assert line_math


def test_orders_read_and_recompute_through_the_orm(demo):
    """Stored figures equal what Odoo computes itself: the Sales app shows them as if typed in."""
    env, _stats, _customers, orders = demo
    Order = env["sale.order"]
    sample = Order.search([("id", "in", orders.ids)], limit=5)
    for order in sample:
        assert order.amount_total > 0
        assert sum(order.order_line.mapped("price_subtotal")) == pytest.approx(order.amount_untaxed)
        assert order.partner_id.name and order.display_name == order.name
    sample |= orders.filtered(lambda order: order.currency_rate != 1)[:5]
    sample |= orders.filtered(lambda order: order.partner_id.parent_id)[:5]
    sample |= orders.filtered(lambda order: order.state != "sale")[:5]
    checks = {
        sample: ["amount_untaxed", "amount_tax", "amount_total", "currency_id", "currency_rate", "invoice_status",
                 "partner_invoice_id", "partner_shipping_id", "team_id", "require_signature", "prepayment_percent"],
        sample.order_line: ["name", "price_subtotal", "price_total", "price_tax", "price_reduce_taxexcl",
                            "qty_to_invoice", "untaxed_amount_to_invoice", "invoice_status", "qty_delivered_method",
                            "order_partner_id", "salesman_id", "company_id", "currency_id", "state"],
        sample.partner_id | sample.partner_id.commercial_partner_id: [
            "complete_name", "commercial_partner_id", "commercial_company_name", "partner_share", "phone_sanitized"],
    }  # fmt: skip
    for records, names in checks.items():
        stored = {(record.id, name): record[name] for record in records for name in names}
        for name in names:
            env.add_to_compute(records._fields[name], records)
        for (record_id, name), value in stored.items():
            expected = pytest.approx(value, rel=1e-9) if isinstance(value, float) else value
            assert records.browse(record_id)[name] == expected, (records._name, record_id, name)
    html = env["ir.actions.report"]._render_qweb_html("sale.action_report_saleorder", sample[:2].ids)[0]
    assert sample[0].name.encode() in html


def test_a_new_order_continues_the_numbering(demo):
    env, _stats, customers, orders = demo
    customer = confirmed(orders).filtered(lambda order: order.company_id == env.company)[0].partner_id
    customer = customer.commercial_partner_id
    assert customer in customers
    product = orders.order_line.product_id[0]
    order = env["sale.order"].create(
        {"partner_id": customer.id, "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 3})]}
    )
    order.action_confirm()
    assert order.state == "sale"
    assert env["sale.order"].search_count([("name", "=", order.name)]) == 1
    numbers = [int("".join(filter(str.isdigit, name))) for name in orders.mapped("name")]
    assert len(set(numbers)) == len(orders)
    assert int("".join(filter(str.isdigit, order.name))) > max(numbers)


def test_a_target_number_of_confirmed_orders(env):
    Order = env["sale.order"]
    before = Order.search_count([("state", "=", "sale")])
    stats = generate(env, customers=CUSTOMERS, months=MONTHS, seed=7, as_of=AS_OF, orders=2500)
    assert stats["orders"]["sale"] == 2500
    assert Order.search_count([("state", "=", "sale")]) - before == 2500


def test_the_cockpit_sees_every_churn_state_and_tier(demo):
    env, stats, customers, _orders = demo
    env["customer.churn.engine"].recompute(env.company, AS_OF)
    figures = customers.with_company(env.company)
    assert {"active", "at_risk", "churned", "never"} <= set(figures.mapped("churn_state"))
    assert {"A", "B", "C"} <= set(figures.mapped("abc_tier"))
    assert any(figures.mapped("churn_sales_plunge"))
    departed = env["res.users"].browse(stats["departed_salesperson"])
    assert not departed.active
    his = figures.filtered(lambda customer: customer.user_id == departed)
    assert his and all(his.mapped("churn_salesperson_left"))
    served = figures.filtered(lambda customer: customer.user_id.active and env.company in customer.user_id.company_ids)
    assert served and not any(served.mapped("churn_salesperson_left"))


def test_command_line_runs_as_a_script():
    script = Path(__file__).resolve().parents[1] / "tools" / "demo_data.py"
    result = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "--customers" in result.stdout and "--recompute" in result.stdout


def snapshot(registry, seed):
    """Run the generator in its own transaction, keep what it made, and roll it back."""
    cr = registry.cursor()
    try:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        before = env["sale.order"].search([]).ids
        generate(env, customers=60, months=6, seed=seed, as_of=AS_OF)
        orders = env["sale.order"].search([("id", "not in", before)])
        return sorted(
            (o.partner_id.commercial_partner_id.ref, o.partner_id.name, o.date_order, o.state, o.amount_total,
             o.currency_id.name, o.company_id.name, len(o.order_line))
            for o in orders
        )  # fmt: skip
    finally:
        cr.rollback()
        cr.close()
        registry.clear_all_caches()
        registry.reset_changes()


def test_same_seed_same_data(registry):
    first = snapshot(registry, seed=11)
    assert first
    assert snapshot(registry, seed=11) == first
    assert snapshot(registry, seed=12) != first
