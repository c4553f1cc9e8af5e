import { onWillStart, onWillUnmount, useEffect } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";

// The right-hand axis of a month chart: the line's (a rate, or a count beside money).
const LINE_AXIS = "line";

/**
 * A Chart.js chart on ``canvasRef`` (the library Odoo's graph view lazy-loads), drawn again when
 * ``dependencies()`` change. ``config()`` returns the chart's configuration, or null to draw none.
 */
export function useChart(canvasRef, config, dependencies) {
    let chart = null;
    const destroy = () => {
        chart?.destroy();
        chart = null;
    };
    onWillStart(() => loadBundle("web.chartjs_lib"));
    useEffect(() => {
        destroy();
        const configuration = canvasRef.el && config();
        if (configuration) {
            chart = new Chart(canvasRef.el, configuration);
        }
    }, dependencies);
    onWillUnmount(destroy);
}

/** Bars of ``key`` per month on the left axis; the month still running is drawn faded. */
export function monthBars(rows, label, key, color) {
    return {
        type: "bar",
        label,
        data: rows.map((row) => row[key]),
        backgroundColor: rows.map((row) => (row.partial ? `${color}55` : color)),
        borderColor: color,
        borderWidth: rows.map((row) => (row.partial ? 1 : 0)),
        yAxisID: "y",
        order: 2,
    };
}

/** A line of ``values`` (one per month, null for none) on the right axis, drawn over the bars. */
export function monthLine(label, values, color) {
    return {
        type: "line",
        label,
        data: values,
        borderColor: color,
        backgroundColor: color,
        yAxisID: LINE_AXIS,
        order: 1,
    };
}

/** Options of a month chart: the bars' axis on the left, the line's on the right, one tooltip per month. */
export function monthChartOptions(barsTitle, lineTitle, lineTicks = {}) {
    return {
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
            y: { beginAtZero: true, title: { display: true, text: barsTitle } },
            [LINE_AXIS]: {
                position: "right",
                beginAtZero: true,
                ticks: lineTicks,
                grid: { drawOnChartArea: false },
                title: { display: true, text: lineTitle },
            },
        },
    };
}
