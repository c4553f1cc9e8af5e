import { Component, onWillStart, status, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { formatFloat, formatInteger, formatPercentage } from "@web/views/fields/formatters";
import { monthBars, monthChartOptions, monthLine, useChart } from "../chart/churn_chart";
import { compactMoney, formatMonth } from "../format/churn_format";

const SPANS = [12, 24];

/**
 * Monthly baselines (管控基数): transacting, new and churned customers per month with the churn
 * rate, as a chart and a table whose footer is
 * the baseline, the mean of the complete months.
 */
export class ChurnBaselines extends Component {
    static template = "customer_churn_cockpit.ChurnBaselines";
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.canvasRef = useRef("canvas");
        this.state = useState({ months: SPANS[0], data: null });
        onWillStart(() => this.load());
        useChart(
            this.canvasRef,
            () => this.chartConfig(),
            () => [this.state.data]
        );
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

    chartConfig() {
        const rows = this.state.data.months;
        return {
            data: {
                labels: rows.map((row) => this.chartLabel(row)),
                datasets: [
                    monthBars(rows, _t("Transacting customers"), "customers", "#4a8fdd"),
                    monthBars(rows, _t("New customers"), "new_customers", "#3fb27f"),
                    monthBars(rows, _t("Returning customers"), "returning", "#f0a830"),
                    monthBars(rows, _t("Churned customers"), "churned", "#e0584b"),
                    // The month still running has no churn rate: its churns are not all in yet.
                    monthLine(
                        _t("Churn rate"),
                        rows.map((row) => (row.partial || row.churn_rate === false ? null : row.churn_rate * 100)),
                        "#8a5fbf"
                    ),
                ],
            },
            options: monthChartOptions(_t("Customers"), _t("Churn rate (%)")),
        };
    }
}
