"""Demand forecasting for Smart Market: what will sell, when stock runs out, what to order.

Pure pandas / statsforecast / Prophet code, no Django: DataFrames in, DataFrames out.

    demand = build_daily_demand(sales, end_date=today)          # [unique_id, ds, y]
    result = select_and_forecast(demand, horizons=(7, 30, 90))  # .points, .choices
    plan = reorder_plan(points_of_one_product, stock_on_hand=40, lead_time_days=5, today=today)
    revenue = forecast_revenue(daily_revenue)                   # next 30 and 90 days
"""

from .demand import build_daily_demand, cap_spikes
from .metrics import mase, total_wape, wape
from .models import (
    Ensemble,
    Model,
    ProphetModel,
    RecentMean,
    SeasonalNaive,
    StatsForecastModel,
    WeekdayMean,
    auto_ets,
    dynamic_theta,
    intermittent,
)
from .reorder import ReorderPlan, reorder_plan, stock_position
from .revenue import forecast_revenue
from .selection import ForecastResult, SelectionSettings, forecast_with, select_and_forecast
from .trading_calendar import Closure, detect_closed_weekdays, detect_closures, trading_days

__all__ = [
    "Closure",
    "Ensemble",
    "ForecastResult",
    "Model",
    "ProphetModel",
    "RecentMean",
    "ReorderPlan",
    "SeasonalNaive",
    "SelectionSettings",
    "StatsForecastModel",
    "WeekdayMean",
    "auto_ets",
    "build_daily_demand",
    "cap_spikes",
    "detect_closed_weekdays",
    "detect_closures",
    "dynamic_theta",
    "forecast_revenue",
    "forecast_with",
    "intermittent",
    "mase",
    "reorder_plan",
    "select_and_forecast",
    "stock_position",
    "total_wape",
    "trading_days",
    "wape",
]
