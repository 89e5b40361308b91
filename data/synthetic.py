"""Seeded synthetic sales for demos and tests: pure numpy/pandas, no database.

A small shop's year: categories with their own price ranges, a long tail of slow movers, weekly and
yearly seasonality with a Christmas peak, loyal, regular, new, lapsing and one-off customers, anonymous
walk-in sales and a few returns.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

CATEGORIES = {
    "Tea": (3.5, 12.0),
    "Coffee": (5.0, 18.0),
    "Snacks": (1.2, 4.5),
    "Kitchen": (6.0, 35.0),
    "Gifts": (8.0, 45.0),
    "Stationery": (1.5, 9.0),
}
NOUNS = {
    "Tea": ["Earl Grey", "Green Sencha", "Assam", "Chamomile", "Rooibos", "Darjeeling", "Mint", "Chai"],
    "Coffee": ["Espresso Beans", "Colombia Ground", "Decaf Blend", "Cold Brew", "Ethiopia Beans", "Mocha"],
    "Snacks": ["Shortbread", "Oat Biscuits", "Dark Chocolate", "Flapjack", "Ginger Snaps", "Almonds"],
    "Kitchen": ["Teapot", "Mug", "Cafetiere", "Tea Strainer", "Milk Jug", "Coaster Set", "Tea Towel"],
    "Gifts": ["Gift Hamper", "Tea Sampler", "Candle", "Tin Set", "Gift Card Holder"],
    "Stationery": ["Notebook", "Greeting Card", "Wrapping Paper", "Postcard", "Pencil Set"],
}
# Monday .. Sunday
WEEKDAY_FACTOR = np.array([0.8, 0.85, 0.9, 1.0, 1.25, 1.55, 0.65])


@dataclass
class SyntheticBooks:
    products: pd.DataFrame  # sku, name, category, unit_price, unit_cost, reorder_point, lead_time_days
    customers: pd.DataFrame  # external_id, email, country, kind
    lines: pd.DataFrame  # invoice, sku, customer_id (or None), quantity, unit_price, timestamp


def generate_books(*, seed: int = 7, days: int = 365, end: date, products: int = 60, customers: int = 400):
    """A reproducible year (by default) of a shop's sales ending on ``end``."""
    rng = np.random.default_rng(seed)
    catalogue = _catalogue(rng, products)
    people = _customers(rng, customers, days)
    popularity = rng.zipf(1.6, size=len(catalogue)).astype(float)
    popularity = np.minimum(popularity, 40) * rng.uniform(0.5, 1.5, size=len(catalogue))
    popularity /= popularity.sum()

    start = end - timedelta(days=days - 1)
    skus, prices = catalogue.sku.to_numpy(), catalogue.unit_price.to_numpy()
    ids, rates = people.external_id.to_numpy(), people.rate.to_numpy()
    starts, ends = people.start_day.to_numpy(), people.end_day.to_numpy()
    cumulative_popularity = np.cumsum(popularity)
    rows = []
    invoice_number = 100000
    for offset in range(days):
        day = start + timedelta(days=offset)
        yearly = 1 + 0.25 * np.sin(2 * np.pi * (day.timetuple().tm_yday - 80) / 365.25)
        christmas = 1.8 if (day.month == 12 and day.day <= 24) else 1.0
        expected = 38 * WEEKDAY_FACTOR[day.weekday()] * yearly * christmas
        active = np.flatnonzero((starts <= offset) & (ends >= offset))
        cumulative_rates = np.cumsum(rates[active])
        for _ in range(rng.poisson(expected)):
            invoice_number += 1
            customer = None
            if len(active) and rng.random() < 0.6:
                pick = np.searchsorted(cumulative_rates, rng.random() * cumulative_rates[-1], side="right")
                customer = ids[active[min(pick, len(active) - 1)]]
            moment = datetime.combine(day, time(9)) + timedelta(minutes=int(rng.integers(0, 9 * 60)))
            count = min(1 + rng.poisson(1.3), 6)
            picks = np.unique(np.searchsorted(cumulative_popularity, rng.random(count), side="right"))
            for pick in np.minimum(picks, len(skus) - 1):
                rows.append(
                    (f"S{invoice_number}", skus[pick], customer, 1 + rng.poisson(0.4), prices[pick], moment)
                )
    lines = pd.DataFrame(
        rows, columns=["invoice", "sku", "customer_id", "quantity", "unit_price", "timestamp"]
    )
    returns = lines[(rng.random(len(lines)) < 0.02) & lines.customer_id.notna()].copy()
    returns["invoice"] = "R" + returns.invoice.str[1:]
    returns["quantity"] = -returns.quantity
    returns["timestamp"] = returns.timestamp + pd.to_timedelta(rng.integers(1, 10, len(returns)), unit="D")
    returns = returns[returns.timestamp.dt.date <= end]
    lines = pd.concat([lines, returns], ignore_index=True).sort_values("timestamp", kind="stable")
    return SyntheticBooks(
        products=catalogue,
        customers=people.drop(columns=["start_day", "end_day", "rate"]),
        lines=lines.reset_index(drop=True),
    )


def _catalogue(rng, count: int) -> pd.DataFrame:
    rows = []
    names = [(category, noun) for category, nouns in NOUNS.items() for noun in nouns]
    for number in range(count):
        category, noun = names[number % len(names)]
        variant = number // len(names)
        low, high = CATEGORIES[category]
        price = round(float(rng.uniform(low, high)), 2)
        rows.append(
            {
                "sku": f"{category[:3].upper()}-{number + 1:04d}",
                "name": noun if variant == 0 else f"{noun} No. {variant + 1}",
                "category": category,
                "unit_price": price,
                "unit_cost": round(price * float(rng.uniform(0.45, 0.7)), 2),
                "reorder_point": int(rng.integers(5, 25)),
                "lead_time_days": int(rng.choice([3, 5, 7, 10, 14])),
            }
        )
    return pd.DataFrame(rows)


def _customers(rng, count: int, days: int) -> pd.DataFrame:
    kinds = rng.choice(
        ["loyal", "regular", "new", "lapsing", "one_off"], size=count, p=[0.12, 0.3, 0.15, 0.2, 0.23]
    )
    start = rng.integers(0, max(days // 3, 1), size=count)
    end = np.full(count, days - 1)
    rate = np.ones(count)
    new = kinds == "new"
    start[new] = rng.integers(max(days - 75, 0), days, size=new.sum())
    lapsing = kinds == "lapsing"
    end[lapsing] = rng.integers(days // 3, max(days - 120, days // 3 + 1), size=lapsing.sum())
    one_off = kinds == "one_off"
    start[one_off] = rng.integers(0, days, size=one_off.sum())
    end[one_off] = np.minimum(start[one_off] + 2, days - 1)
    rate[kinds == "loyal"] = 6.0
    rate[kinds == "regular"] = 1.5
    rate[one_off] = 3.0
    countries = rng.choice(
        ["United Kingdom", "Ireland", "France", "Germany"], size=count, p=[0.8, 0.08, 0.06, 0.06]
    )
    return pd.DataFrame(
        {
            "external_id": [f"C{number + 1:05d}" for number in range(count)],
            "email": [f"customer{number + 1}@example.com" for number in range(count)],
            "country": countries,
            "kind": kinds,
            "start_day": start,
            "end_day": end,
            "rate": rate,
        }
    )
