"""The customer's last 12 months of sales and orders, for the chart on its Churn tab."""

from datetime import time, timedelta

import pytest

from odoo.exceptions import AccessError

from odoo.addons.mail.tests.common import mail_new_test_user

from common import AS_OF, M1, Scenario, month_start


@pytest.fixture
def shop(env):
    env.company.partner_id.tz = "Asia/Shanghai"
    return Scenario(env)


def test_the_chart_sums_each_local_month_of_the_customers_figures(env, shop):
    customer = shop.customer("Chart shop")
    shop.order(customer, AS_OF, 40)
    shop.order(shop.contact_of(customer, "Chart shop counter"), AS_OF - timedelta(days=1), 60)
    # 00:30 in Shanghai on the 1st of M1 is still the month before in UTC: it counts in M1.
    shop.order(customer, M1, 100, local_time=time(0, 30))
    shop.order(customer, month_start(AS_OF, 11), 7)  # the oldest month shown
    shop.order(customer, month_start(AS_OF, 12), 1000)  # a month too old
    shop.order(customer, M1 + timedelta(days=3), 500, state="cancel")
    branch = env["res.company"].create({"name": "Chart branch"})
    shop.order(customer, M1 + timedelta(days=4), 900, company=branch)
    shop.recompute()
    months = env["customer.churn.monthly.sales"].get_partner_months(customer.id)
    assert [row["month"] for row in months] == [month_start(AS_OF, back) for back in range(11, -1, -1)]
    by_month = {row["month"]: (row["revenue"], row["orders"]) for row in months}
    assert by_month[month_start(AS_OF)] == (100, 2)
    assert by_month[M1] == (100, 1)
    assert by_month[month_start(AS_OF, 11)] == (7, 1)
    assert sum(orders for _revenue, orders in by_month.values()) == 4
    assert [row["partial"] for row in months] == [False] * 11 + [True]


def test_a_salesperson_who_sees_his_own_customers_gets_no_chart_of_another(env, shop):
    mine, rivals = shop.customer("Mine"), shop.customer("Rival's")
    shop.orders(mine, [AS_OF], 10)
    shop.orders(rivals, [AS_OF], 10)
    shop.recompute()
    rep = mail_new_test_user(env, login="chart_rep", groups="sales_team.group_sale_salesman")
    other = mail_new_test_user(env, login="chart_other", groups="sales_team.group_sale_salesman")
    mine.user_id, rivals.user_id = rep, other
    Sales = env["customer.churn.monthly.sales"].with_user(rep)
    assert sum(row["orders"] for row in Sales.get_partner_months(mine.id)) == 1
    assert Sales.get_partner_months(rivals.id) == []
    clerk = mail_new_test_user(env, login="chart_clerk", groups="base.group_user")
    with pytest.raises(AccessError):
        env["customer.churn.monthly.sales"].with_user(clerk).get_partner_months(mine.id)
