import { Component, onWillStart, onWillUpdateProps, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";
import { monthBars, monthChartOptions, monthLine, useChart } from "../chart/churn_chart";
import { formatMonth } from "../format/churn_format";

/**
 * The customer's last 12 months of sales (bars) and orders (line) on its Churn tab: a manager
 * would rather look than read. The months end with the month of the customer's figures.
 */
export class ChurnMonthlySales extends Component {
    static template = "customer_churn_cockpit.ChurnMonthlySales";
    static props = { ...standardWidgetProps };

    setup() {
        this.orm = useService("orm");
        this.canvasRef = useRef("canvas");
        this.state = useState({ months: [] });
        onWillStart(() => this.load(this.props.record.resId));
        onWillUpdateProps((next) => {
            if (next.record.resId !== this.props.record.resId) {
                return this.load(next.record.resId);
            }
        });
        useChart(
            this.canvasRef,
            () => this.chartConfig(),
            () => [this.state.months]
        );
    }

    async load(partnerId) {
        this.state.months = partnerId
            ? await this.orm.call("customer.churn.monthly.sales", "get_partner_months", [partnerId])
            : [];
    }

    label(row) {
        const month = formatMonth(row.month);
        return row.partial ? `${month} (${_t("Month to date")})` : month;
    }

    chartConfig() {
        const rows = this.state.months;
        if (!rows.length) {
            return null;
        }
        return {
            data: {
                labels: rows.map((row) => this.label(row)),
                datasets: [
                    monthBars(rows, _t("Sales"), "revenue", "#4a8fdd"),
                    monthLine(
                        _t("Orders"),
                        rows.map((row) => row.orders),
                        "#e0584b"
                    ),
                ],
            },
            options: monthChartOptions(_t("Sales"), _t("Orders"), { precision: 0 }),
        };
    }
}

registry.category("view_widgets").add("churn_monthly_sales", { component: ChurnMonthlySales });
