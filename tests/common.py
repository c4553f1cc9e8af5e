"""A small story-telling fixture: shops, their orders on chosen days, and a recompute."""

from datetime import date, datetime, time, timedelta

import pytz

from odoo import Command


def month_start(day, months_back=0):
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


# Always in the past whatever today is, and mid-month so that "last month" (the ABC month,
# M1) and the month before (M2) are whole calendar months before it.
AS_OF = month_start(date.today(), 2) + timedelta(days=14)
M1 = month_start(AS_OF, 1)
M2 = month_start(AS_OF, 2)


def days_ago(days, as_of=AS_OF):
    return as_of - timedelta(days=days)


class Scenario:
    """Builds customers and orders through the ORM, as a salesperson would in the Sales app."""

    def __init__(self, env, company=None):
        self.env = env
        self.company = company or env.company
        self.product = env["product.product"].create(
            {"name": "Instant noodles (case)", "type": "service", "list_price": 1.0, "taxes_id": [Command.clear()]}
        )
        self._pricelists = {}

    def customer(self, name, **values):
        return self.env["res.partner"].create({"name": name, "is_company": True, "customer_rank": 1, **values})

    def contact_of(self, parent, name):
        return self.env["res.partner"].create({"name": name, "parent_id": parent.id, "type": "delivery"})

    def order(self, partner, day, amount=100.0, state="sale", local_time=time(10, 0), currency=None, company=None):
        """An order of ``amount`` (untaxed) placed on ``day`` at ``local_time`` in the company's timezone."""
        company = company or self.company
        values = {
            "partner_id": partner.id,
            "company_id": company.id,
            "order_line": [
                Command.create(
                    {"product_id": self.product.id, "product_uom_qty": 1, "price_unit": amount, "tax_id": False}
                )
            ],
        }
        if currency:
            values["pricelist_id"] = self._pricelist(currency, company).id
        order = self.env["sale.order"].with_company(company).create(values)
        if state in ("sale", "cancel"):
            order.action_confirm()
        if state == "cancel":
            order._action_cancel()
        if state == "sent":
            order.action_quotation_sent()
        tz = pytz.timezone(company.partner_id.tz or "UTC")
        local = tz.localize(datetime.combine(day, local_time))
        order.date_order = local.astimezone(pytz.UTC).replace(tzinfo=None)
        return order

    def orders(self, partner, days, amount=100.0, **kwargs):
        return [self.order(partner, day, amount, **kwargs) for day in days]

    def _pricelist(self, currency, company):
        key = (currency.id, company.id)
        if key not in self._pricelists:
            self._pricelists[key] = self.env["product.pricelist"].create(
                {"name": f"{currency.name} prices", "currency_id": currency.id, "company_id": company.id}
            )
        return self._pricelists[key]

    def recompute(self, as_of=AS_OF, companies=None):
        return self.env["customer.churn.engine"].recompute(companies or self.company, as_of)

    def figures(self, partner, company=None):
        return partner.with_company(company or self.company)
