"""Pure-Python churn classification: no Odoo import, unit-testable with plain pandas."""

from .classify import RANK_COLUMNS, ChurnSettings, classify_customers, result_columns
from .windows import Windows
