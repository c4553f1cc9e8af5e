from . import customer_churn_recompute
from . import customer_churn_segment_action
from . import customer_churn_plan_visit
from . import customer_churn_send_coupon
