import base64
import io
import re
from urllib.parse import quote

import xlsxwriter

from odoo import _, api, fields, models
from odoo.exceptions import UserError

# (field, kind): the columns the seeds show beside every segment, in their order.
COLUMNS = [
    ("display_name", "text"),
    ("user_id", "text"),
    ("churn_state", "text"),
    ("abc_tier", "text"),
    ("abc_tier_prev", "text"),
    ("abc_trend", "text"),
    ("value_segment", "text"),
    ("churn_revenue_current", "money"),
    ("churn_revenue_previous", "money"),
    ("churn_orders_current", "count"),
    ("churn_orders_previous", "count"),
    ("churn_last_order_date", "date"),
    ("churn_days_since", "integer"),
    ("churn_cycle_days", "decimal"),
    ("churn_next_order_date", "date"),
    ("churn_last_visit_date", "date"),
    ("churn_days_since_visit", "integer"),
    ("churn_last_coupon_date", "date"),
    ("churn_reason", "text"),
]
FLAGS = [
    "churn_newly_churned",
    "churn_traded_recently",
    "churn_not_traded_recently",
    "churn_sales_surge",
    "churn_sales_plunge",
    "churn_orders_rise",
    "churn_orders_plunge",
    "churn_cycle_overdue",
    "churn_salesperson_left",
    "churn_salesperson_changed",
]
# Columns summed on the totals row; the others show nothing there.
TOTALLED = ("money", "count")
# Figures that mean nothing without another one: no last order, no days since it.
# Characters a file name cannot hold on some system, or that end a path segment of the download
# address ("/" even when escaped: the router decodes it before matching).
UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|#]')
BLANK_UNLESS = {
    "churn_days_since": "churn_last_order_date",
    "churn_days_since_visit": "churn_last_visit_date",
    "churn_cycle_days": "churn_cycle_days",
}


class CustomerChurnExport(models.TransientModel):
    """A formatted Excel file of the chosen customers' figures, in the user's language."""

    _name = "customer.churn.export"
    _description = "Export Customer Figures to Excel"

    file = fields.Binary(readonly=True, attachment=False)
    filename = fields.Char(readonly=True)

    @api.model
    def _action_export(self, partners):
        """Build the file for ``partners`` (in the current company) and have the browser download it.

        Only the customers whose figures the user may read are written: a salesperson who sees his
        own documents only exports his own customers, whatever ids he sends.
        """
        partners = self._readable_customers(partners)
        if not partners:
            raise UserError(_("Select at least one customer to export."))
        # The web client sends the user's language; a call without one still gets it.
        localized = self.with_context(lang=self.env.lang or self.env.user.lang)
        # Created first: the access check on the export comes before any figure is read.
        export = localized.create({"filename": localized._filename()})
        export.file = base64.b64encode(localized._build_workbook(partners.with_env(localized.env)))
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{export.id}/file/{quote(export.filename)}?download=true",
            "target": "self",
        }

    def _readable_customers(self, partners):
        figures = self.env["customer.churn.figure"].search(
            [("partner_id", "in", partners.ids), ("company_id", "=", self.env.company.id)]
        )
        readable = set(figures.partner_id.ids)
        return partners.filtered(lambda partner: partner.id in readable)

    def _filename(self):
        """Named with the company's day, the one the figures are as of, not the UTC day."""
        company = self.env.company
        day = self.env["customer.churn.engine"]._today(company)
        return UNSAFE_IN_FILENAME.sub("-", _("customers-%(company)s-%(day)s.xlsx", company=company.name, day=day))

    @api.model
    def _build_workbook(self, partners):
        partners = partners.with_company(self.env.company)
        descriptions = partners.fields_get([name for name, _kind in COLUMNS] + FLAGS, ["string", "selection"])
        buffer = io.BytesIO()
        # A shop named "=HYPERLINK(...)" or "https://..." is a name: text stays text, never a live
        # formula or link; the totals are written as formulas explicitly.
        workbook = xlsxwriter.Workbook(
            buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        )
        formats = self._formats(workbook)
        sheet = workbook.add_worksheet(_("Customers"))
        headers = [_("Customer")] + [descriptions[name]["string"] for name, _kind in COLUMNS[1:]] + [_("Flags")]
        sheet.write_row(0, 0, headers, formats["header"])
        rows = [self._row(partner, descriptions) for partner in partners]
        kinds = [kind for _name, kind in COLUMNS] + ["text"]
        for index, values in enumerate(rows, start=1):
            for column, (kind, value) in enumerate(zip(kinds, values, strict=True)):
                if value not in (None, ""):
                    sheet.write(index, column, value, formats[kind])
        self._write_totals(sheet, rows, formats)
        self._layout(sheet, headers, len(rows))
        workbook.close()
        return buffer.getvalue()

    def _formats(self, workbook):
        currency = self.env.company.currency_id
        digits = "0" * currency.decimal_places
        number = f"#,##0.{digits}" if digits else "#,##0"
        symbol = currency.symbol.replace('"', "")
        money = f'"{symbol}"{number}' if currency.position == "before" else f'{number}"{symbol}"'
        header = {"bold": True, "bg_color": "#E9ECEF", "border": 1, "text_wrap": True, "valign": "top"}
        return {
            "header": workbook.add_format(header),
            "text": workbook.add_format(),
            "money": workbook.add_format({"num_format": money}),
            "count": workbook.add_format({"num_format": "#,##0"}),
            "integer": workbook.add_format({"num_format": "0"}),
            "decimal": workbook.add_format({"num_format": "0.0"}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "total_label": workbook.add_format({"bold": True, "top": 1}),
            "total_money": workbook.add_format({"bold": True, "top": 1, "num_format": money}),
            "total_count": workbook.add_format({"bold": True, "top": 1, "num_format": "#,##0"}),
        }

    def _row(self, partner, descriptions):
        values = [self._cell(partner, name, kind, descriptions) for name, kind in COLUMNS]
        values.append(", ".join(descriptions[flag]["string"] for flag in FLAGS if partner[flag]))
        return values

    def _cell(self, partner, name, kind, descriptions):
        """The cell's value, None for an empty cell (Odoo reads a missing number as 0)."""
        value = partner[name]
        if name == "user_id":
            return value.name
        if descriptions[name].get("selection"):
            return dict(descriptions[name]["selection"]).get(value)
        if kind in TOTALLED:
            return value or 0
        if name in BLANK_UNLESS and not partner[BLANK_UNLESS[name]]:
            return None
        if kind == "date":
            return value or None
        return value

    def _write_totals(self, sheet, rows, formats):
        """SUBTOTAL, so the totals follow the autofilter the user applies in Excel."""
        total_row = len(rows) + 1
        sheet.write(total_row, 0, _("Total (%s customers)", len(rows)), formats["total_label"])
        for column, (_name, kind) in enumerate(COLUMNS):
            if column and kind in TOTALLED:
                letter = xlsxwriter.utility.xl_col_to_name(column)
                total = sum(row[column] for row in rows)
                formula = f"=SUBTOTAL(109,{letter}2:{letter}{total_row})"
                sheet.write_formula(total_row, column, formula, formats[f"total_{kind}"], total)

    def _layout(self, sheet, headers, count):
        sheet.freeze_panes(1, 1)
        sheet.autofilter(0, 0, max(count, 1), len(headers) - 1)
        sheet.set_row(0, 32)
        sheet.set_column(0, 0, 32)
        sheet.set_column(1, len(headers) - 2, 14)
        sheet.set_column(len(headers) - 1, len(headers) - 1, 40)
