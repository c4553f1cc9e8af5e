import { Component } from "@odoo/owl";
import { formatInteger } from "@web/views/fields/formatters";

// Cell background by move: an upgrade is good news, a downgrade bad, the diagonal neutral.
const MOVE_CLASSES = {
    up: "bg-success-subtle",
    down: "bg-danger-subtle",
    same: "bg-light",
    none: "",
};
const TOTAL_CLASSES = { up: "btn-outline-success", down: "btn-outline-danger" };

/**
 * A movement matrix of the board: the earlier value in rows, the later one in columns, and the
 * customers who moved up or down. A click on a cell or a total lists exactly its customers.
 */
export class ChurnMatrix extends Component {
    static template = "customer_churn_cockpit.ChurnMatrix";
    static props = { matrix: Object, onOpen: Function };

    cellClass(cell) {
        return MOVE_CLASSES[cell.move];
    }

    totalClass(total) {
        return TOTAL_CLASSES[total.key] || "btn-outline-secondary";
    }

    format(count) {
        return formatInteger(count);
    }

    openCell(cell) {
        if (cell.count) {
            this.props.onOpen({ label: `${this.props.matrix.title}: ${cell.name}`, domain: cell.domain });
        }
    }

    openTotal(total) {
        this.props.onOpen({ label: `${this.props.matrix.title}: ${total.label}`, domain: total.domain });
    }
}
