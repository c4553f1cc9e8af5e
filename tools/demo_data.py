"""Deterministic demo data for the churn cockpit: a distributor of fast-moving goods and its shops.

``generate(env, customers, months, seed, as_of, orders)`` turns a database with the module installed
into a plausible distributor: the main company (renamed, in CNY, Asia/Shanghai) and a Hong Kong
subsidiary in a second currency, a few salespeople and sales teams, a handful of products, and
shops that order on weekly, fortnightly or monthly rhythms. Some shops slow down, plunge, stop
(recently or long ago) or are new; a few never ordered. Quotations and cancelled orders sit
beside the confirmed ones, and some orders are placed by a shop's delivery address or contact.

Speed: the ORM only creates the few setup records. Customers and orders are planned with numpy;
customers go into ``res_partner`` with one COPY; orders and lines go with binary COPY into
temporary tables and move into ``sale_order`` and ``sale_order_line`` with one INSERT ... SELECT
each, filling every column the ORM would (tests recompute them through the ORM and compare). For
that load the foreign keys and secondary indexes of the two order tables are dropped and re-created
identically, and id blocks are reserved by moving the sequences: until the caller commits, the
transaction holds exclusive locks on those tables (and on the tables they reference), so run it
on a database nobody is using. 100,000 customers and 2,000,000 confirmed orders take about 1.5
minutes on 2 cores.

Determinism: everything random comes from numpy generators seeded with ``seed``, so the same seed
and ``as_of`` give the same shops, days, times and amounts (database ids and order names depend
on what the database already holds). The function never commits: the caller does.

Command line (the ``cockpit`` script sets COCKPIT_ODOO_CONF)::

    python tools/demo_data.py --db NAME [--customers N] [--orders N] [--months 18] [--seed 42]
                              [--as-of YYYY-MM-DD] [--recompute]
"""

import argparse
import csv
import io
import json
import math
import os
import struct
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pytz
from dateutil.relativedelta import relativedelta

import odoo
from odoo import SUPERUSER_ID, Command, api
from odoo.tools import SQL

MAIN_COMPANY = {
    "name": "华东快消品分销有限公司",
    "street": "浦东新区张江路 88 号",
    "city": "上海",
    "country": "base.cn",
    "tz": "Asia/Shanghai",
}
BRANCH_COMPANY = {
    "name": "华东快消品（香港）有限公司",
    "street": "九龙弥敦道 238 号",
    "city": "香港",
    "country": "base.hk",
    "tz": "Asia/Hong_Kong",
}
MAIN_CURRENCY = "CNY"
# Roughly how many units of a currency one yuan buys: the level of the generated exchange rates.
PER_CNY = {"CNY": 1.0, "USD": 0.138, "EUR": 0.128, "HKD": 1.08, "GBP": 0.109}

# (code, English name, Chinese name, price in CNY, popularity)
PRODUCTS = [
    ("FMCG-NOODLE", "Instant noodles, braised beef (case of 24)", "红烧牛肉面（24 包/箱）", 52.80, 9),
    ("FMCG-WATER", "Mineral water 550 ml (case of 24)", "矿泉水 550ml（24 瓶/箱）", 28.80, 10),
    ("FMCG-COLA", "Cola 330 ml cans (case of 24)", "可乐 330ml（24 罐/箱）", 55.20, 8),
    ("FMCG-TEA", "Iced black tea 500 ml (case of 15)", "冰红茶 500ml（15 瓶/箱）", 45.00, 7),
    ("FMCG-BEER", "Lager beer 500 ml cans (case of 12)", "啤酒 500ml（12 罐/箱）", 48.00, 6),
    ("FMCG-MILK", "UHT milk 250 ml (case of 24)", "纯牛奶 250ml（24 盒/箱）", 68.00, 6),
    ("FMCG-TISSUE", "Facial tissues (pack of 10)", "抽纸（10 包/提）", 23.90, 5),
    ("FMCG-OIL", "Peanut oil 5 L", "花生油 5L", 139.90, 3),
    ("FMCG-SOY", "Light soy sauce 500 ml (case of 12)", "生抽 500ml（12 瓶/箱）", 78.00, 3),
    ("FMCG-CHIPS", "Potato chips 70 g (case of 22)", "薯片 70g（22 袋/箱）", 96.80, 4),
]

# fmt: off
BRANDS = ["好邻居", "快客", "联华", "喜士多", "百家", "万家", "金福", "顺心", "乐购", "美宜",
          "鑫源", "恒信", "佳佳", "惠民", "诚信", "安心", "红旗", "天天", "福满", "旺角"]
SMALL_KINDS = ["便利店", "小卖部", "烟酒店", "副食店", "食杂店", "商行"]
BIG_KINDS = ["超市", "购物广场", "批发部"]
ROADS = {
    0: ["人民路", "解放路", "中山路", "建设路", "和平路", "长江路", "南京路",
        "延安路", "淮海路", "复兴路", "文化路", "新华路", "光明路", "胜利路"],
    1: ["弥敦道", "皇后大道", "轩尼诗道", "德辅道", "英皇道", "荔枝角道", "青山公路", "窝打老道"],
}
CITIES = {0: ["上海", "杭州", "南京", "苏州", "宁波", "无锡", "合肥", "嘉兴"], 1: ["香港"]}
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭"]
GIVEN_NAMES = ["伟", "芳", "娜", "洋", "静", "磊", "敏", "强", "婷", "斌", "杰", "丽", "军", "霞", "涛", "燕"]
# fmt: on

BRANCH_SHARE = 0.1  # customers of the Hong Kong subsidiary
FOREIGN_SHARE = 0.06  # main-company customers priced in the second currency
CHILD_SHARE = 0.2  # customers with a delivery address or a contact person
CHILD_ORDER_SHARE = 0.4  # of those customers' orders, placed by the child
CUSTOMERS_PER_SALESPERSON = 400
MAX_SALESPEOPLE = 30

# name: (mean days between orders, gamma shape — higher is more regular, share of customers)
RHYTHMS = {
    "weekly": (7.0, 20.0, 0.35),
    "biweekly": (14.0, 16.0, 0.30),
    "monthly": (30.0, 12.0, 0.25),
    "irregular": (40.0, 1.5, 0.10),
}
FATES = {
    "steady": 0.51,
    "growing": 0.06,
    "slowing": 0.08,
    "plunging": 0.08,
    "stopped_recent": 0.08,
    "stopped_long": 0.06,
    "new": 0.10,
    "never": 0.03,
}
FATE = {name: code for code, name in enumerate(FATES)}
LATE_START_SHARE = 0.15  # steady-ish customers whose first order falls inside the window
TREND_DAYS = 45  # how far back a plunge, a slowdown or a surge reaches
# Jan..Dec: stocking up before the Spring Festival, the February lull, summer drinks, National Day.
SEASON = np.array([1.25, 0.75, 0.95, 1.0, 1.0, 1.05, 1.12, 1.12, 1.0, 1.08, 1.0, 1.1])
OPENING_SECOND = 8 * 3600
BUSINESS_SECONDS = 10 * 3600
LINE_COUNT_SHARES = (0.45, 0.35, 0.20)  # orders with 1, 2, 3 lines

STATES = ("draft", "sent", "sale", "cancel")
STATE = {name: code for code, name in enumerate(STATES, start=1)}  # 1-based for SQL arrays
# Share of the confirmed orders, minimum count: open quotations and cancellations that must not count.
OTHER_ORDERS = {"draft": (0.012, 3), "sent": (0.008, 3), "cancel": (0.015, 3)}

PG_EPOCH_DAY = np.datetime64("2000-01-01", "D")
PG_EPOCH_US = np.datetime64("2000-01-01T00:00:00", "us")
COPY_CHUNK_ROWS = 500_000


# ----------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class Calendar:
    """Day indexes 0..days run from first_day to as_of (local dates of the companies)."""

    as_of: date
    months: int

    @property
    def first_day(self):
        return self.as_of - relativedelta(months=self.months) + timedelta(days=1)

    @property
    def days(self):
        return (self.as_of - self.first_day).days

    def date_at(self, day):
        return self.first_day + timedelta(days=int(day))

    def month_index(self):
        """Calendar month (0 = January) of every day, -1..days+1."""
        dates = np.datetime64(self.first_day, "D") + np.arange(-1, self.days + 2)
        return dates.astype("datetime64[M]").astype(int) % 12


@dataclass
class CompanySetup:
    slot: int  # 0 main, 1 subsidiary
    record: object
    currency: object
    pricelist: object
    team: object
    salespeople: list
    country_id: int
    tz: str
    sequence: object
    price_rates: np.ndarray  # main currency -> this company's currency, per day -1..days+1
    foreign_currency: object = None  # main company only: the second currency some shops pay in
    foreign_pricelist: object = None
    foreign_rates: np.ndarray = None


@dataclass
class Setup:
    companies: list
    product_ids: np.ndarray
    product_names: list
    product_prices: np.ndarray  # in the main company's currency
    product_weights: np.ndarray
    product_uoms: list
    product_leads: list
    lang: str


@dataclass
class Customers:
    """One entry per customer; days are Calendar indexes."""

    company: np.ndarray
    foreign: np.ndarray
    salesperson: np.ndarray
    size: np.ndarray  # typical order, main currency
    interval: np.ndarray
    shape: np.ndarray
    start: np.ndarray
    anchor: np.ndarray  # day of the last confirmed order (before thinning)
    fate: np.ndarray
    child: np.ndarray  # 0 none, 1 delivery address, 2 contact person
    ids: np.ndarray = None
    child_ids: np.ndarray = None

    def __len__(self):
        return len(self.company)


@dataclass
class Orders:
    customer: np.ndarray
    day: np.ndarray
    factor: np.ndarray  # order amount = customer size x factor
    state: np.ndarray

    def __len__(self):
        return len(self.customer)

    def take(self, index):
        return Orders(self.customer[index], self.day[index], self.factor[index], self.state[index])

    @staticmethod
    def concat(parts):
        return Orders(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("customer", "day", "factor", "state")))


@dataclass
class Timer:
    laps: dict = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def lap(self, name):
        now = time.perf_counter()
        self.laps[name] = round(now - self.started, 2)
        self.started = now


def generate(env, customers=2000, months=18, seed=42, as_of=None, orders=None):
    """Create a distributor's companies, salespeople, products, customers and orders; return stats.

    ``env`` is a superuser environment; nothing is committed. Orders span ``months`` months ending
    on ``as_of`` (default: today in Asia/Shanghai). ``orders`` asks for that many confirmed orders
    (the customers' rhythms are stretched or squeezed to fit); by default the rhythms decide.
    """
    if customers < 1 or months < 2:
        raise ValueError("demo data needs at least one customer and two months")
    timer = Timer()
    calendar = Calendar(as_of or datetime.now(pytz.timezone(MAIN_COMPANY["tz"])).date(), months)
    setup = _setup(env, customers, calendar, seed)
    timer.lap("setup")
    plan = _plan_customers(np.random.default_rng([seed, 1]), customers, setup, calendar)
    confirmed = _confirmed_orders(seed, plan, calendar, orders)
    others = _other_orders(np.random.default_rng([seed, 3]), plan, confirmed, calendar)
    book = _order_book(np.random.default_rng([seed, 4]), plan, Orders.concat([confirmed, others]), setup, calendar)
    lines = _order_lines(np.random.default_rng([seed, 5]), book, setup)
    timer.lap("plan")
    env.flush_all()
    _write_customers(env, np.random.default_rng([seed, 6]), plan, setup, calendar)
    timer.lap("customers")
    _write_orders(env, book, lines, plan, setup)
    departed = _depart_salesperson(env, setup)
    timer.lap("orders")
    # Fresh statistics: the recompute that usually follows plans its joins on these tables.
    env.cr.execute(SQL("ANALYZE res_partner, sale_order, sale_order_line"))
    env.invalidate_all()
    timer.lap("analyze")
    return {**_stats(plan, book, lines, setup, calendar, timer), "departed_salesperson": departed.id}


def _depart_salesperson(env, setup):
    """The main company's last salesperson has left (SPEC §13): archived, his customers still his,
    waiting to be handed over."""
    departed = env["res.users"].browse(setup.companies[0].salespeople[-1])
    departed.action_archive()
    return departed


def _stats(plan, book, lines, setup, calendar, timer):
    states = {name: int(np.count_nonzero(book["state"] == code)) for name, code in STATE.items()}
    sale = book["state"] == STATE["sale"]
    ordered = np.zeros(len(plan), bool)
    ordered[book["customer"][sale]] = True
    return {
        "customers": len(plan),
        "customers_without_orders": int(np.count_nonzero(~ordered)),
        "child_contacts": int(np.count_nonzero(plan.child)),
        "orders": states,
        "orders_by_company": {
            c.record.id: int(np.count_nonzero(sale & (book["company"] == c.slot))) for c in setup.companies
        },
        "orders_in_second_currency": int(np.count_nonzero(sale & book["foreign"])),
        "order_lines": len(lines["order"]),
        "companies": [c.record.id for c in setup.companies],
        "salespeople": sum(len(c.salespeople) for c in setup.companies),
        "products": len(setup.product_ids),
        "first_day": calendar.first_day,
        "last_day": calendar.as_of,
        "seconds": timer.laps,
    }


# ----------------------------------------------------------------------------- setup (ORM)


def _setup(env, customers, calendar, seed):
    rng = np.random.default_rng([seed, 0])
    main = env.company
    foreign = _prepare_main_company(env, main)
    branch = _subsidiary(env, foreign)
    _enable_pricelists(env)
    lang = "zh_CN" if "zh_CN" in dict(env["res.lang"].get_installed()) else env.lang or "en_US"
    products = _products(env, main.currency_id, lang)
    salespeople = max(3, min(MAX_SALESPEOPLE, round(customers / CUSTOMERS_PER_SALESPERSON)))
    branch_people = max(1, round(salespeople * BRANCH_SHARE * 2))
    companies = [
        _company_setup(env, rng, 0, main, MAIN_COMPANY, salespeople, main.currency_id, calendar),
        _company_setup(env, rng, 1, branch, BRANCH_COMPANY, branch_people, main.currency_id, calendar),
    ]
    companies[0].foreign_currency = foreign
    companies[0].foreign_pricelist = _pricelist(env, main, foreign, f"{foreign.name} 外币价目表", 20)
    _ensure_monthly_rates(env, rng, foreign, main, _per_main(foreign, main.currency_id), calendar)
    companies[0].foreign_rates = _daily_conversion(env, main.currency_id, foreign, main, calendar)
    return Setup(companies=companies, lang=lang, **products)


def _prepare_main_company(env, main):
    """Rename the main company as a distributor in CNY; return the second currency."""
    cny = env["res.currency"].with_context(active_test=False).search([("name", "=", MAIN_CURRENCY)])
    values = {
        "name": MAIN_COMPANY["name"],
        "street": MAIN_COMPANY["street"],
        "city": MAIN_COMPANY["city"],
        "country_id": env.ref(MAIN_COMPANY["country"]).id,
    }
    # A company with journal items cannot change currency: it keeps its own then.
    if cny and main.currency_id != cny and not main._existing_accounting():
        cny.active = True
        values["currency_id"] = cny.id
    main.write(values)
    main.partner_id.tz = MAIN_COMPANY["tz"]
    name = "USD" if main.currency_id.name != "USD" else "EUR"
    foreign = env["res.currency"].with_context(active_test=False).search([("name", "=", name)])
    foreign.active = True
    return foreign


def _subsidiary(env, currency):
    Company = env["res.company"]
    branch = Company.search([("name", "=", BRANCH_COMPANY["name"])], limit=1) or Company.create(
        {
            "name": BRANCH_COMPANY["name"],
            "street": BRANCH_COMPANY["street"],
            "city": BRANCH_COMPANY["city"],
            "country_id": env.ref(BRANCH_COMPANY["country"]).id,
            "currency_id": currency.id,
        }
    )
    branch.partner_id.tz = BRANCH_COMPANY["tz"]
    # The administrator sees both companies' orders in the Sales app.
    env.ref("base.user_admin").write({"company_ids": [Command.link(branch.id)]})
    return branch


def _enable_pricelists(env):
    """What Settings > Pricelists does: every user sees the order's pricelist, hence its currency."""
    group = env.ref("product.group_product_pricelist")
    env.ref("base.group_user").write({"implied_ids": [Command.link(group.id)]})


def _products(env, currency, lang):
    Product = env["product.product"].with_context(active_test=False)
    factor = _per_main(None, currency)
    records = []
    for code, english, chinese, price, _weight in PRODUCTS:
        product = Product.search([("default_code", "=", code)], limit=1) or Product.create(
            {
                "name": english,
                "default_code": code,
                "type": "consu",
                "list_price": round(price * factor, 2),
                "taxes_id": [Command.clear()],
            }
        )
        if "zh_CN" in dict(env["res.lang"].get_installed()):
            product.with_context(lang="zh_CN").name = chinese
        records.append(product)
    return {
        "product_ids": np.array([p.id for p in records], np.int32),
        "product_names": [p.with_context(lang=lang).get_product_multiline_description_sale() for p in records],
        "product_prices": np.array([p.lst_price for p in records]),
        "product_weights": np.array([weight for *_rest, weight in PRODUCTS], float) / sum(p[-1] for p in PRODUCTS),
        "product_uoms": [p.uom_id.id for p in records],
        # Lead times exist with sale_stock only; sale alone leaves customer_lead at 0.
        "product_leads": [float(p["sale_delay"]) if "sale_delay" in p._fields else 0.0 for p in records],
    }


def _per_main(currency, main_currency):
    """Units of ``currency`` (CNY when None) per unit of the main company's currency."""
    target = PER_CNY.get(currency.name, 1.0) if currency else 1.0
    return target / PER_CNY.get(main_currency.name, 1.0)


def _company_setup(env, rng, slot, company, info, salespeople, main_currency, calendar):
    pricelist = _pricelist(env, company, company.currency_id, f"{company.currency_id.name} 标准价目表", 1)
    team, users = _sales_team(env, slot, company, salespeople)
    if company.currency_id != main_currency:
        # Products are priced in the main company's currency; this one converts at its own rates.
        rate = _per_main(main_currency, company.currency_id)
        _ensure_monthly_rates(env, rng, main_currency, company, rate, calendar)
    return CompanySetup(
        slot=slot,
        record=company,
        currency=company.currency_id,
        pricelist=pricelist,
        team=team,
        salespeople=users.ids,
        country_id=env.ref(info["country"]).id,
        tz=info["tz"],
        sequence=_order_sequence(env, company),
        price_rates=_daily_conversion(env, main_currency, company.currency_id, company, calendar),
    )


def _pricelist(env, company, currency, name, sequence):
    Pricelist = env["product.pricelist"]
    domain = [("company_id", "=", company.id), ("currency_id", "=", currency.id), ("name", "=", name)]
    return Pricelist.search(domain, limit=1) or Pricelist.create(
        {"name": name, "company_id": company.id, "currency_id": currency.id, "sequence": sequence}
    )


def _sales_team(env, slot, company, count):
    group = env.ref("sales_team.group_sale_salesman")
    Users = env["res.users"].with_context(no_reset_password=True, active_test=False)
    users = Users.browse()
    for index in range(count):
        login = f"demo.sales.{'hk.' if slot else ''}{index + 1:02d}"
        surname = SURNAMES[(index + 5 * slot) % len(SURNAMES)]
        name = surname + GIVEN_NAMES[(index * 7 + index // len(SURNAMES) + slot) % len(GIVEN_NAMES)]
        users |= Users.search([("login", "=", login)], limit=1) or Users.create(
            {
                "name": f"{name}{'（香港）' if slot else ''}",
                "login": login,
                "email": f"{login}@example.com",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "groups_id": [Command.link(group.id)],
                "tz": (BRANCH_COMPANY if slot else MAIN_COMPANY)["tz"],
            }
        )
    name = "香港销售部" if slot else "华东直营销售部"
    Team = env["crm.team"]
    # Teams open to every company (as Odoo's default team is): an order of a Hong Kong shop entered
    # in the main company still gets its salesperson's team without a company conflict.
    team = Team.search([("name", "=", name), ("company_id", "=", False)], limit=1) or Team.create(
        {"name": name, "company_id": False, "user_id": users[0].id}
    )
    team.member_ids = [Command.link(user.id) for user in users]
    return team, users


def _order_sequence(env, company):
    """The sequence ``next_by_code('sale.order')`` uses for this company."""
    return env["ir.sequence"].search(
        [("code", "=", "sale.order"), ("company_id", "in", [company.id, False])], order="company_id", limit=1
    )


def _ensure_monthly_rates(env, rng, currency, company, level, calendar):
    """One rate a month around ``level`` from a month before the first day, keeping existing ones."""
    Rate = env["res.currency.rate"]
    existing = set(Rate.search([("currency_id", "=", currency.id), ("company_id", "=", company.id)]).mapped("name"))
    first = calendar.first_day.replace(day=1) - relativedelta(months=1)
    months = (calendar.as_of.year - first.year) * 12 + calendar.as_of.month - first.month + 1
    drift = 1 + 0.03 * np.sin(np.arange(months) / 2.5) + rng.normal(0, 0.004, months)
    values = [
        {"name": first + relativedelta(months=k), "rate": round(level * drift[k], 6), "currency_id": currency.id}
        for k in range(months)
        if first + relativedelta(months=k) not in existing
    ]
    Rate.with_company(company).create([dict(v, company_id=company.id) for v in values])


def _daily_conversion(env, source, target, company, calendar):
    """Odoo's own conversion rate ``source`` -> ``target`` in ``company`` for days -1..days+1."""
    if source == target:
        return np.ones(calendar.days + 3)
    Currency = env["res.currency"]
    return np.array(
        [
            Currency._get_conversion_rate(source, target, company, calendar.first_day + timedelta(days=day))
            for day in range(-1, calendar.days + 2)
        ]
    )


# ----------------------------------------------------------------------------- customers


def _allocate(rng, n, shares):
    """Exactly proportional category codes (largest remainder), shuffled: small runs get every kind."""
    shares = np.asarray(shares, float) / sum(shares)
    counts = np.floor(shares * n).astype(int)
    counts[np.argsort(-(shares * n - counts), kind="stable")[: n - counts.sum()]] += 1
    return rng.permutation(np.repeat(np.arange(len(shares)), counts))


def _plan_customers(rng, n, setup, calendar):
    days = calendar.days
    company = (_allocate(rng, n, [1 - BRANCH_SHARE, BRANCH_SHARE]) if n >= 10 else np.zeros(n, int)).astype(np.int8)
    rhythm = _allocate(rng, n, [r[2] for r in RHYTHMS.values()])
    interval = np.array([r[0] for r in RHYTHMS.values()])[rhythm]
    shape = np.array([r[1] for r in RHYTHMS.values()])[rhythm]
    fate = _allocate(rng, n, list(FATES.values()))
    # Shop sizes are lognormal: many small shops, a few big ones that make the A tier.
    size = np.clip(rng.lognormal(math.log(350), 0.85, n), 60, 25_000)
    start, anchor = _start_and_anchor(rng, fate, interval, days)
    salesperson = np.empty(n, np.int32)
    for c in setup.companies:
        mine = company == c.slot
        salesperson[mine] = rng.choice(np.array(c.salespeople, np.int32), np.count_nonzero(mine))
    foreign = (company == 0) & (rng.random(n) < FOREIGN_SHARE)
    child = np.where(rng.random(n) < CHILD_SHARE, rng.choice([1, 1, 2], n), 0).astype(np.int8)
    return Customers(company, foreign, salesperson, size, interval, shape, start, anchor, fate, child)


def _start_and_anchor(rng, fate, interval, days):
    """First possible and last order day of every customer, from its fate."""
    n = len(fate)
    u = rng.random(n)
    start = np.where(rng.random(n) < LATE_START_SHARE, np.floor(u * max(1, days - 120)), 0)
    anchor = days - np.floor(rng.random(n) * np.minimum(interval, 20) * 0.9)
    slowing = fate == FATE["slowing"]
    anchor[slowing] = days - np.floor(rng.random(np.count_nonzero(slowing)) * interval[slowing] * 1.5)
    recent = fate == FATE["stopped_recent"]
    anchor[recent] = days - rng.integers(15, 61, np.count_nonzero(recent))
    long_ago = fate == FATE["stopped_long"]
    high = max(62, min(400, days - 10))
    anchor[long_ago] = days - rng.integers(min(61, high - 1), high, np.count_nonzero(long_ago))
    new = fate == FATE["new"]
    start[new] = days - rng.integers(15, max(16, min(100, days)), np.count_nonzero(new))
    anchor[new] = days - np.floor(rng.random(np.count_nonzero(new)) * np.minimum(interval[new], 10))
    anchor = np.clip(anchor, 0, days)
    start = np.minimum(start, anchor)
    return start.astype(np.int32), anchor.astype(np.int32)


# ----------------------------------------------------------------------------- orders


def _confirmed_orders(seed, plan, calendar, target):
    """Confirmed orders on every customer's rhythm; with ``target``, exactly that many (when reachable)."""
    scale = 1.0
    for attempt in range(6):
        found = _rhythm_orders(np.random.default_rng([seed, 2, attempt]), plan, calendar, scale)
        if not target or len(found) >= target:
            break
        # Squeeze the intervals towards the target, a little past it, then trim.
        scale *= target / max(len(found), 1) * 1.02
    if target and len(found) > target:
        found = _trim(np.random.default_rng([seed, 2, 99]), found, len(found) - target)
    return found


def _rhythm_orders(rng, plan, calendar, scale):
    days = calendar.days
    buying = plan.fate != FATE["never"]
    interval = np.maximum(plan.interval / scale, 1.0)
    # Walk back from each customer's last order with gamma-distributed gaps until its start.
    span = np.where(buying, plan.anchor - plan.start, -1)
    slots = np.where(buying, np.ceil(span / interval * 1.6).astype(np.int64) + 4, 0)
    owner = np.repeat(np.arange(len(plan)), slots)
    gaps = rng.gamma(plan.shape[owner], interval[owner] / plan.shape[owner])
    first = (np.cumsum(slots) - slots)[buying]
    gaps[first] = 0.0
    walked = np.cumsum(gaps)
    walked -= np.repeat(walked[first], slots[buying])
    day = np.floor(plan.anchor[owner] - walked).astype(np.int32)
    keep = day >= plan.start[owner]
    owner, day = owner[keep], day[keep]
    day = _avoid_sundays(rng, day, calendar)
    factor = _noise(rng, len(day)) * SEASON[calendar.month_index()[day + 1]]
    keep, factor = _apply_trends(rng, plan, owner, day, factor, days)
    state = np.full(np.count_nonzero(keep), STATE["sale"], np.int8)
    return Orders(owner[keep].astype(np.int32), day[keep], factor[keep], state)


def _avoid_sundays(rng, day, calendar):
    """Most shops do not order on Sundays: move 70% of those orders to the Saturday."""
    sunday = (calendar.first_day.weekday() + day) % 7 == 6
    moved = sunday & (rng.random(len(day)) < 0.7) & (day > 0)
    return day - moved


def _noise(rng, n, sigma=0.2):
    """Lognormal factors with mean 1."""
    return rng.lognormal(-sigma * sigma / 2, sigma, n)


def _apply_trends(rng, plan, owner, day, factor, days):
    """Thin and scale the recent orders of slowing, plunging and growing customers."""
    fate = plan.fate[owner]
    recent = day > days - TREND_DAYS
    last = day == plan.anchor[owner]
    draw = rng.random(len(day))
    drop = recent & ~last & (((fate == FATE["slowing"]) & (draw < 0.55)) | ((fate == FATE["plunging"]) & (draw < 0.4)))
    factor = factor.copy()
    plunging = recent & (fate == FATE["plunging"])
    factor[plunging] *= rng.uniform(0.25, 0.45, np.count_nonzero(plunging))
    factor[recent & (fate == FATE["slowing"])] *= 0.85
    factor[recent & (fate == FATE["growing"])] *= 1.8
    return ~drop, factor


def _trim(rng, found, surplus):
    """Drop ``surplus`` random orders, never a customer's first or last one (their fate shows there)."""
    order = np.lexsort((found.day, found.customer))
    customer = found.customer[order]
    edge = np.ones(len(order), bool)
    edge[1:-1] = (customer[1:-1] != customer[:-2]) | (customer[1:-1] != customer[2:])
    candidates = order[~edge]
    dropped = rng.choice(candidates, min(surplus, len(candidates)), replace=False)
    keep = np.ones(len(found), bool)
    keep[dropped] = False
    return found.take(keep)


def _other_orders(rng, plan, confirmed, calendar):
    """Quotations (draft, sent) and cancelled orders, mostly recent, from buyers and a few prospects."""
    days = calendar.days
    counts = np.bincount(confirmed.customer, minlength=len(plan)).astype(float)
    prospects = np.flatnonzero(plan.fate == FATE["never"])
    # Half the shops that never ordered got a quotation they did not sign (a draft or a sent one).
    pitched = {"draft": prospects[0::4], "sent": prospects[1::4]}
    parts = []
    for name, (share, minimum) in OTHER_ORDERS.items():
        n = max(minimum, round(share * len(confirmed)))
        customer = rng.choice(len(plan), n, p=(counts + 0.01) / (counts + 0.01).sum()).astype(np.int32)
        prospects_pitched = pitched.get(name, prospects[:0])[:n]
        customer[: len(prospects_pitched)] = prospects_pitched
        room = days - plan.start[customer]
        if name == "draft":
            back = np.floor(rng.exponential(8, n))
        elif name == "sent":
            back = np.floor(rng.random(n) * np.minimum(60, room + 1))
        else:
            # Cancellations all along, a third of them in the last fortnight.
            back = np.where(rng.random(n) < 1 / 3, rng.integers(0, 14, n), np.floor(rng.random(n) * (room + 1)))
        day = (days - np.minimum(back, room)).astype(np.int32)
        parts.append(Orders(customer, day, _noise(rng, n), np.full(n, STATE[name], np.int8)))
    return Orders.concat(parts)


def _order_book(rng, plan, orders, setup, calendar):
    """Every order's columns, sorted by date: ids and names follow the order dates."""
    customer, day = orders.customer, orders.day
    company = plan.company[customer]
    seconds = OPENING_SECOND + rng.integers(0, BUSINESS_SECONDS, len(orders))
    day = _not_after_now(seconds, day, calendar)
    date_order = _utc_times(calendar, setup, company, day, seconds)
    # Odoo converts currencies at the order's UTC date: an index into the -1..days+1 rate tables.
    utc_day = (date_order.astype("datetime64[D]") - np.datetime64(calendar.first_day, "D")).astype(np.int64) + 1
    by_child = (plan.child[customer] > 0) & (rng.random(len(orders)) < CHILD_ORDER_SHARE)
    book = {
        "customer": customer,
        "day": day,
        "company": company,
        "foreign": plan.foreign[customer],
        "state": orders.state,
        "by_child": by_child,
        "date_order": date_order,
        "local_day": np.datetime64(calendar.first_day, "D") + day,
        "utc_day": utc_day,
        "target": plan.size[customer] * orders.factor,
    }
    order = np.lexsort((customer, date_order))
    return {key: values[order] for key, values in book.items()}


def _not_after_now(seconds, day, calendar):
    """When as_of is today, orders later than now move to the day before, at the same time of day."""
    now = datetime.now(pytz.timezone(MAIN_COMPANY["tz"]))
    if now.date() != calendar.as_of:
        return day
    late = (day == calendar.days) & (seconds > now.hour * 3600 + now.minute * 60 + now.second)
    return np.where(late & (day > 0), day - 1, day).astype(day.dtype)


def _utc_times(calendar, setup, company, day, seconds):
    """UTC datetimes of local times: ``seconds`` after midnight of calendar ``day`` in each company's tz."""
    result = (np.datetime64(calendar.first_day, "D") + day).astype("datetime64[us]")
    for c in setup.companies:
        mine = company == c.slot
        # One offset per distinct day (DST aware), taken at noon.
        days, inverse = np.unique(day[mine], return_inverse=True)
        zone = pytz.timezone(c.tz)
        noons = [datetime.combine(calendar.date_at(d), datetime.min.time()) + timedelta(hours=12) for d in days]
        offsets = np.array([zone.utcoffset(noon).total_seconds() for noon in noons], np.int64)[inverse]
        result[mine] += ((seconds[mine] - offsets) * 1_000_000).astype("timedelta64[us]")
    return result


def _order_lines(rng, book, setup):
    """1–3 lines per order; quantities fill the order's target amount, prices in the order's currency."""
    n = len(book["customer"])
    count = rng.choice([1, 2, 3], n, p=LINE_COUNT_SHARES)
    order = np.repeat(np.arange(n), count)
    first = np.cumsum(count) - count
    position = np.arange(len(order)) - first[order]
    base = rng.choice(len(setup.product_ids), n, p=setup.product_weights)
    # Steps of 3 through the 10 products: the lines of one order are different products.
    product = (base[order] + 3 * position) % len(setup.product_ids)
    weight = rng.random(len(order)) + 0.3
    share = weight / np.bincount(order, weights=weight)[order]
    price_main = setup.product_prices[product]
    quantity = np.maximum(1, np.round(book["target"][order] * share / price_main)).astype(np.int64)
    conversion = _order_conversions(book, setup)
    price_cents = np.round(price_main * conversion[order] * 100).astype(np.int64)
    subtotal = quantity * price_cents
    book["amount_cents"] = np.add.reduceat(subtotal, first)
    book["currency_rate"] = _order_currency_rates(book, setup)
    return {"order": order, "sequence": (10 + position).astype(np.int16), "product": product.astype(np.int16),
            "quantity": quantity, "price_cents": price_cents}  # fmt: skip


def _order_conversions(book, setup):
    """Main-currency price -> order-currency price, per order."""
    utc_day = book["utc_day"]
    conversion = np.ones(len(utc_day))
    main, branch = setup.companies
    conversion[book["foreign"]] = main.foreign_rates[utc_day[book["foreign"]]]
    in_branch = book["company"] == branch.slot
    conversion[in_branch] = branch.price_rates[utc_day[in_branch]]
    return conversion


def _order_currency_rates(book, setup):
    """sale_order.currency_rate: order currency per unit of company currency (1 unless foreign)."""
    rates = np.ones(len(book["day"]))
    foreign = book["foreign"]
    rates[foreign] = setup.companies[0].foreign_rates[book["utc_day"][foreign]]
    return rates


# ----------------------------------------------------------------------------- writing (SQL)


def _reserve_ids(cr, table, count):
    """``count`` consecutive new ids from the table's sequence, as a numpy array.

    One jump of the sequence instead of ``count`` nextval() calls: ALTER SEQUENCE blocks other
    sessions' nextval() until the transaction ends, so nobody else can take an id in the block.
    """
    cr.execute(SQL("SELECT pg_get_serial_sequence(%s, 'id')", table))
    name = cr.fetchone()[0]
    sequence = SQL.identifier(*name.split("."))
    # A sequence never used returns its start value without moving: move it once first.
    cr.execute(SQL("SELECT nextval(%s)", name))
    cr.execute(SQL("ALTER SEQUENCE %s INCREMENT BY %s", sequence, count))
    cr.execute(SQL("SELECT nextval(%s)", name))
    last = cr.fetchone()[0]
    cr.execute(SQL("ALTER SEQUENCE %s INCREMENT BY 1", sequence))
    return np.arange(last - count + 1, last + 1, dtype=np.int32)


def _write_customers(env, rng, plan, setup, calendar):
    """Customers and their child contacts with reserved ids, in one COPY."""
    cr = env.cr
    n, children = len(plan), np.flatnonzero(plan.child)
    ids = _reserve_ids(cr, "res_partner", n + len(children))
    plan.ids, plan.child_ids = ids[:n], np.zeros(n, np.int32)
    plan.child_ids[children] = ids[n:]
    rows = _customer_rows(env, rng, plan, setup, calendar)
    rows += _child_rows(rng, plan, children, rows, setup, calendar)
    columns = list(dict.fromkeys(name for row in rows for name in row))
    buffer = io.StringIO()
    csv.writer(buffer).writerows([row.get(c) for c in columns] for row in rows)
    buffer.seek(0)
    copy = SQL("COPY res_partner (%s) FROM STDIN WITH (FORMAT csv)", SQL(", ").join(map(SQL.identifier, columns)))
    cr._obj.copy_expert(copy.code, buffer)


def _partner_row(**values):
    row = {
        "active": "t",
        "partner_share": "t",
        "color": 0,
        "message_bounce": 0,
        "supplier_rank": 0,
        "invoice_warn": "no-message",
        "sale_warn": "no-message",
        "autopost_bills": "ask",
        "company_id": None,
    }
    row.update(values)
    row.setdefault("write_uid", row["create_uid"])
    row.setdefault("write_date", row["create_date"])
    return row


def _customer_rows(env, rng, plan, setup, calendar):
    n = len(plan)
    big = plan.size >= np.quantile(plan.size, 0.95)
    kinds = np.where(big, rng.choice(BIG_KINDS, n), rng.choice(SMALL_KINDS, n))
    brands, numbers = rng.choice(BRANDS, n), rng.integers(1, 400, n)
    roads = rng.integers(0, 1000, n)
    created = _utc_times(calendar, setup, plan.company, plan.start - rng.integers(1, 60, n), np.full(n, 9 * 3600))
    created = np.datetime_as_string(created, unit="s")
    phones = rng.integers(0, 10**8, n)
    mobile_prefix = rng.choice(["135", "138", "139", "150", "158", "186"], n)
    main = setup.companies[0]
    countries = [env["res.country"].browse(c.country_id) for c in setup.companies]
    # phone_sanitized as Odoo computes it here (E.164 with the phonenumbers library, else as typed).
    sanitize = env["res.partner"]._phone_format
    rows = []
    for i in range(n):
        company = setup.companies[plan.company[i]]
        road = ROADS[company.slot][roads[i] % len(ROADS[company.slot])]
        name = f"{brands[i]}{kinds[i]}（{road}{numbers[i]}号）"
        phone = _phone(company.slot, mobile_prefix[i], phones[i])
        # Shops paying in the second currency get that pricelist, as the Sales app would propose it.
        pricelist = {str(main.record.id): main.foreign_pricelist.id} if plan.foreign[i] else None
        rows.append(
            _partner_row(
                id=int(plan.ids[i]),
                name=name,
                complete_name=name,
                commercial_partner_id=int(plan.ids[i]),
                commercial_company_name=name,
                type="contact",
                is_company="t",
                customer_rank=1,
                ref=f"C{i + 1:06d}",
                lang=setup.lang,
                tz=company.tz,
                user_id=int(plan.salesperson[i]),
                street=f"{road} {numbers[i]} 号",
                city=CITIES[company.slot][roads[i] % len(CITIES[company.slot])],
                country_id=company.country_id,
                phone=phone,
                phone_sanitized=sanitize(number=phone, country=countries[company.slot]) or None,
                specific_property_product_pricelist=json.dumps(pricelist) if pricelist else None,
                create_uid=int(plan.salesperson[i]),
                create_date=created[i],
            )
        )
    return rows


def _child_rows(rng, plan, children, parents, setup, calendar):
    """A delivery address or a contact person under some customers (orders may be placed on them)."""
    surnames = rng.choice(SURNAMES, len(children))
    created = _utc_times(calendar, setup, plan.company[children], plan.start[children], np.full(len(children), 36000))
    created = np.datetime_as_string(created, unit="s")
    rows = []
    for k, i in enumerate(children):
        company = setup.companies[plan.company[i]]
        delivery = plan.child[i] == 1
        name = "仓库收货点" if delivery else f"{surnames[k]}老板"
        parent = parents[i]
        rows.append(
            _partner_row(
                id=int(plan.child_ids[i]),
                name=name,
                complete_name=f"{parent['name']}, {name}",
                parent_id=int(plan.ids[i]),
                commercial_partner_id=int(plan.ids[i]),
                commercial_company_name=parent["name"],
                type="delivery" if delivery else "contact",
                is_company="f",
                customer_rank=0,
                lang=setup.lang,
                tz=company.tz,
                user_id=int(plan.salesperson[i]),
                street=parent["street"],
                city=parent["city"],
                country_id=company.country_id,
                create_uid=int(plan.salesperson[i]),
                create_date=created[k],
            )
        )
    return rows


def _phone(slot, prefix, digits):
    """A Hong Kong number (8 digits) or a Chinese mobile one (11 digits), spaced as people type them."""
    if slot:
        number = f"{5 + digits % 5}{digits // 10 % 10**7:07d}"
        return f"{number[:4]} {number[4:]}"
    number = f"{prefix}{digits:08d}"
    return f"{number[:3]} {number[3:7]} {number[7:]}"


def _write_orders(env, book, lines, plan, setup):
    """Orders and lines through temporary tables, then one INSERT ... SELECT each."""
    cr = env.cr
    ids = _reserve_ids(cr, "sale_order", len(book["customer"]))
    sequences, slot, number = _order_numbers(book, setup)
    _copy_to_temp_table(cr, "demo_order", _order_columns(ids, slot, number, book, plan, setup))
    line_columns = {
        "order_id": ids[lines["order"]],
        "sequence": lines["sequence"],
        "product_slot": (lines["product"] + 1).astype(np.int16),
        "quantity": lines["quantity"],
        "price_cents": lines["price_cents"],
    }
    _copy_to_temp_table(cr, "demo_order_line", line_columns)
    cr.execute(SQL("ANALYZE demo_order, demo_order_line"))
    with _bulk_load(cr, ["sale_order", "sale_order_line"]):
        cr.execute(_insert_orders_query(setup, sequences))
        cr.execute(_insert_lines_query(setup))
    for sequence, start, count in sequences:
        # Orders created in the Sales app from now on continue after the generated ones.
        sequence.write({"number_next": start + count})


def _order_columns(ids, slot, number, book, plan, setup):
    """The varying columns of sale_order; SQL adds the constant ones and the texts."""
    customer, company = book["customer"], book["company"]
    # Addresses as res.partner.address_get() finds them: a delivery child ships every order of its
    # shop; a contact person ordering is its own invoice and delivery address.
    child = plan.child[customer]
    partner = np.where(book["by_child"], plan.child_ids[customer], plan.ids[customer])
    invoice = np.where(book["by_child"] & (child == 2), partner, plan.ids[customer])
    shipping = np.where(child == 1, plan.child_ids[customer], partner)
    per_company = {
        "company_id": [c.record.id for c in setup.companies],
        "currency_id": [c.currency.id for c in setup.companies],
        "pricelist_id": [c.pricelist.id for c in setup.companies],
        "team_id": [c.team.id for c in setup.companies],
    }
    columns = {"id": ids, "partner_id": partner, "invoice_id": invoice, "shipping_id": shipping}
    columns.update({name: np.array(values, np.int32)[company] for name, values in per_company.items()})
    main = setup.companies[0]
    columns["currency_id"][book["foreign"]] = main.foreign_currency.id
    columns["pricelist_id"][book["foreign"]] = main.foreign_pricelist.id
    columns.update(
        company_slot=(company + 1).astype(np.int16),
        user_id=plan.salesperson[customer],
        date_order=book["date_order"],
        local_day=book["local_day"],
        state=book["state"].astype(np.int16),
        amount_cents=book["amount_cents"],
        currency_rate=book["currency_rate"],
        sequence_slot=slot,
        number=number,
    )
    return columns


@contextmanager
def _bulk_load(cr, tables):
    """Drop the foreign keys and secondary indexes of ``tables`` for a bulk insert, then re-create them.

    Kept in place, every key costs a trigger call and every index an insertion per row: most of
    the load time (PostgreSQL's "Populating a Database" advice). Re-created from PostgreSQL's own
    definitions, under the same names, an index is built by one sort and a key checked by one join.
    All inside the caller's transaction: a rollback restores them as they were.
    """
    cr.execute(
        SQL(
            """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                 FROM pg_constraint
                WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])
             ORDER BY conrelid, conname""",
            tables,
        )
    )
    keys = cr.fetchall()
    cr.execute(
        SQL(
            """SELECT index.indexrelid::regclass::text, pg_get_indexdef(index.indexrelid)
                 FROM pg_index index
                WHERE index.indrelid = ANY(%s::regclass[])
                  AND NOT index.indisprimary AND NOT index.indisunique
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = index.indexrelid)
             ORDER BY 1""",
            tables,
        )
    )
    indexes = cr.fetchall()
    for table, name, _definition in keys:
        cr.execute(SQL("ALTER TABLE %s DROP CONSTRAINT %s", SQL.identifier(table), SQL.identifier(name)))
    for name, _definition in indexes:
        cr.execute(SQL("DROP INDEX %s", SQL.identifier(name)))
    yield
    # Index builds sort in memory with room to do so (for this transaction only).
    cr.execute(SQL("SET LOCAL maintenance_work_mem = %s", "256MB"))
    # The definitions are PostgreSQL's own text of its catalog entries (no data, no parameters): an
    # index's is a whole CREATE INDEX statement, run as such (it may hold a '%' in a LIKE pattern).
    for _name, definition in indexes:
        cr.execute(definition)
    for table, name, definition in keys:
        cr.execute(
            SQL("ALTER TABLE %s ADD CONSTRAINT %s %s", SQL.identifier(table), SQL.identifier(name), SQL(definition))
        )


def _order_numbers(book, setup):
    """Each order's sequence slot (1-based) and number, consecutive in date order per sequence.

    Returns ([(sequence, first number, count)], slots, numbers).
    """
    company_sequence = [c.sequence for c in setup.companies]
    sequences = list(dict.fromkeys(company_sequence))
    slot_of_company = np.array([sequences.index(s) + 1 for s in company_sequence], np.int16)
    slot = slot_of_company[book["company"]]
    number = np.zeros(len(slot), np.int32)
    allocated = []
    for index, sequence in enumerate(sequences, start=1):
        mine = slot == index
        start = sequence.number_next_actual
        number[mine] = start + np.arange(np.count_nonzero(mine))
        allocated.append((sequence, start, int(np.count_nonzero(mine))))
    return allocated, slot, number


# numpy dtype -> (PostgreSQL type, big-endian binary layout)
BINARY_TYPES = {
    "i2": ("int2", ">i2"),
    "i4": ("int4", ">i4"),
    "i8": ("int8", ">i8"),
    "f8": ("float8", ">f8"),
    "M8[us]": ("timestamp", ">i8"),
    "M8[D]": ("date", ">i4"),
}


def _copy_to_temp_table(cr, table, columns):
    """Create a temporary table typed after the numpy ``columns`` and fill it with binary COPY.

    Binary COPY of fixed-width numbers is built by numpy in one pass: no text formatting or
    parsing of millions of values on either side.
    """
    types = {name: BINARY_TYPES[values.dtype.str[1:]] for name, values in columns.items()}
    cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(table)))
    definition = SQL(", ").join(SQL("%s %s", SQL.identifier(name), SQL(pg)) for name, (pg, _) in types.items())
    cr.execute(SQL("CREATE TEMP TABLE %s (%s) ON COMMIT DROP", SQL.identifier(table), definition))
    copy = SQL(
        "COPY %s (%s) FROM STDIN WITH (FORMAT binary)",
        SQL.identifier(table),
        SQL(", ").join(map(SQL.identifier, columns)),
    )
    total = len(next(iter(columns.values())))
    for begin in range(0, total, COPY_CHUNK_ROWS):
        chunk = {name: values[begin : begin + COPY_CHUNK_ROWS] for name, values in columns.items()}
        cr._obj.copy_expert(copy.code, io.BytesIO(_binary_copy_payload(chunk, types)))


def _binary_copy_payload(columns, types):
    """PostgreSQL's binary COPY format: header, rows of (field count, then length + value per field), trailer."""
    layout = [("field_count", ">i2")]
    for index, (_pg, binary) in enumerate(types.values()):
        layout += [(f"length{index}", ">i4"), (f"value{index}", binary)]
    rows = np.zeros(len(next(iter(columns.values()))), np.dtype(layout))
    rows["field_count"] = len(columns)
    for index, values in enumerate(columns.values()):
        if values.dtype.kind == "M":
            # PostgreSQL counts dates and timestamps from 2000-01-01.
            values = values - (PG_EPOCH_DAY if values.dtype == np.dtype("M8[D]") else PG_EPOCH_US)
            values = values.astype(np.int64)
        rows[f"length{index}"] = rows.dtype[f"value{index}"].itemsize
        rows[f"value{index}"] = values
    return b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0) + rows.tobytes() + struct.pack(">h", -1)


def _sequence_parts(sequences):
    prefixes, suffixes = zip(*(s._get_prefix_suffix() for s, _start, _count in sequences), strict=True)
    return {
        "prefixes": list(prefixes),
        "suffixes": list(suffixes),
        "paddings": [s.padding for s, _start, _count in sequences],
    }


def _insert_orders_query(setup, sequences):
    """demo_order -> sale_order with every column the ORM fills on create (and confirm)."""
    companies = [c.record for c in setup.companies]
    return SQL(
        """
        INSERT INTO sale_order (
            id, name, partner_id, partner_invoice_id, partner_shipping_id, company_id, currency_id,
            pricelist_id, user_id, team_id, date_order, state, invoice_status,
            amount_untaxed, amount_tax, amount_total, currency_rate, validity_date, locked,
            require_signature, require_payment, prepayment_percent,
            create_uid, create_date, write_uid, write_date)
        SELECT o.id,
               (%(prefixes)s::varchar[])[o.sequence_slot]
               || lpad(o.number::text, greatest((%(paddings)s::int[])[o.sequence_slot], length(o.number::text)), '0')
               || (%(suffixes)s::varchar[])[o.sequence_slot],
               o.partner_id, o.invoice_id, o.shipping_id, o.company_id, o.currency_id,
               o.pricelist_id, o.user_id, o.team_id, o.date_order,
               (%(states)s::varchar[])[o.state],
               CASE WHEN o.state = %(sale)s THEN 'to invoice' ELSE 'no' END,
               round(o.amount_cents / 100.0, 2), 0, round(o.amount_cents / 100.0, 2), o.currency_rate,
               CASE WHEN (%(validity)s::int[])[o.company_slot] > 0
                    THEN o.local_day + (%(validity)s::int[])[o.company_slot] END,
               FALSE,
               (%(signature)s::bool[])[o.company_slot], (%(payment)s::bool[])[o.company_slot],
               (%(prepayment)s::float8[])[o.company_slot],
               o.user_id, o.date_order, o.user_id, o.date_order
          FROM demo_order o
        """,
        states=list(STATES),
        sale=STATE["sale"],
        validity=[c.quotation_validity_days for c in companies],
        signature=[bool(c.portal_confirmation_sign) for c in companies],
        payment=[bool(c.portal_confirmation_pay) for c in companies],
        prepayment=[c.prepayment_percent for c in companies],
        **_sequence_parts(sequences),
    )


def _insert_lines_query(setup):
    """demo_order_line -> sale_order_line; untaxed lines, so total = subtotal and tax = 0."""
    return SQL(
        """
        INSERT INTO sale_order_line (
            order_id, sequence, company_id, currency_id, order_partner_id, salesman_id,
            product_id, product_uom, customer_lead, name, state, qty_delivered_method, invoice_status,
            product_uom_qty, price_unit, technical_price_unit, discount,
            price_subtotal, price_total, price_tax, price_reduce_taxexcl, price_reduce_taxinc,
            qty_delivered, qty_invoiced, qty_to_invoice, untaxed_amount_invoiced, untaxed_amount_to_invoice,
            product_packaging_qty, create_uid, create_date, write_uid, write_date)
        SELECT l.order_id, l.sequence, o.company_id, o.currency_id, o.partner_id, o.user_id,
               (%(products)s::int[])[l.product_slot], (%(uoms)s::int[])[l.product_slot],
               (%(leads)s::float8[])[l.product_slot], (%(names)s::text[])[l.product_slot],
               (%(states)s::varchar[])[o.state], 'manual',
               CASE WHEN o.state = %(sale)s THEN 'to invoice' ELSE 'no' END,
               l.quantity, round(l.price_cents / 100.0, 2), l.price_cents / 100.0, 0,
               round(l.quantity * l.price_cents / 100.0, 2), round(l.quantity * l.price_cents / 100.0, 2), 0,
               round(l.price_cents / 100.0, 2), round(l.price_cents / 100.0, 2),
               0, 0, CASE WHEN o.state = %(sale)s THEN l.quantity ELSE 0 END,
               0, CASE WHEN o.state = %(sale)s THEN round(l.quantity * l.price_cents / 100.0, 2) ELSE 0 END,
               0, o.user_id, o.date_order, o.user_id, o.date_order
          FROM demo_order_line l
          JOIN demo_order o ON o.id = l.order_id
        """,
        products=[int(i) for i in setup.product_ids],
        uoms=setup.product_uoms,
        leads=[float(lead) for lead in setup.product_leads],
        names=setup.product_names,
        states=list(STATES),
        sale=STATE["sale"],
    )


# ----------------------------------------------------------------------------- command line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="database with customer_churn_cockpit installed")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=None, help="confirmed orders to reach (default: rhythms)")
    parser.add_argument("--months", type=int, default=18)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
    parser.add_argument("--recompute", action="store_true", help="compute the churn figures afterwards")
    args = parser.parse_args(argv)
    conf = os.environ.get("COCKPIT_ODOO_CONF")
    if not conf or not os.path.exists(conf):
        parser.error("COCKPIT_ODOO_CONF must point at the Odoo configuration (run it through ./cockpit)")
    odoo.tools.config.parse_config(["-c", conf])
    registry = odoo.modules.registry.Registry(args.db)
    started = time.perf_counter()
    with registry.cursor() as cr:  # commits when the block ends without error
        env = api.Environment(cr, SUPERUSER_ID, {})
        stats = generate(env, args.customers, args.months, args.seed, args.as_of, args.orders)
        print(json.dumps(stats, indent=2, default=str, ensure_ascii=False))
        # The data stands on its own: a failing recompute must not take it back.
        cr.commit()
        print(f"generated and committed: {time.perf_counter() - started:.1f}s")
        if args.recompute:
            recompute_started = time.perf_counter()
            summary = env["customer.churn.engine"].recompute(None, args.as_of)
            print(json.dumps(summary, indent=2, default=str, ensure_ascii=False))
            print(f"recompute: {time.perf_counter() - recompute_started:.1f}s")
    print(f"total (with commit): {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    sys.exit(main())
