"""Install a language on an existing database, translating the records of every installed module.

``odoo-bin --load-language=zh_CN`` on an existing database runs before the modules other than
``base`` are loaded: the records of their models (mail's and this module's activity types, …)
keep their English names. This does what *Settings › Languages › Add* does, in a loaded registry.

    COCKPIT_ODOO_CONF=.cockpit/odoo.conf .cockpit/venv/bin/python tools/load_language.py --db DBNAME zh_CN
"""

import argparse
import os
from pathlib import Path

import odoo
from odoo import SUPERUSER_ID, api

ROOT = Path(__file__).resolve().parents[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("lang", help="a language code, e.g. zh_CN")
    args = parser.parse_args()
    conf = os.environ.get("COCKPIT_ODOO_CONF", str(ROOT / ".cockpit" / "odoo.conf"))
    odoo.tools.config.parse_config(["-c", conf, "--log-level=warn"])
    with odoo.modules.registry.Registry.new(args.db).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        languages = env["res.lang"].with_context(active_test=False).search([("code", "=", args.lang)])
        env["base.language.install"].create({"lang_ids": [odoo.Command.set(languages.ids)]}).lang_install()


if __name__ == "__main__":
    main()
