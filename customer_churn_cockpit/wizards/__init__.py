# ruff: noqa: I001 (the shared abstract wizard must be registered before the wizards inheriting it)
from . import customer_churn_segment_action
from . import customer_churn_recompute
from . import customer_churn_plan_visit
from . import customer_churn_send_coupon
from . import customer_churn_export
from . import base_partner_merge_automatic_wizard
from . import customer_churn_state_preview
from . import customer_churn_handover_wizard
