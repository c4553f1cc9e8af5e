"""Refresh customer_churn_cockpit's translation files with Odoo's own export.

Writes ``customer_churn_cockpit/i18n/customer_churn_cockpit.pot`` exactly as
``odoo-bin --i18n-export=customer_churn_cockpit.pot --modules=customer_churn_cockpit`` would (the module must be
installed and up to date in DBNAME), then merges it into ``zh_CN.po`` like ``msgmerge``: translations are kept,
new terms are added empty, vanished ones become obsolete (``#~``; ``--prune`` drops them). Finally it lists the
zh_CN entries that are new, untranslated (empty or fuzzy) and obsolete.

    COCKPIT_ODOO_CONF=.cockpit/odoo.conf .cockpit/venv/bin/python tools/update_translations.py --db DBNAME
"""

import argparse
import io
import os
import sys
from pathlib import Path

import polib

import odoo
from odoo.tools import config
from odoo.tools.translate import trans_export

ROOT = Path(__file__).resolve().parents[1]
MODULE = "customer_churn_cockpit"
I18N = ROOT / MODULE / "i18n"
LANG = "zh_CN"
LANG_METADATA = {"Language": LANG, "Plural-Forms": "nplurals=1; plural=0;"}
DATE_KEYS = ("POT-Creation-Date", "PO-Revision-Date")


def export_template(dbname, conf):
    """The module's .pot text, made by Odoo's ``trans_export`` with no language (a template)."""
    config.parse_config(["-c", conf, "-d", dbname, "--log-level=warn"])
    registry = odoo.modules.registry.Registry.new(dbname)
    with registry.cursor() as cr:
        cr.execute("SELECT state FROM ir_module_module WHERE name = %s", [MODULE])
        if cr.fetchone() != ("installed",):
            sys.exit(f"{MODULE} is not installed in {dbname}: ./cockpit odoo -d {dbname} -i {MODULE} --stop-after-init")
        buffer = io.BytesIO()
        trans_export(None, [MODULE], buffer, "po", cr)
    return buffer.getvalue().decode()


def without_dates(text):
    """A catalog's text without its creation and revision dates, to tell real changes from a new timestamp."""
    return [line for line in text.splitlines() if not line.startswith(tuple(f'"{key}:' for key in DATE_KEYS))]


def save(text, path):
    """Write the catalog unless only its dates changed (keeps diffs and the test template's hash quiet)."""
    if path.exists() and without_dates(path.read_text(encoding="utf-8")) == without_dates(text):
        return False
    path.write_text(text, encoding="utf-8")
    return True


def merge(pot, po_path, prune):
    """Merge the template into the translation, keeping translations; return the catalog and new msgids."""
    if po_path.exists():
        po = polib.pofile(str(po_path))
    else:
        po = polib.POFile()
        po.header, po.metadata = pot.header, {**pot.metadata, **LANG_METADATA}
    known = {entry.msgid for entry in po if not entry.obsolete}
    po.merge(pot)
    po.metadata["POT-Creation-Date"] = pot.metadata["POT-Creation-Date"]
    order = {entry.msgid: index for index, entry in enumerate(pot)}
    po.sort(key=lambda entry: order.get(entry.msgid, len(order)))
    if prune:
        po[:] = [entry for entry in po if not entry.obsolete]
    return po, [entry.msgid for entry in pot if entry.msgid not in known]


def report(title, msgids):
    print(f"{title}: {len(msgids)}")
    for msgid in msgids:
        print(f"    {msgid!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", required=True, help="a database with the module installed and up to date")
    parser.add_argument("--prune", action="store_true", help="drop obsolete entries instead of keeping them as #~")
    args = parser.parse_args()
    conf = os.environ.get("COCKPIT_ODOO_CONF", str(ROOT / ".cockpit" / "odoo.conf"))

    pot_text = export_template(args.db, conf)
    pot = polib.pofile(pot_text)
    if not pot:
        sys.exit(f"the export of {MODULE} from {args.db} is empty")
    po, new = merge(pot, I18N / f"{LANG}.po", args.prune)
    I18N.mkdir(exist_ok=True)
    for text, path in ((pot_text, I18N / f"{MODULE}.pot"), (str(po), I18N / f"{LANG}.po")):
        print(f"{path.relative_to(ROOT)}: {'written' if save(text, path) else 'unchanged'}")
    print(f"{len(pot)} terms in the template")
    report("new", new)
    report("untranslated (empty or fuzzy)", [e.msgid for e in po if not e.obsolete and (not e.msgstr or e.fuzzy)])
    report("obsolete", [entry.msgid for entry in po.obsolete_entries()])


if __name__ == "__main__":
    main()
