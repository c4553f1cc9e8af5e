"""The reference date and the day windows of SPEC §2, §4, §5 and §6."""

from dataclasses import dataclass
from datetime import date, timedelta


def month_start(day, months_back=0):
    """First day of the calendar month ``months_back`` months before the month of ``day``."""
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Windows:
    """Every window the engine aggregates over, derived from ``as_of`` and the settings."""

    as_of: date
    period_days: int
    cycle_window_days: int
    value_window_days: int

    @classmethod
    def for_settings(cls, as_of, settings):
        return cls(as_of, settings.period_days, settings.cycle_window_days, settings.value_window_days)

    @property
    def current_start(self):
        return self.as_of - timedelta(days=self.period_days - 1)

    @property
    def previous_start(self):
        return self.as_of - timedelta(days=2 * self.period_days - 1)

    @property
    def previous_end(self):
        return self.current_start - timedelta(days=1)

    @property
    def abc_month_start(self):
        """First day of the month ``abc_tier`` describes: the month before the month of as_of."""
        return month_start(self.as_of, 1)

    @property
    def abc_month_end(self):
        return month_start(self.as_of) - timedelta(days=1)

    @property
    def abc_prev_month_start(self):
        return month_start(self.as_of, 2)

    @property
    def abc_prev_month_end(self):
        return self.abc_month_start - timedelta(days=1)

    @property
    def cycle_start(self):
        return self.as_of - timedelta(days=self.cycle_window_days - 1)

    @property
    def value_start(self):
        return self.as_of - timedelta(days=self.value_window_days - 1)
