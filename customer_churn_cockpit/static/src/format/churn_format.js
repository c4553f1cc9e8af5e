import { getCurrency } from "@web/core/currency";
import { deserializeDate, formatDate } from "@web/core/l10n/dates";
import { localization } from "@web/core/l10n/localization";
import { formatInteger } from "@web/views/fields/formatters";

// Units for compact amounts: Chinese counts in 万 (10⁴) and 亿 (10⁸), the others in k, M, B.
const CHINESE_UNITS = [
    [1e8, "亿"],
    [1e4, "万"],
];
const WESTERN_UNITS = [
    [1e9, "B"],
    [1e6, "M"],
    [1e3, "k"],
];

function isChinese() {
    return (localization.code || "").startsWith("zh");
}

/**
 * A number in a few characters: 12.2万 / 180万 in Chinese, 122.1k / 1.8M otherwise. One decimal
 * below 100 units, none above; a trailing ".0" is dropped. Below the first unit, a whole number.
 */
export function compactNumber(value) {
    const magnitude = Math.abs(value);
    for (const [size, unit] of isChinese() ? CHINESE_UNITS : WESTERN_UNITS) {
        if (magnitude >= size) {
            const scaled = value / size;
            const text = scaled.toFixed(Math.abs(scaled) < 100 ? 1 : 0).replace(/\.0$/, "");
            return text.replace(".", localization.decimalPoint || ".") + unit;
        }
    }
    return formatInteger(Math.round(value));
}

/** A compact amount with the currency's symbol: ¥180万 in Chinese, ¥ 1.8M otherwise. */
export function compactMoney(amount, currencyId) {
    const text = compactNumber(amount);
    const currency = getCurrency(currencyId);
    if (!currency) {
        return text;
    }
    const separator = isChinese() ? "" : "\u00a0";
    return currency.position === "after"
        ? `${text}${separator}${currency.symbol}`
        : `${currency.symbol}${separator}${text}`;
}

/** A month (a "YYYY-MM-DD" day of it): 2026年1月 in Chinese, "Jan 2026" otherwise. */
export function formatMonth(day) {
    const date = deserializeDate(day);
    if (isChinese()) {
        return `${date.year}年${date.month}月`;
    }
    return formatDate(date, { format: "MMM yyyy" });
}
