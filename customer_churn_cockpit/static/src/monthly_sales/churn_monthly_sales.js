import { Component, onWillStart, onWillUnmount, onWillUpdateProps, useEffect, useRef, useState } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";
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
        this.chart = null;
        onWillStart(() => Promise.all([loadBundle("web.chartjs_lib"), this.load(this.props.record.resId)]));
        onWillUpdateProps((next) => {
            if (next.record.resId !== this.props.record.resId) {
                return this.load(next.record.resId);
            }
        });
        useEffect(
            () => this.renderChart(),
            () => [this.state.months]
        );
        onWillUnmount(() => this.chart?.destroy());
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

    renderChart() {
        this.chart?.destroy();
        this.chart = null;
        const rows = this.state.months;
        if (!rows.length || !this.canvasRef.el) {
            return;
        }
        this.chart = new Chart(this.canvasRef.el, {
            data: {
                labels: rows.map((row) => this.label(row)),
                datasets: [
                    {
                        type: "bar",
                        label: _t("Sales"),
                        data: rows.map((row) => row.revenue),
                        backgroundColor: rows.map((row) => (row.partial ? "#4a8fdd55" : "#4a8fdd")),
                        yAxisID: "y",
                        order: 2,
                    },
                    {
                        type: "line",
                        label: _t("Orders"),
                        data: rows.map((row) => row.orders),
                        borderColor: "#e0584b",
                        backgroundColor: "#e0584b",
                        yAxisID: "orders",
                        order: 1,
                    },
                ],
            },
            options: {
                maintainAspectRatio: false,
                animation: false,
                interaction: { mode: "index", intersect: false },
                scales: {
                    y: { beginAtZero: true, title: { display: true, text: _t("Sales") } },
                    orders: {
                        position: "right",
                        beginAtZero: true,
                        ticks: { precision: 0 },
                        grid: { drawOnChartArea: false },
                        title: { display: true, text: _t("Orders") },
                    },
                },
            },
        });
    }
}

registry.category("view_widgets").add("churn_monthly_sales", { component: ChurnMonthlySales });
