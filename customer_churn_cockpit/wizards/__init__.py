from . import customer_churn_recompute
