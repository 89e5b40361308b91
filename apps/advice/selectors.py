"""Reads for advice: the situations that call for a recommendation, the feed, prices and the plan.

Every situation is computed from stored figures (forecasts, scores, price estimates, the books): no
model is fitted here. ``situations_current`` is what a refresh reconciles with the stored rows.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.advice import wording
from apps.advice.models import PriceSuggestion
from apps.forecasting.models import ProductForecast
from apps.forecasting.selectors import REVIEW_DAYS, reorder_for
from data.models import Customer, Product, Recommendation, Transaction

Kind = Recommendation.Kind
Urgency = Recommendation.Urgency

DEAD_STOCK_DAYS = 90
LONG_DEAD_DAYS = 180
WIN_BACK_SEGMENTS = ("at_risk", "lost")
WIN_BACK_LIMIT = 25
CLV_YEARS = 1
RISING_FACTOR = 1.25
RISING_MIN_UNITS = 10
RISING_LIMIT = 5
CLEARANCE_DAYS = 60
MAX_DISCOUNT = 0.30
TRIAL_DISCOUNT = 0.20
DISCOUNT_STEP = 0.05
# The margin a clearance discount must leave: some for overstock, none for dead stock (free the cash).
OVERSTOCK_MARGIN_FLOOR = 0.10
WIN_BACK_DISCOUNT = {"at_risk": 0.10, "lost": 0.15}
URGENCY_ORDER = {Urgency.HIGH: 0, Urgency.MEDIUM: 1, Urgency.LOW: 2}


@dataclass
class Situation:
    """What a recommendation says about one situation; ``key`` names it for the lifecycle."""

    key: str
    kind: str
    title: str
    reason: str
    urgency: str
    figures: dict
    product_id: int | None = None
    customer_id: int | None = None
    segment: str = ""
    extra: dict = field(default_factory=dict)


def data_today(*, business) -> date | None:
    """The data's today: the date of the business's latest sale (its own time zone)."""
    from zoneinfo import ZoneInfo

    latest = Transaction.objects.for_business(business).aggregate(latest=Max("timestamp"))["latest"]
    return latest.astimezone(ZoneInfo(business.timezone)).date() if latest else None


def _last_sale_dates(business) -> dict[int, date]:
    from zoneinfo import ZoneInfo

    rows = (
        Transaction.objects.for_business(business)
        .filter(quantity__gt=0)
        .values("product_id")
        .annotate(last=Max("timestamp"))
        .order_by()
    )
    zone = ZoneInfo(business.timezone)
    return {row["product_id"]: row["last"].astimezone(zone).date() for row in rows}


def _units_since(business, since: date) -> dict[int, int]:
    rows = (
        Transaction.objects.for_business(business)
        .annotate(day=TruncDate("timestamp"))
        .filter(day__gt=since)
        .values("product_id")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    return {row["product_id"]: int(row["units"] or 0) for row in rows}


def _forecasts(business) -> list[ProductForecast]:
    return list(ProductForecast.objects.for_business(business).select_related("product").order_by("pk"))


# --- reorder -----------------------------------------------------------------------------------------


def reorder_situations(*, business, forecasts: list[ProductForecast]) -> list[Situation]:
    """Products whose reorder advice says order within the review period (a week)."""
    situations = []
    for forecast in forecasts:
        plan = reorder_for(forecast)
        today = forecast.first_date - timedelta(days=1)
        if plan.order_quantity <= 0 or plan.order_by is None:
            continue
        if plan.order_by > today + timedelta(days=REVIEW_DAYS):
            continue
        product = forecast.product
        reason = (
            f"{product.stock_quantity:,} on hand, {forecast.predicted_7:,.0f} expected to sell in the next "
            f"7 days, order {plan.order_quantity:,} by {wording.day(plan.order_by)}"
        )
        if plan.stockout_date:
            reason += f" (at this rate stock runs out on {wording.day(plan.stockout_date)})"
        situations.append(
            Situation(
                key=f"reorder:product:{product.pk}",
                kind=Kind.REORDER,
                title=f"Reorder {product.name}",
                reason=reason + ".",
                urgency=Urgency.HIGH if plan.reorder_now else Urgency.MEDIUM,
                product_id=product.pk,
                figures={
                    "on_hand": product.stock_quantity,
                    "expected_7_days": round(forecast.predicted_7, 1),
                    "order_quantity": plan.order_quantity,
                    "order_by": plan.order_by.isoformat(),
                    "stockout_date": plan.stockout_date.isoformat() if plan.stockout_date else None,
                    "days_of_cover": plan.days_of_cover,
                    "lead_time_days": product.lead_time_days,
                },
            )
        )
    return situations


# --- markdown ----------------------------------------------------------------------------------------


def _tied_up(product: Product, units: int) -> tuple[float, str]:
    """Cash tied up in ``units``: at cost when the cost is known, else at price."""
    if product.unit_cost is not None:
        return float(product.unit_cost) * units, "cost"
    return float(product.unit_price) * units, "price"


def markdown_situations(
    *, business, forecasts: list[ProductForecast], today: date | None, currency: str
) -> list[Situation]:
    """Dead stock (no sale in ``DEAD_STOCK_DAYS`` while stock sits) and overstock (far beyond demand)."""
    if today is None:
        return []
    last_sale = _last_sale_dates(business)
    history_start = _history_start(business)
    situations: dict[int, Situation] = {}
    dead_before = today - timedelta(days=DEAD_STOCK_DAYS)
    for product in Product.objects.for_business(business).filter(stock_quantity__gt=0).order_by("pk"):
        sold = last_sale.get(product.pk)
        if sold is None and (history_start is None or history_start > dead_before):
            continue  # never sold, but the books are too young to call it dead
        if sold is not None and sold > dead_before:
            continue
        idle_days = (today - sold).days if sold else (today - history_start).days
        cash, basis = _tied_up(product, product.stock_quantity)
        since = f"since {wording.day(sold)} ({idle_days} days)" if sold else f"in {idle_days} days of sales"
        situations[product.pk] = Situation(
            key=f"markdown:product:{product.pk}",
            kind=Kind.MARKDOWN,
            title=f"Clear dead stock: {product.name}",
            reason=(
                f"No sale {since} while {product.stock_quantity:,} sit on the shelf: "
                f"{wording.money(cash, currency)} tied up at {basis}."
            ),
            urgency=Urgency.HIGH if idle_days >= LONG_DEAD_DAYS else Urgency.MEDIUM,
            product_id=product.pk,
            figures={
                "condition": "dead_stock",
                "on_hand": product.stock_quantity,
                "days_without_sale": idle_days,
                "last_sale": sold.isoformat() if sold else None,
                "excess_units": product.stock_quantity,
                "cash_tied_up": round(cash, 2),
                "valued_at": basis,
            },
            extra={"product": product, "expected_clearance_units": 0.0},
        )
    for forecast in forecasts:
        product = forecast.product
        if product.pk in situations or product.stock_quantity <= 0:
            continue
        plan = reorder_for(forecast)
        if plan.position != "over":
            continue
        daily = forecast.predicted_90 / 90
        keep = math.ceil(daily * (product.lead_time_days + REVIEW_DAYS + 90))
        excess = product.stock_quantity - keep
        if excess <= 0:
            continue
        cash, basis = _tied_up(product, excess)
        situations[product.pk] = Situation(
            key=f"markdown:product:{product.pk}",
            kind=Kind.MARKDOWN,
            title=f"Mark down {product.name}",
            reason=(
                f"{product.stock_quantity:,} on hand, {forecast.predicted_90:,.0f} expected to sell in the "
                f"next 90 days: about {excess:,} more than needed, {wording.money(cash, currency)} tied up "
                f"at {basis}."
            ),
            urgency=Urgency.MEDIUM if cash >= 500 else Urgency.LOW,
            product_id=product.pk,
            figures={
                "condition": "overstock",
                "on_hand": product.stock_quantity,
                "expected_90_days": round(forecast.predicted_90, 1),
                "excess_units": excess,
                "cash_tied_up": round(cash, 2),
                "valued_at": basis,
            },
            extra={"product": product, "expected_clearance_units": daily * CLEARANCE_DAYS},
        )
    return [situations[key] for key in sorted(situations)]


def _history_start(business) -> date | None:
    from django.db.models import Min

    first = Transaction.objects.for_business(business).aggregate(first=Min("timestamp"))["first"]
    return first.date() if first else None


# --- win back ----------------------------------------------------------------------------------------


def expected_back(customer: Customer) -> date | None:
    """When the customer was expected to buy again: the last purchase plus their usual gap."""
    if customer.frequency < 2 or not customer.first_purchase_at or not customer.last_purchase_at:
        return None
    gap = (customer.last_purchase_at - customer.first_purchase_at) / (customer.frequency - 1)
    return (customer.last_purchase_at + gap).date()


def win_back_targets(*, business) -> list[Customer]:
    """At-risk and lost customers worth winning back: predicted value at least the business's median."""
    values = [
        float(value)
        for value in Customer.objects.for_business(business)
        .filter(predicted_clv__gt=0)
        .values_list("predicted_clv", flat=True)
    ]
    if not values:
        return []
    median = statistics.median(values)
    return list(
        Customer.objects.for_business(business)
        .filter(segment__in=WIN_BACK_SEGMENTS, predicted_clv__gte=median, predicted_clv__gt=0)
        .order_by("-predicted_clv", "pk")[:WIN_BACK_LIMIT]
    )


def win_back_situations(*, targets: list[Customer], today: date | None, currency: str) -> list[Situation]:
    situations = []
    for customer in targets:
        back = expected_back(customer)
        who = customer.name or customer.email or customer.external_id
        orders = wording.count(customer.frequency, "order")
        spent = f"Spent {wording.money(customer.monetary, currency)} over {orders}"
        if back is not None:
            late = f", {(today - back).days} days ago" if today and today > back else ""
            timing = f"; expected back by {wording.day(back)}{late}"
        else:
            timing = "; bought once"
        situations.append(
            Situation(
                key=f"win_back:customer:{customer.pk}",
                kind=Kind.WIN_BACK,
                title=f"Win back {who} ({customer.segment.replace('_', ' ')})",
                reason=(
                    f"{spent}{timing}. Worth about {wording.money(customer.predicted_clv, currency)} over "
                    f"the next 12 months if they return"
                    + (
                        f" (churn probability {customer.churn_probability:.0%})."
                        if customer.churn_probability is not None
                        else "."
                    )
                ),
                urgency=Urgency.HIGH if customer.segment == "at_risk" else Urgency.MEDIUM,
                customer_id=customer.pk,
                segment=customer.segment,
                figures={
                    "segment": customer.segment,
                    "predicted_clv": float(customer.predicted_clv),
                    "monetary": float(customer.monetary),
                    "frequency": customer.frequency,
                    "expected_back": back.isoformat() if back else None,
                    "churn_probability": customer.churn_probability,
                },
            )
        )
    return situations


# --- price change ------------------------------------------------------------------------------------


def price_suggestion_list(*, business) -> QuerySet[PriceSuggestion]:
    return (
        PriceSuggestion.objects.for_business(business)
        .select_related("product")
        .order_by("product__sku", "pk")
    )


def price_change_situations(*, business, currency: str) -> list[Situation]:
    situations = []
    for suggestion in price_suggestion_list(business=business).filter(suggested_price__isnull=False):
        product = suggestion.product
        up = suggestion.suggested_price > suggestion.current_price
        gains = f"{wording.money(suggestion.expected_revenue_change, currency)} revenue"
        if suggestion.expected_margin_change is not None:
            gains += f" and {wording.money(suggestion.expected_margin_change, currency)} margin"
        situations.append(
            Situation(
                key=f"price_change:product:{product.pk}",
                kind=Kind.PRICE_CHANGE,
                title=f"{'Raise' if up else 'Lower'} the price of {product.name}",
                reason=(
                    f"Elasticity {suggestion.elasticity:.2f} (95% interval "
                    f"{suggestion.elasticity_lower:.2f} to {suggestion.elasticity_upper:.2f}, from "
                    f"{suggestion.weeks} weeks of price changes): "
                    f"{wording.money(suggestion.current_price, currency)} → "
                    f"{wording.money(suggestion.suggested_price, currency)} is expected to change "
                    f"{gains} over {suggestion.horizon_days} days."
                ),
                urgency=Urgency.LOW,
                product_id=product.pk,
                figures={
                    "current_price": float(suggestion.current_price),
                    "suggested_price": float(suggestion.suggested_price),
                    "elasticity": round(suggestion.elasticity, 3),
                    "expected_revenue_change": float(suggestion.expected_revenue_change),
                    "expected_margin_change": None
                    if suggestion.expected_margin_change is None
                    else float(suggestion.expected_margin_change),
                },
            )
        )
    return situations


# --- campaign plan -----------------------------------------------------------------------------------


def _segment_sizes(business) -> dict[str, int]:
    rows = (
        Customer.objects.for_business(business).exclude(segment="").values("segment").annotate(n=Count("pk"))
    )
    return {row["segment"]: row["n"] for row in rows.order_by()}


def _buyer_segments(business, product_ids: list[int]) -> dict[int, tuple[str, int]]:
    """Per product: the segment (not lost) with most of its identified buyers, and how many they are."""
    rows = (
        Transaction.objects.for_business(business)
        .filter(product_id__in=product_ids, customer__isnull=False)
        .exclude(customer__segment__in=["", "lost"])
        .values("product_id", "customer__segment")
        .annotate(buyers=Count("customer_id", distinct=True))
        .order_by("product_id", "-buyers", "customer__segment")
    )
    best: dict[int, tuple[str, int]] = {}
    for row in rows:
        best.setdefault(row["product_id"], (row["customer__segment"], row["buyers"]))
    return best


def _steps_down(share: float) -> float:
    return math.floor(round(share / DISCOUNT_STEP, 6)) * DISCOUNT_STEP


def clearance_discount(
    *,
    price: float,
    cost: float | None,
    elasticity: float | None,
    expected_units: float,
    excess: int,
    dead: bool,
) -> dict:
    """The discount to clear ``excess`` units in ``CLEARANCE_DAYS``, and what it leaves.

    With a measured elasticity and some demand, the discount that lifts demand enough:
    ``(1 - d) ** e = (expected + excess) / expected``; otherwise a ``TRIAL_DISCOUNT``. Either way at
    most ``MAX_DISCOUNT``, in steps of 5%, and no deeper than keeps the margin floor (10% for
    overstock, none for dead stock: freeing the cash is the point) when the cost is known.
    """
    if elasticity is not None and elasticity < 0 and expected_units > 0:
        needed = 1 - ((expected_units + excess) / expected_units) ** (1 / elasticity)
        basis = "elasticity"
    else:
        needed, basis = TRIAL_DISCOUNT, "trial"
    ceiling = MAX_DISCOUNT
    if cost is not None and price > 0:
        floor = 0.0 if dead else OVERSTOCK_MARGIN_FLOOR
        ceiling = min(ceiling, 1 - cost / ((1 - floor) * price))
    discount = max(0.0, _steps_down(min(needed, ceiling)))
    if needed > 0 and discount == 0 and ceiling >= DISCOUNT_STEP:
        discount = DISCOUNT_STEP
    discounted = price * (1 - discount)
    extra_units = None
    if basis == "elasticity":
        extra_units = round(expected_units * ((1 - discount) ** elasticity - 1), 1)
    return {
        "discount": round(discount * 100),
        "discounted_price": round(discounted, 2),
        "margin_left": None
        if cost is None or discounted <= 0
        else round((discounted - cost) / discounted, 3),
        "discount_basis": basis,
        "expected_extra_units": extra_units,
    }


def _plan_reason(row: dict, currency: str) -> str:
    off = f"{row['discount']}% off" if row["discount"] else "No discount"
    margin = (
        f", leaving a {wording.percent(row['margin_left'])} margin" if row["margin_left"] is not None else ""
    )
    if row["objective"] == "clear_overstock":
        why = (
            f"{row['units_to_clear']:,} units more than will sell "
            f"({wording.money(row['cash_tied_up'], currency)} tied up). {off}{margin}"
        )
        if row["expected_extra_units"] is not None:
            why += (
                f"; at elasticity {row['elasticity']:.2f} about {row['expected_extra_units']:,.0f} more "
                f"should sell in {CLEARANCE_DAYS} days"
            )
        else:
            why += " as a trial: no measured price response yet"
        return why + "."
    if row["objective"] == "win_back":
        return (
            f"{wording.count(row['worth_it'], 'customer')} worth winning back, about "
            f"{wording.money(row['value_at_stake'], currency)} over 12 months. {off}{margin}."
        )
    return (
        f"Forecast {row['expected_30_days']:,.0f} units in the next 30 days against "
        f"{row['last_30_days']:,} in the last 30: demand is rising. {off}: the full margin is kept."
    )


def campaign_situations(
    *,
    business,
    markdowns: list[Situation],
    targets: list[Customer],
    forecasts: list[ProductForecast],
    today: date | None,
    currency: str,
) -> list[Situation]:
    """Plan rows: clear overstock, win back a segment, grow a rising product (each a ``campaign``)."""
    sizes = _segment_sizes(business)
    largest = max(((n, s) for s, n in sizes.items() if s != "lost"), default=(0, ""))
    elasticities = dict(
        PriceSuggestion.objects.for_business(business)
        .filter(verdict="estimated")
        .values_list("product_id", "elasticity")
    )
    rows: list[tuple[str, dict, str]] = []  # (key, plan row, urgency)

    marked_down = {situation.product_id for situation in markdowns}
    rising = [f for f in _rising_products(business, forecasts, today) if f.product_id not in marked_down]
    buyers = _buyer_segments(business, [s.product_id for s in markdowns] + [f.product_id for f in rising])

    def audience(product_id: int) -> tuple[str, int]:
        if product_id in buyers:
            segment, _ = buyers[product_id]
            return segment, sizes.get(segment, 0)
        return largest[1], largest[0]

    for situation in markdowns:
        product = situation.extra["product"]
        figures = situation.figures
        pricing = clearance_discount(
            price=float(product.unit_price),
            cost=None if product.unit_cost is None else float(product.unit_cost),
            elasticity=elasticities.get(product.pk),
            expected_units=situation.extra["expected_clearance_units"],
            excess=figures["excess_units"],
            dead=figures["condition"] == "dead_stock",
        )
        segment, size = audience(product.pk)
        row = {
            "product": product.pk,
            "product_name": product.name,
            "objective": "clear_overstock",
            "target_segment": segment,
            "segment_size": size,
            "current_price": float(product.unit_price),
            "units_to_clear": figures["excess_units"],
            "cash_tied_up": figures["cash_tied_up"],
            "elasticity": elasticities.get(product.pk),
            **pricing,
        }
        rows.append((f"campaign:clear_overstock:product:{product.pk}", row, situation.urgency))

    by_segment: dict[str, list[Customer]] = {}
    for customer in targets:
        by_segment.setdefault(customer.segment, []).append(customer)
    margins = _typical_margin(business)
    for segment, customers in sorted(by_segment.items()):
        discount = WIN_BACK_DISCOUNT[segment]
        if margins is not None:
            discount = max(0.0, min(discount, _steps_down(margins - OVERSTOCK_MARGIN_FLOOR)))
        row = {
            "product": None,
            "product_name": "",
            "objective": "win_back",
            "target_segment": segment,
            "segment_size": sizes.get(segment, 0),
            "worth_it": len(customers),
            "value_at_stake": round(sum(float(c.predicted_clv) for c in customers), 2),
            "discount": round(discount * 100),
            "margin_left": None if margins is None else round((margins - discount) / (1 - discount), 3),
            "discount_basis": "segment",
        }
        rows.append((f"campaign:win_back:segment:{segment}", row, Urgency.MEDIUM))

    for forecast in rising:
        product = forecast.product
        segment, size = audience(product.pk)
        row = {
            "product": product.pk,
            "product_name": product.name,
            "objective": "grow_rising",
            "target_segment": segment,
            "segment_size": size,
            "current_price": float(product.unit_price),
            "expected_30_days": round(forecast.predicted_30, 1),
            "last_30_days": forecast.last_30_days,
            "discount": 0,
            "discounted_price": float(product.unit_price),
            "margin_left": None
            if product.unit_cost is None or product.unit_price <= 0
            else round(float((product.unit_price - product.unit_cost) / product.unit_price), 3),
            "discount_basis": "none",
        }
        rows.append((f"campaign:grow_rising:product:{product.pk}", row, Urgency.LOW))

    situations = []
    for key, row, urgency in rows:
        row["currency"] = currency
        row["reason"] = _plan_reason(row, currency)
        title = {
            "clear_overstock": f"Campaign: clear {row['product_name']}",
            "win_back": f"Campaign: win back {row['target_segment'].replace('_', ' ')} customers",
            "grow_rising": f"Campaign: push {row['product_name']}",
        }[row["objective"]]
        situations.append(
            Situation(
                key=key,
                kind=Kind.CAMPAIGN,
                title=title,
                reason=row["reason"],
                urgency=urgency,
                product_id=row["product"],
                segment=row["target_segment"],
                figures=row,
            )
        )
    return situations


def _typical_margin(business) -> float | None:
    """The median margin share of products with a known cost (None when no cost is known)."""
    pairs = Product.objects.for_business(business).filter(unit_cost__isnull=False, unit_price__gt=0)
    shares = [float((price - cost) / price) for price, cost in pairs.values_list("unit_price", "unit_cost")]
    return statistics.median(shares) if shares else None


def _rising_products(business, forecasts: list[ProductForecast], today: date | None) -> list[ProductForecast]:
    """Products forecast to sell a quarter more in the next 30 days than in the last 30, with stock for it."""
    if today is None:
        return []
    recent = _units_since(business, today - timedelta(days=30))
    rising = []
    for forecast in forecasts:
        last = recent.get(forecast.product_id, 0)
        if last <= 0 or forecast.predicted_30 < last * RISING_FACTOR:
            continue
        if (
            forecast.predicted_30 - last < RISING_MIN_UNITS
            or forecast.product.stock_quantity < forecast.predicted_30
        ):
            continue
        forecast.last_30_days = last
        rising.append(forecast)
    rising.sort(key=lambda f: (-(f.predicted_30 - f.last_30_days), f.product_id))
    return rising[:RISING_LIMIT]


# --- together ----------------------------------------------------------------------------------------


def situations_current(*, business) -> list[Situation]:
    """Every situation that calls for a recommendation now, one per ``key``."""
    currency = business.currency
    today = data_today(business=business)
    forecasts = _forecasts(business)
    markdowns = markdown_situations(business=business, forecasts=forecasts, today=today, currency=currency)
    targets = win_back_targets(business=business)
    return [
        *reorder_situations(business=business, forecasts=forecasts),
        *markdowns,
        *win_back_situations(targets=targets, today=today, currency=currency),
        *price_change_situations(business=business, currency=currency),
        *campaign_situations(
            business=business,
            markdowns=markdowns,
            targets=targets,
            forecasts=forecasts,
            today=today,
            currency=currency,
        ),
    ]


def recommendation_list(*, business, today: date | None = None, include_snoozed: bool = False) -> QuerySet:
    """The feed: recommendations whose situation stands, not snoozed, most urgent first."""
    today = today or timezone.localdate()
    rows = Recommendation.objects.for_business(business).filter(resolved_at__isnull=True)
    if not include_snoozed:
        rows = rows.filter(Q(snooze_until__isnull=True) | Q(snooze_until__lte=today))
    return (
        rows.select_related("product")
        .annotate(
            urgency_rank=Case(
                *(When(urgency=urgency, then=Value(rank)) for urgency, rank in URGENCY_ORDER.items()),
                output_field=IntegerField(),
            )
        )
        .order_by("urgency_rank", "-created_at", "pk")
    )


def campaign_plan(*, business) -> QuerySet:
    """The plan: standing ``campaign`` recommendations not yet done or dismissed (``figures`` is the row)."""
    return (
        recommendation_list(business=business, include_snoozed=True)
        .filter(kind=Kind.CAMPAIGN)
        .exclude(status__in=[Recommendation.Status.DONE, Recommendation.Status.DISMISSED])
    )


def recommendation_for_update(*, business, pk: int):
    return Recommendation.objects.for_business(business).select_for_update().filter(pk=pk).first()
