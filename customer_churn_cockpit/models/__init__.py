# ruff: noqa: I001 (Odoo style: one import per line, settings before the models that read them)
from . import res_company
from . import res_config_settings
from . import customer_churn_figure
from . import res_partner
from . import customer_churn_extract
from . import customer_churn_engine
from . import customer_churn_run
from . import customer_churn_snapshot
from . import customer_churn_automation
from . import customer_churn_board
from . import customer_churn_baseline
from . import customer_churn_winback
from . import sale_order
from . import sale_order_line
from . import mail_activity
from . import loyalty_card
from . import customer_churn_reason
