import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { beforeEach, describe, expect, test } from "@odoo/hoot";
import { queryAllTexts } from "@odoo/hoot-dom";
import {
    contains,
    getService,
    mountWebClient,
    mountWithCleanup,
    onRpc,
    patchWithCleanup,
} from "@web/../tests/web_test_helpers";
import { currencies } from "@web/core/currency";
import { localization } from "@web/core/l10n/localization";

import { ChurnTile } from "@customer_churn_cockpit/board/churn_board";
import { compactMoney, compactNumber, formatMonth } from "@customer_churn_cockpit/format/churn_format";
import { ChurnMatrix } from "@customer_churn_cockpit/matrix/churn_matrix";

const YUAN = 7;

function tile(values = {}) {
    return {
        key: "at_risk",
        section: "state",
        label: "At-Risk Customers",
        count: 1234,
        change: -5,
        revenue_at_stake: 122100,
        revenue_previous: 1800000,
        better: "down",
        accent: "warning",
        domain: [["churn_state", "=", "at_risk"]],
        precision: false,
        ...values,
    };
}

function tileProps(values = {}, onOpen = () => {}) {
    return { tile: tile(values), customers: 2000, currencyId: YUAN, previousAsOf: "11/30/2026", onOpen };
}

function matrix() {
    const cell = (key, count, move) => ({ key, count, move, name: key, domain: [["id", "=", count]] });
    return {
        key: "abc",
        title: "ABC Tier Movement",
        hint: "",
        row_title: "Previous",
        column_title: "Now",
        columns: [
            { key: "A", label: "A" },
            { key: "B", label: "B" },
        ],
        rows: [
            { key: "A", label: "A", cells: [cell("A-A", 3, "same"), cell("A-B", 0, "down")] },
            { key: "B", label: "B", cells: [cell("B-A", 2, "up"), cell("B-B", 4, "same")] },
        ],
        totals: [
            { key: "up", label: "Upgraded", count: 2, domain: [["id", "=", 2]] },
            { key: "down", label: "Downgraded", count: 0, domain: [["id", "=", 0]] },
        ],
    };
}

describe.current.tags("desktop");
// The module depends on mail: its services need mail's models in the mock server.
defineMailModels();

beforeEach(() => {
    patchWithCleanup(localization, { code: "en_US", decimalPoint: ".", thousandsSep: ",", grouping: [3, 0] });
    patchWithCleanup(currencies, { [YUAN]: { symbol: "¥", position: "before", digits: [69, 2] } });
});

describe("compact amounts", () => {
    test("thousands and millions in English", () => {
        expect(compactNumber(420)).toBe("420");
        expect(compactNumber(122100)).toBe("122k");
        expect(compactNumber(12500)).toBe("12.5k");
        expect(compactNumber(1800000)).toBe("1.8M");
        expect(compactNumber(-3000)).toBe("-3k");
        expect(compactMoney(1800000, YUAN)).toBe("¥\u00a01.8M");
    });

    test("万 and 亿 in Chinese", () => {
        patchWithCleanup(localization, { code: "zh_CN" });
        expect(compactMoney(1800000, YUAN)).toBe("¥180万");
        expect(compactMoney(122100, YUAN)).toBe("¥12.2万");
        expect(compactMoney(8420, YUAN)).toBe("¥8,420");
        expect(compactMoney(250000000, YUAN)).toBe("¥2.5亿");
    });

    test("months read 2026年1月 in Chinese", () => {
        expect(formatMonth("2026-01-01")).toBe("Jan 2026");
        patchWithCleanup(localization, { code: "zh_CN" });
        expect(formatMonth("2026-01-01")).toBe("2026年1月");
        expect(formatMonth("2025-12-01")).toBe("2025年12月");
    });
});

describe("ChurnTile", () => {
    test("count, change badge, share and money", async () => {
        await mountWithCleanup(ChurnTile, { props: tileProps() });
        expect(".o_churn_tile_count").toHaveText("1,234");
        // Fewer customers at risk is good news: green.
        expect(".o_churn_tile_change").toHaveText("▼ 5");
        expect(".o_churn_tile_change").toHaveClass("text-bg-success");
        expect(".o_churn_tile_share .progress-bar").toHaveAttribute("style", "width: 62%");
        expect(".o_churn_tile_revenue").toHaveText(/^¥\s122k$/);
        expect(".o_churn_tile_previous").toHaveText(/^¥\s1\.8M$/);
    });

    test("more customers at risk is bad news: red", async () => {
        await mountWithCleanup(ChurnTile, { props: tileProps({ change: 3 }) });
        expect(".o_churn_tile_change").toHaveClass("text-bg-danger");
    });

    test("no badge without an earlier day to compare with", async () => {
        await mountWithCleanup(ChurnTile, { props: tileProps({ change: false }) });
        expect(".o_churn_tile_change").toHaveCount(0);
    });

    test("a click and the Enter key open the tile's customers", async () => {
        const opened = [];
        await mountWithCleanup(ChurnTile, { props: tileProps({}, (t) => opened.push(t.key)) });
        await contains(".o_churn_tile").click();
        await contains(".o_churn_tile").press("Enter");
        expect(opened).toEqual(["at_risk", "at_risk"]);
    });
});

describe("ChurnMatrix", () => {
    test("cells by move; a click lists exactly the cell's customers", async () => {
        const opened = [];
        await mountWithCleanup(ChurnMatrix, { props: { matrix: matrix(), onOpen: (what) => opened.push(what) } });
        expect("[data-cell='B-A']").toHaveClass("bg-success-subtle");
        expect("[data-cell='A-B']").toHaveClass("bg-danger-subtle");
        expect("[data-cell='A-B'] a").toHaveCount(0); // an empty cell opens nothing
        expect(queryAllTexts(".o_churn_matrix_total")).toEqual(["Upgraded 2", "Downgraded 0"]);
        await contains("[data-cell='B-A'] a").click();
        expect(opened).toEqual([{ label: "ABC Tier Movement: B-A", domain: [["id", "=", 2]] }]);
    });
});

describe("ChurnBoard", () => {
    function boardData(values = {}) {
        return {
            company: { id: 1, name: "Harbour Trading" },
            currency_id: YUAN,
            as_of: "2026-12-01",
            previous_as_of: false,
            customers: 2000,
            is_manager: true,
            can_open_settings: true,
            views: { list: false, kanban: false, pivot: false, search: false },
            sections: [{ key: "state", label: "Churn State", hint: "", tiles: [tile({ change: false })] }],
            matrices: [],
            failures: [],
            handovers: [],
            no_change_note: "No earlier day yet.",
            ...values,
        };
    }

    async function openBoard(data) {
        onRpc("get_board_data", () => data);
        onRpc("get_monthly_baselines", () => ({ currency_id: YUAN, churned_days: 30, months: [], average: {} }));
        await mountWebClient();
        await getService("action").doAction({ type: "ir.actions.client", tag: "customer_churn_cockpit.board" });
    }

    test("the first day says why there are no badges; the settings link is there", async () => {
        await openBoard(boardData());
        expect(".o_churn_no_change").toHaveText("No earlier day yet.");
        expect(".o_churn_settings").toHaveCount(1);
        expect("[data-tile-key='at_risk'] .o_churn_tile_change").toHaveCount(0);
    });

    test("a salesperson gets no settings link and no note once there is an earlier day", async () => {
        await openBoard(
            boardData({
                is_manager: false,
                can_open_settings: false,
                previous_as_of: "2026-11-30",
                no_change_note: false,
            })
        );
        expect(".o_churn_tile").toHaveCount(1);
        expect(".o_churn_no_change").toHaveCount(0);
        expect(".o_churn_settings").toHaveCount(0);
        expect(".o_churn_recompute").toHaveCount(0);
    });
});
