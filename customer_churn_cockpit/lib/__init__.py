"""Pure-Python churn classification: no Odoo import, unit-testable with plain pandas."""

from .classify import ChurnSettings, classify_customers, result_columns
from .vocabulary import FIGURE_NAMES, FIGURES, FLAG_COLUMNS, RANK_COLUMNS
from .windows import Windows
