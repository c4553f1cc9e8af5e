import { Component, markup, onWillStart, status, useState } from "@odoo/owl";
import { deserializeDate, formatDate } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { escape } from "@web/core/utils/strings";
import { Layout } from "@web/search/layout";
import { formatFloat, formatInteger } from "@web/views/fields/formatters";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { ChurnBaselines } from "../baselines/churn_baselines";
import { compactMoney } from "../format/churn_format";
import { ChurnMatrix } from "../matrix/churn_matrix";

// Sections side by side on a wide screen; a section's width follows its number of tiles.
const ROWS = [["state"], ["activity", "changes"], ["abc_tier", "value_segment"], ["salesperson"]];

export class ChurnTile extends Component {
    static template = "customer_churn_cockpit.ChurnTile";
    static props = {
        tile: Object,
        customers: Number,
        currencyId: Number,
        previousAsOf: String,
        onOpen: Function,
    };

    get countText() {
        return formatInteger(this.props.tile.count);
    }

    get shareWidth() {
        const { customers, tile } = this.props;
        return customers ? Math.round((100 * tile.count) / customers) : 0;
    }

    get shareTitle() {
        return _t("%s of the customers", `${this.shareWidth}%`);
    }

    get hasChange() {
        return this.props.tile.change !== false;
    }

    get changeText() {
        const change = this.props.tile.change;
        if (change === 0) {
            return "±0";
        }
        return `${change > 0 ? "▲" : "▼"} ${formatInteger(Math.abs(change))}`;
    }

    /** Green when the segment moves the good way (fewer at risk, more active), red otherwise. */
    get changeClass() {
        const { change, better } = this.props.tile;
        if (!change || !better) {
            return "text-bg-light text-muted";
        }
        const good = (change > 0) === (better === "up");
        return good ? "text-bg-success" : "text-bg-danger";
    }

    get changeTitle() {
        return _t("Change since the run of %s", this.props.previousAsOf);
    }

    /** Compact amounts (¥ 420, ¥ 12.5k; ¥12.2万 in Chinese): a tile has room for a few characters only. */
    compactAmount(amount) {
        return compactMoney(amount, this.props.currencyId);
    }

    get revenueText() {
        return this.compactAmount(this.props.tile.revenue_at_stake);
    }

    get previousText() {
        return this.compactAmount(this.props.tile.revenue_previous);
    }

    get revenueTitle() {
        return _t(
            "Revenue at stake: what these customers usually buy in a period, less what they are expected to buy. Below it, their sales in the previous period."
        );
    }

    onKeydown(ev) {
        if (ev.key === "Enter" || ev.key === " ") {
            ev.preventDefault();
            this.props.onOpen(this.props.tile);
        }
    }
}

export class ChurnBoard extends Component {
    static template = "customer_churn_cockpit.ChurnBoard";
    static components = { Layout, ChurnTile, ChurnMatrix, ChurnBaselines };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ data: null });
        onWillStart(() => this.load());
    }

    /** The ORM sends the user's context: the figures are those of the company picked in the switcher. */
    async load() {
        const data = await this.orm.call("customer.churn.board", "get_board_data", []);
        if (status(this) !== "destroyed") {
            this.state.data = data;
        }
    }

    get rows() {
        const sections = Object.fromEntries(this.state.data.sections.map((s) => [s.key, s]));
        return ROWS.map((keys) => keys.map((key) => sections[key]).filter(Boolean));
    }

    get asOf() {
        return this.formatDay(this.state.data.as_of);
    }

    get previousAsOf() {
        return this.formatDay(this.state.data.previous_as_of);
    }

    get customersText() {
        return formatInteger(this.state.data.customers);
    }

    /** The latest hand-overs and what became of their customers (SPEC §13), in the user's formats. */
    get handovers() {
        const currencyId = this.state.data.currency_id;
        return (this.state.data.handovers || []).map((handover) => ({
            ...handover,
            dayText: this.formatDay(handover.day),
            revenueText: formatCurrency(handover.revenue, currencyId),
            handedText: `${formatFloat(handover.handed_lost, { digits: [false, 1] })}%`,
            othersText: `${formatFloat(handover.others_lost, { digits: [false, 1] })}%`,
        }));
    }

    openHandover(handover) {
        return this.action.doAction({
            type: "ir.actions.act_window",
            res_model: "customer.churn.handover",
            res_id: handover.id,
            views: [[false, "form"]],
        });
    }

    formatDay(day) {
        return day ? formatDate(deserializeDate(day)) : "";
    }

    /** 客户分类指标定义: the company's churn settings, for the churn managers (the action's group). */
    onOpenSettings() {
        return this.action.doAction("customer_churn_cockpit.res_company_action_churn_settings");
    }

    onRecompute() {
        return this.action.doAction("customer_churn_cockpit.customer_churn_recompute_action", {
            onClose: () => this.load(),
        });
    }

    /** The customers of a tile, a matrix cell or a total, in the cockpit's list and kanban views. */
    openPartners({ label, domain }) {
        const { views } = this.state.data;
        return this.action.doAction({
            type: "ir.actions.act_window",
            name: label,
            res_model: "customer.churn.figure",
            domain,
            views: [
                [views.list, "list"],
                [views.kanban, "kanban"],
                [views.pivot, "pivot"],
                [false, "form"],
            ],
            search_view_id: [views.search, "search"],
            context: { create: false },
            help: markup(
                `<p class="o_view_nocontent_smiling_face">${escape(_t("No customer in this segment"))}</p>`
            ),
        });
    }
}

registry.category("actions").add("customer_churn_cockpit.board", ChurnBoard);
