"""Chinese (zh_CN) translation: complete, in step with the code, and what users actually see.

The current terms come from Odoo's own exporter (``trans_export``, as ``odoo-bin --i18n-export`` and
``tools/update_translations.py`` use it) run on the test registry, so a new ``_()`` string, field label,
selection value or view text that nobody translated fails here with its text.
"""

import io
import re
from collections import Counter

import polib
import pytest

from odoo.tools.translate import trans_export

from odoo_harness import MODULE, ROOT

I18N = ROOT / MODULE / "i18n"
POT = I18N / f"{MODULE}.pot"
PO = I18N / "zh_CN.po"
FIX = "refresh them with: .cockpit/venv/bin/python tools/update_translations.py --db DBNAME (see its docstring)"
# printf-style placeholders (%s, %(name)s), format fields ({name}) and HTML tags must survive translation.
TOKENS = re.compile(r"%\(\w+\)[sdfr]|%[sdfr]|\{\w*\}|</?[a-zA-Z][\w-]*")


@pytest.fixture(scope="module")
def exported_msgids(registry):
    """The module's translatable terms, exported in-process with Odoo's tooling (no language: a template)."""
    buffer = io.BytesIO()
    with registry.cursor() as cr:
        trans_export(None, [MODULE], buffer, "po", cr)
        cr.rollback()
    return [entry.msgid for entry in polib.pofile(buffer.getvalue().decode())]


@pytest.fixture(scope="module")
def chinese():
    assert PO.exists(), f"{PO.relative_to(ROOT)} is missing; {FIX}"
    return [entry for entry in polib.pofile(str(PO)) if not entry.obsolete]


def listing(msgids):
    return "\n".join(f"  - {msgid!r}" for msgid in msgids)


def test_every_term_has_a_chinese_translation(exported_msgids, chinese):
    translated = {entry.msgid for entry in chinese if entry.msgstr.strip() and not entry.fuzzy}
    missing = [msgid for msgid in exported_msgids if msgid not in translated]
    if missing:
        pytest.fail(
            f"{len(missing)} term(s) have no Chinese translation (no entry, empty or fuzzy msgstr) in "
            f"{PO.relative_to(ROOT)}; {FIX}, then translate:\n{listing(missing)}",
            pytrace=False,
        )


def test_shipped_template_matches_the_code(exported_msgids):
    assert POT.exists(), f"{POT.relative_to(ROOT)} is missing; {FIX}"
    shipped = {entry.msgid for entry in polib.pofile(str(POT))}
    added, removed = sorted(set(exported_msgids) - shipped), sorted(shipped - set(exported_msgids))
    if added or removed:
        pytest.fail(
            f"{POT.relative_to(ROOT)} is stale; {FIX}\n"
            f"in the code, not in the template:\n{listing(added)}\n"
            f"in the template, not in the code:\n{listing(removed)}",
            pytrace=False,
        )


def test_translations_keep_placeholders_and_tags(chinese):
    broken = [
        f"{entry.msgid!r} -> {entry.msgstr!r}"
        for entry in chinese
        if entry.msgstr and Counter(TOKENS.findall(entry.msgid)) != Counter(TOKENS.findall(entry.msgstr))
    ]
    if broken:
        pytest.fail("placeholders or HTML tags differ between msgid and msgstr:\n" + "\n".join(broken), pytrace=False)


def test_users_see_chinese_labels(env):
    """The test database is installed with --load-language=zh_CN, so these terms come from zh_CN.po."""
    env["res.lang"]._activate_lang("zh_CN")
    partner_fields = env["res.partner"].with_context(lang="zh_CN").fields_get(["churn_state"])
    assert dict(partner_fields["churn_state"]["selection"]) == {
        "never": "从未交易",
        "active": "活跃",
        "at_risk": "即将流失",
        "churned": "已流失",
    }
    menu = env.ref(f"{MODULE}.menu_churn_root").with_context(lang="zh_CN")
    assert menu.name == "客户流失驾驶舱"


def test_one_word_for_the_salesperson_and_the_coupons(chinese):
    """The trade's words: 业务员 for the salesperson, 发放优惠券 for sending coupons."""
    strays = [
        entry.msgstr
        for entry in chinese
        if any(word in entry.msgstr for word in ("销售员", "销售人员", "销售代表", "发送优惠券", "发优惠券"))
    ]
    assert not strays, listing(strays)


def test_the_visit_activity_type_reads_in_chinese(env):
    visit_type = env.ref("customer_churn_cockpit.mail_activity_type_customer_visit")
    env["res.lang"]._activate_lang("zh_CN")
    assert visit_type.with_context(lang="zh_CN").name == "客户拜访"
    assert visit_type.with_context(lang="zh_CN").summary == "拜访客户"
