import { Component, onWillStart, onWillUnmount, status, useEffect, useRef, useState } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { formatFloat, formatInteger, formatPercentage } from "@web/views/fields/formatters";
import { compactMoney, formatMonth } from "../format/churn_format";

const SPANS = [12, 24];

/**
 * Monthly baselines (管控基数): transacting, new and churned customers per month with the churn
 * rate, as a Chart.js chart (the library Odoo's graph view lazy-loads) and a table whose footer is
 * the baseline, the mean of the complete months.
 */
export class ChurnBaselines extends Component {
    static template = "customer_churn_cockpit.ChurnBaselines";
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.canvasRef = useRef("canvas");
        this.state = useState({ months: SPANS[0], data: null });
        this.chart = null;
        onWillStart(() => Promise.all([loadBundle("web.chartjs_lib"), this.load()]));
        useEffect(
            () => this.renderChart(),
            () => [this.state.data]
        );
        onWillUnmount(() => this.chart?.destroy());
    }

    get spans() {
        return SPANS;
    }

    /** 近12个月 in Chinese: "12 月" would read as December. */
    spanLabel(months) {
        return _t("Last %s months", months);
    }

    async load() {
        const data = await this.orm.call("customer.churn.baseline", "get_monthly_baselines", [this.state.months]);
        if (status(this) !== "destroyed") {
            this.state.data = data;
        }
    }

    async setSpan(months) {
        if (months !== this.state.months) {
            this.state.months = months;
            await this.load();
        }
    }

    monthLabel(row) {
        return formatMonth(row.month);
    }

    integer(value) {
        return formatInteger(value);
    }

    decimal(value) {
        return formatFloat(value, { digits: [69, 1] });
    }

    money(value) {
        return compactMoney(value, this.state.data.currency_id);
    }

    rate(value) {
        return value === false ? "–" : formatPercentage(value, { digits: [69, 1] });
    }

    get hint() {
        return _t(
            "Confirmed orders per month. A customer churns %s days after its last order; the churn rate divides the customers churned in the month by those not churned when it began.",
            this.state.data.churned_days
        );
    }

    get partialTitle() {
        return _t("Month to date");
    }

    get baselineNote() {
        const complete = this.state.data.months.filter((row) => !row.partial).length;
        return _t(
            "Baseline: the mean of the %s complete months above; the current month, still running, is left out. Each month, customers at the start + new + returning − churned = customers at the start of the next.",
            complete
        );
    }

    chartLabel(row) {
        return row.partial ? `${this.monthLabel(row)} (${this.partialTitle})` : this.monthLabel(row);
    }

    renderChart() {
        this.chart?.destroy();
        const rows = this.state.data.months;
        // The month still running is drawn faded, and without a churn rate: its churns are not all in yet.
        const bar = (label, key, color) => ({
            type: "bar",
            label,
            data: rows.map((row) => row[key]),
            backgroundColor: rows.map((row) => (row.partial ? `${color}55` : color)),
            borderColor: color,
            borderWidth: rows.map((row) => (row.partial ? 1 : 0)),
            yAxisID: "y",
            order: 2,
        });
        this.chart = new Chart(this.canvasRef.el, {
            data: {
                labels: rows.map((row) => this.chartLabel(row)),
                datasets: [
                    bar(_t("Transacting customers"), "customers", "#4a8fdd"),
                    bar(_t("New customers"), "new_customers", "#3fb27f"),
                    bar(_t("Returning customers"), "returning", "#f0a830"),
                    bar(_t("Churned customers"), "churned", "#e0584b"),
                    {
                        type: "line",
                        label: _t("Churn rate"),
                        data: rows.map((row) =>
                            row.partial || row.churn_rate === false ? null : row.churn_rate * 100
                        ),
                        borderColor: "#8a5fbf",
                        backgroundColor: "#8a5fbf",
                        yAxisID: "rate",
                        order: 1,
                    },
                ],
            },
            options: {
                maintainAspectRatio: false,
                animation: false,
                interaction: { mode: "index", intersect: false },
                scales: {
                    y: { beginAtZero: true, title: { display: true, text: _t("Customers") } },
                    rate: {
                        position: "right",
                        beginAtZero: true,
                        grid: { drawOnChartArea: false },
                        title: { display: true, text: _t("Churn rate (%)") },
                    },
                },
            },
        });
    }
}
