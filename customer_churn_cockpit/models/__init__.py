from . import res_company
from . import res_config_settings
from . import res_partner
from . import customer_churn_engine
from . import customer_churn_run
from . import customer_churn_snapshot
