"""Campaign copy: deterministic templates filled from a plan row, and an optional LLM rewrite, checked.

The templates are the copy: an LLM provider (``ADVICE_LLM_URL``, any OpenAI-compatible
chat-completions endpoint) may only rewrite them, and its rewrite is used only if it passes
``rewrite_problems``: it must not name a product the row does not hold, nor any number (price,
discount, percentage, amount, count) that is not in the row or the template, nor another currency, and
the SMS must fit in 160 characters. Otherwise the template is returned, with the reason.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from decimal import Decimal, InvalidOperation

from django.conf import settings

from apps.advice import wording

logger = logging.getLogger(__name__)

SMS_LIMIT = 160
FIELDS = ("email_subject", "email_body", "sms_text")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
CURRENCY_MARKS = re.compile(r"[$€£¥₹]|\b(?:USD|EUR|GBP|JPY|INR|AUD|CAD|CHF|dollars?|euros?|pounds?)\b", re.I)


def _shorten(text: str, limit: int = SMS_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def template_copy(*, plan: dict, business_name: str, currency: str) -> dict:
    """The built-in writer: the same row always gives the same copy."""
    product = plan.get("product_name") or ""
    discount = int(plan.get("discount") or 0)
    objective = plan["objective"]
    if objective == "clear_overstock":
        now = wording.money(plan["discounted_price"], currency)
        was = wording.money(plan["current_price"], currency)
        if discount:
            subject = f"{discount}% off {product} while stock lasts"
            offer = f"{product} is {discount}% off: {now} instead of {was}."
            sms = f"{business_name}: {discount}% off {product}, now {now} (was {was}). While stock lasts."
        else:
            subject = f"{product}: plenty in stock at {business_name}"
            offer = f"We have plenty of {product} in stock at {now}."
            sms = f"{business_name}: plenty of {product} in stock at {now}. Come and see."
        body = (
            f"Hello,\n\n{offer} We have stocked up, so now is a good time to treat yourself or stock up.\n\n"
            f"See you soon,\n{business_name}"
        )
    elif objective == "win_back":
        offer = f"{discount}% off your next order" if discount else "something new for you"
        subject = f"We miss you at {business_name}: {offer}"
        body = (
            f"Hello,\n\nIt has been a while since your last visit, and we would love to see you again. "
            f"Come back for {offer}.\n\nSee you soon,\n{business_name}"
        )
        sms = f"{business_name}: we miss you! Come back for {offer}."
    else:  # grow_rising
        price = wording.money(plan["current_price"], currency)
        subject = f"{product} is flying off the shelves"
        body = (
            f"Hello,\n\n{product} is one of our most popular lines right now, at {price}. "
            f"Get yours before the rush.\n\nSee you soon,\n{business_name}"
        )
        sms = f"{business_name}: {product} is in demand, at {price}. Get yours before the rush."
    return {"email_subject": subject, "email_body": body, "sms_text": _shorten(sms)}


def _numbers(text: str) -> set[Decimal]:
    found = set()
    for token in NUMBER.findall(text):
        try:
            found.add(Decimal(token.replace(",", "")).normalize())
        except InvalidOperation:
            continue
    return found


def allowed_numbers(plan: dict, template: dict, business_name: str) -> set[Decimal]:
    """Every number the copy may state: the row's figures, the template's, the business's name's."""
    allowed: set[Decimal] = set()
    for value in plan.values():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            allowed |= _numbers(f"{value}") | _numbers(f"{value:.2f}")
        elif isinstance(value, str):
            allowed |= _numbers(value)
    for text in (*template.values(), business_name):
        allowed |= _numbers(text)
    return allowed


def rewrite_problems(
    rewrite: dict, *, plan: dict, template: dict, business_name: str, currency: str, product_names: list[str]
) -> list[str]:
    """Why a rewrite cannot be used (an empty list: it can)."""
    problems = []
    if not isinstance(rewrite, dict) or any(
        not isinstance(rewrite.get(name), str) or not rewrite[name].strip() for name in FIELDS
    ):
        return ["it did not return email_subject, email_body and sms_text"]
    if len(rewrite["sms_text"]) > SMS_LIMIT:
        problems.append(f"the SMS is {len(rewrite['sms_text'])} characters (at most {SMS_LIMIT})")
    text = "\n".join(rewrite[name] for name in FIELDS)
    invented = _numbers(text) - allowed_numbers(plan, template, business_name)
    if invented:
        problems.append(
            "it states figures the plan does not hold: "
            + ", ".join(sorted(format(value, "f") for value in invented))
        )
    own = set(wording.SYMBOLS.get(currency, "")) | {currency.lower()}
    marks = {mark.lower() for mark in CURRENCY_MARKS.findall(text)} - own
    template_marks = {mark.lower() for mark in CURRENCY_MARKS.findall("\n".join(template.values()))}
    if marks - template_marks:
        problems.append("it names another currency: " + ", ".join(sorted(marks - template_marks)))
    planned = (plan.get("product_name") or "").lower()
    lowered = text.lower()
    others = sorted(
        name
        for name in product_names
        if len(name) >= 4
        and name.lower() != planned
        and name.lower() not in planned
        and name.lower() in lowered
    )
    if others:
        problems.append("it names products the plan does not hold: " + ", ".join(others[:5]))
    return problems


def llm_rewrite(template: dict, *, plan: dict, business_name: str) -> dict | None:
    """Ask the configured chat-completions endpoint for a livelier version; None if unset or failing."""
    if not settings.ADVICE_LLM_URL:
        return None
    instructions = (
        "You rewrite marketing copy for a small shop. Keep every fact exactly as given: do not add any "
        "number, price, discount, date or product that is not in the draft. The SMS must be at most 160 "
        "characters. Answer with a JSON object with the keys email_subject, email_body and sms_text."
    )
    facts = {key: plan.get(key) for key in ("objective", "product_name", "target_segment", "discount")}
    body = {
        "model": settings.ADVICE_LLM_MODEL,
        "temperature": 0.7,
        "response_format": {"type": "json_object"},
        "messages": [
            {"role": "system", "content": instructions},
            {
                "role": "user",
                "content": json.dumps({"shop": business_name, "facts": facts, "draft": template}),
            },
        ],
    }
    request = urllib.request.Request(
        f"{settings.ADVICE_LLM_URL}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {settings.ADVICE_LLM_API_KEY}"} if settings.ADVICE_LLM_API_KEY else {}),
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.ADVICE_LLM_TIMEOUT_SECONDS) as response:
            answer = json.loads(response.read().decode())
        content = answer["choices"][0]["message"]["content"]
        return json.loads(content) if isinstance(content, str) else content
    except (
        urllib.error.URLError,
        TimeoutError,
        OSError,
        ValueError,
        KeyError,
        IndexError,
        TypeError,
    ) as error:
        logger.warning("The copy provider failed (%s): using the template", error)
        return None


def campaign_copy(*, plan: dict, business_name: str, currency: str, product_names: list[str]) -> dict:
    """The copy for one plan row, with ``source`` (``template`` or ``llm``) and, if rejected, why."""
    template = template_copy(plan=plan, business_name=business_name, currency=currency)
    rewrite = llm_rewrite(template, plan=plan, business_name=business_name)
    if rewrite is None:
        return {**template, "source": "template", "rejected": []}
    problems = rewrite_problems(
        rewrite,
        plan=plan,
        template=template,
        business_name=business_name,
        currency=currency,
        product_names=product_names,
    )
    if problems:
        logger.info("Rewrite rejected: %s", "; ".join(problems))
        return {**template, "source": "template", "rejected": problems}
    return {**{name: rewrite[name].strip() for name in FIELDS}, "source": "llm", "rejected": []}
