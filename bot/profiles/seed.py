"""Demo customers for Harbor & Pine, so every account and order flow can be tried at once.

Three ready-made customers have fixed data the README points to; about sixty more are
generated from random.Random(42), so every seed is identical, with dates relative to
`today` so the demo never looks stale. Orders follow docs/demo-store.md: their status
history, shipment, invoice and refunds agree with their status.
"""

from __future__ import annotations

import random
import string
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.profiles.models import (
    Address,
    Carrier,
    Customer,
    DeliveryMethod,
    Invoice,
    Order,
    OrderItem,
    OrderStatus,
    OrderStatusEvent,
    PaymentKind,
    PaymentMethod,
    Refund,
    RefundStatus,
    Shipment,
    Tier,
)

READY_MADE: list[dict[str, str]] = [
    {"id": "C1001", "name": "Maya Chen", "email": "maya.chen@example.com",
     "try": "order #10482 (shipped yesterday, UPS), cancel #10511 (paid, free), "
            "invoice for #10377"},
    {"id": "C1002", "name": "Jonas Weber", "email": "jonas.weber@example.com",
     "try": "VIP: cancel #20931 (packed, $5 fee), return #20877 (40 days: too late), "
            "refund of #20950 (requested)"},
    {"id": "C1003", "name": "Priya Nair", "email": "priya.nair@example.com",
     "try": "#31005 (cancelled), refund of #31022 (returned, refunded)"},
]

GENERATED_CUSTOMERS = 57
VIP_SHARE = 0.1

# (sku, name, unit price in cents)
PRODUCTS: list[tuple[str, str, int]] = [
    ("HM-CNDL-01", "Cedar & Sea Salt Candle", 2400),
    ("HM-THRW-02", "Chunky Knit Throw Blanket", 6900),
    ("HM-VASE-03", "Stoneware Bud Vase", 1800),
    ("HM-FRME-04", "Oak Picture Frame, 8x10", 2200),
    ("HM-BSKT-05", "Seagrass Storage Basket", 3400),
    ("HM-CUSH-06", "Linen Cushion Cover", 2800),
    ("KT-SKLT-10", "Cast Iron Skillet, 10 in", 4500),
    ("KT-KNFE-11", "Chef's Knife, 8 in", 7900),
    ("KT-BORD-12", "Walnut Cutting Board", 5200),
    ("KT-MUG-13", "Harbor Stoneware Mug", 1600),
    ("KT-PRSS-14", "French Press, 1 l", 3900),
    ("KT-TOWL-15", "Waffle Tea Towels, set of 3", 1900),
    ("KT-OVEN-16", "Enamel Dutch Oven, 5.5 qt", 12900),
    ("BD-SHTS-20", "Percale Sheet Set, Queen", 11900),
    ("BD-DUVT-21", "Linen Duvet Cover, Queen", 16900),
    ("BD-PILW-22", "Down-Alternative Pillow", 3900),
    ("BD-QILT-23", "Cotton Quilt, King", 14900),
    ("CL-SWTR-30", "Merino Crew Sweater", 8900),
    ("CL-TEE-31", "Organic Cotton Tee", 2600),
    ("CL-RAIN-32", "Harbor Rain Jacket", 12900),
    ("CL-SCRF-33", "Wool Scarf", 3900),
    ("CL-SOCK-34", "Wool Socks, 3 pairs", 2400),
    ("CL-ROBE-35", "Waffle Bathrobe", 7400),
    ("EL-HDPH-40", "Wireless Over-Ear Headphones", 9900),
    ("EL-BUDS-41", "Wireless Earbuds", 6900),
    ("EL-CHRG-42", "USB-C Fast Charger, 30 W", 2900),
    ("EL-PLUG-43", "Smart Plug, 2-pack", 2900),
    ("EL-CBLE-44", "Braided USB-C Cable, 2 m", 1500),
    ("EL-BATT-45", "Power Bank, 10,000 mAh", 3900),
]
_PRODUCTS_BY_SKU = {sku: (name, price) for sku, name, price in PRODUCTS}

# Standard is free over $50. International has no price in docs/demo-store.md; $24.95 here.
SHIPPING_CENTS = {DeliveryMethod.standard: 495, DeliveryMethod.express: 1295,
                  DeliveryMethod.next_day: 1995, DeliveryMethod.pickup: 0,
                  DeliveryMethod.international: 2495}
FREE_STANDARD_OVER_CENTS = 5000
TRANSIT_DAYS = {DeliveryMethod.standard: (3, 5), DeliveryMethod.express: (1, 2),
                DeliveryMethod.next_day: (1, 1), DeliveryMethod.pickup: (3, 5),
                DeliveryMethod.international: (7, 14)}

FIRST_NAMES = [
    "Olivia", "Liam", "Sofia", "Mateo", "Aisha", "Noah", "Hana", "Ethan", "Camila", "Lucas",
    "Amara", "Daniel", "Yuki", "Gabriel", "Fatima", "Samuel", "Leila", "Oliver", "Zoë",
    "Diego", "Ingrid", "Kwame", "Rosa", "Tomás", "Mei", "Aaron", "Nadia", "Felix", "Chloe",
    "Ravi", "Elena", "Marcus", "Ana", "Hugo", "Imani", "Sven", "Lucía", "Omar", "Grace",
    "Kenji", "Maria", "Theo", "Ava", "Jamal", "Freya", "Arjun", "Isabel", "Connor",
    "Siobhán", "Malik",
]
LAST_NAMES = [
    "Johnson", "García", "Okafor", "Kim", "Müller", "Rossi", "Nguyen", "Patel", "O'Brien",
    "Silva", "Kowalski", "Andersson", "Haddad", "Tanaka", "Martin", "Dubois", "Lopez",
    "Cohen", "Mensah", "Novak", "Schmidt", "Williams", "Hernández", "Park", "Ivanova",
    "Jensen", "Moreau", "Suzuki", "Brown", "Costa", "Reyes", "Fischer", "Walsh", "Ahmed",
    "Santos", "Lindqvist", "Murphy", "Adeyemi", "Bianchi", "Chowdhury", "Yilmaz", "Taylor",
    "Davis", "Wright", "Nakamura", "Fernandes", "Larsen", "Romero", "Baker", "Sato",
]


@dataclass(frozen=True)
class _Place:
    city: str
    postcode: str
    country: str
    streets: tuple[str, ...]
    area_code: str | None = None  # for a fictional +1 AAA 555-01XX phone number


US_PLACES = [
    _Place("Portland", "97209", "US", ("NW Lovejoy Street", "SE Hawthorne Blvd"), "503"),
    _Place("Austin", "78704", "US", ("South Congress Ave", "Barton Springs Rd"), "512"),
    _Place("Chicago", "60614", "US", ("N Halsted Street", "W Armitage Ave"), "312"),
    _Place("Denver", "80206", "US", ("E 17th Ave", "Josephine Street"), "303"),
    _Place("Boston", "02116", "US", ("Newbury Street", "Beacon Street"), "617"),
    _Place("Seattle", "98103", "US", ("Fremont Ave N", "N 45th Street"), "206"),
    _Place("Atlanta", "30306", "US", ("N Highland Ave", "Virginia Ave NE"), "404"),
    _Place("Minneapolis", "55408", "US", ("Hennepin Ave", "Lyndale Ave S"), "612"),
    _Place("San Diego", "92104", "US", ("30th Street", "University Ave"), "619"),
    _Place("Brooklyn", "11215", "US", ("7th Avenue", "Prospect Park West"), "718"),
    _Place("Philadelphia", "19147", "US", ("South Street", "Christian Street"), "215"),
    _Place("Nashville", "37206", "US", ("Fatherland Street", "Shelby Ave"), "615"),
    _Place("Raleigh", "27604", "US", ("Oakwood Ave", "N Person Street"), "919"),
    _Place("Madison", "53703", "US", ("Williamson Street", "E Johnson Street"), "608"),
    _Place("Savannah", "31401", "US", ("Abercorn Street", "E Jones Street"), "912"),
    _Place("Burlington", "05401", "US", ("Church Street", "Pearl Street"), "802"),
]
INTERNATIONAL_PLACES = [
    _Place("Toronto", "M6J 1E6", "CA", ("Queen Street West", "Ossington Ave"), "416"),
    _Place("London", "N1 8QH", "GB", ("Upper Street", "Liverpool Road")),
    _Place("Berlin", "10119", "DE", ("Torstraße", "Kastanienallee")),
    _Place("Amsterdam", "1016 GV", "NL", ("Prinsengracht", "Herengracht")),
    _Place("Dublin", "D02 YX88", "IE", ("Camden Street", "Leeson Street")),
    _Place("Sydney", "2010", "AU", ("Crown Street", "Oxford Street")),
]
LANGUAGES = {"DE": "de", "NL": "nl"}
PICKUP_PARTNERS = ["Corner Market", "Main Street Pharmacy", "Bayside Hardware", "Parcel Point"]
CARD_BRANDS = ["Visa", "Mastercard", "American Express", "Discover"]
RETURN_REASONS = ["Doesn't fit", "Arrived damaged", "Not as pictured", "Changed my mind",
                  "Wrong colour", "Ordered two by mistake", "Quality not as expected"]

_PATH = [OrderStatus.placed, OrderStatus.paid, OrderStatus.packed, OrderStatus.shipped,
         OrderStatus.delivered]
_STATUS_WEIGHTS = {OrderStatus.placed: 5, OrderStatus.paid: 7, OrderStatus.packed: 6,
                   OrderStatus.shipped: 10, OrderStatus.delivered: 50,
                   OrderStatus.cancelled: 10, OrderStatus.returned: 12}
_MINUTE = timedelta(minutes=1)
_DAY_MINUTES = 24 * 60

_Event = tuple[OrderStatus, datetime]
_RefundPlan = tuple[RefundStatus, str, datetime, datetime | None]  # status, reason, created, done


@dataclass(frozen=True)
class SeedSummary:
    customers: int
    orders: int
    by_status: dict[str, int]
    created: bool


def seed(sessions: sessionmaker[Session], today: date | None = None) -> SeedSummary:
    """Add the demo customers unless C1001 is already there; report what the database holds."""
    today = today or date.today()
    with sessions.begin() as session:
        created = session.get(Customer, "C1001") is None
        if created:
            session.add_all(build_demo_customers(today))
    with sessions() as session:
        by_status = dict(session.execute(
            select(Order.status, func.count()).group_by(Order.status)).tuples().all())
        return SeedSummary(
            customers=session.scalar(select(func.count()).select_from(Customer)) or 0,
            orders=sum(by_status.values()),
            by_status={status.value: by_status[status] for status in OrderStatus
                       if status in by_status},
            created=created,
        )


def build_demo_customers(today: date) -> list[Customer]:
    """The ready-made customers, then the generated ones; unsaved, so tests can compare."""
    rng = random.Random(42)
    anchor = datetime.combine(today, time(6, 0), tzinfo=UTC)
    customers = _ready_made(today)
    reserved = {order.id for customer in customers for order in customer.orders}
    numbers = [n for n in range(10001, 11000) if n not in reserved]
    rng.shuffle(numbers)
    order_numbers = iter(numbers)
    pairs = rng.sample(range(len(FIRST_NAMES) * len(LAST_NAMES)), GENERATED_CUSTOMERS)
    vips = set(rng.sample(range(GENERATED_CUSTOMERS), round(GENERATED_CUSTOMERS * VIP_SHARE)))
    forced = iter(OrderStatus)  # the first generated orders take every status once
    for index, pair in enumerate(pairs):
        first, last = FIRST_NAMES[pair // len(LAST_NAMES)], LAST_NAMES[pair % len(LAST_NAMES)]
        customers.append(_generated_customer(
            rng, anchor, f"C{1004 + index}", first, last, index in vips, order_numbers, forced))
    return customers


# --- the ready-made customers ------------------------------------------------------------

def _ready_made(today: date) -> list[Customer]:
    """Fixed data that the README and the tests rely on; change both together."""
    def at(days_ago: int, hour: int, minute: int) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(hour, minute),
                                tzinfo=UTC)

    placed, paid, packed, shipped, delivered, cancelled, returned = OrderStatus
    day = timedelta(days=1)

    maya_home = Address(label="Home", line1="1420 NW Lovejoy Street", line2="Apt 5C",
                        city="Portland", postcode="97209", country="US", is_default=True)
    maya = Customer(
        id="C1001", first_name="Maya", last_name="Chen", email="maya.chen@example.com",
        phone="+1 503 555-0147", tier=Tier.standard, marketing_consent=True, newsletter=True,
        created_at=at(412, 17, 3),
        addresses=[maya_home, Address(label="Work", line1="800 SW Broadway", city="Portland",
                                      postcode="97205", country="US", is_default=False)],
        payment_methods=[_card("Visa", "4242", "08/28", default=True),
                         PaymentMethod(kind=PaymentKind.paypal, is_default=False)],
        orders=[
            _order(10482, DeliveryMethod.express, _format(maya_home),
                   [("EL-HDPH-40", 1), ("EL-CHRG-42", 1)],
                   [(placed, at(2, 19, 42)), (paid, at(2, 19, 43)), (packed, at(1, 8, 30)),
                    (shipped, at(1, 15, 10))],
                   expected=today + day, tracking=(Carrier.UPS, "1Z999AA10123456784")),
            _order(10511, DeliveryMethod.standard, _format(maya_home),
                   [("BD-DUVT-21", 1), ("HM-CUSH-06", 2)],
                   [(placed, at(0, 5, 12)), (paid, at(0, 5, 13))], expected=today + 6 * day),
            _order(10377, DeliveryMethod.standard, _format(maya_home),
                   [("KT-SKLT-10", 1), ("KT-MUG-13", 2)],
                   [(placed, at(15, 20, 5)), (paid, at(15, 20, 6)), (packed, at(14, 10, 0)),
                    (shipped, at(14, 16, 30)), (delivered, at(10, 13, 45))],
                   expected=today - 9 * day, tracking=(Carrier.USPS, "9400111899223344556677")),
        ],
    )

    jonas_home = Address(label="Home", line1="2231 N Halsted Street", city="Chicago",
                         postcode="60614", country="US", is_default=True)
    jonas = Customer(
        id="C1002", first_name="Jonas", last_name="Weber", email="jonas.weber@example.com",
        phone="+1 312 555-0183", tier=Tier.vip, marketing_consent=False, newsletter=False,
        created_at=at(903, 11, 48), addresses=[jonas_home],
        payment_methods=[_card("American Express", "1005", "11/27", default=True),
                         PaymentMethod(kind=PaymentKind.klarna, is_default=False)],
        orders=[
            _order(20931, DeliveryMethod.next_day, _format(jonas_home),
                   [("CL-SWTR-30", 1), ("CL-SCRF-33", 1)],
                   [(placed, at(1, 13, 5)), (paid, at(1, 13, 6)), (packed, at(0, 4, 40))],
                   expected=today + day),
            _order(20877, DeliveryMethod.standard, _format(jonas_home), [("KT-OVEN-16", 1)],
                   [(placed, at(45, 9, 20)), (paid, at(45, 9, 21)), (packed, at(44, 11, 0)),
                    (shipped, at(44, 17, 45)), (delivered, at(40, 14, 10))],
                   expected=today - 39 * day, tracking=(Carrier.UPS, "1Z7E29X40312874521")),
            _order(20950, DeliveryMethod.express, _format(jonas_home), [("EL-BUDS-41", 1)],
                   [(placed, at(6, 18, 0)), (paid, at(6, 18, 1)), (packed, at(5, 9, 15)),
                    (shipped, at(5, 14, 0)), (delivered, at(3, 11, 30))],
                   expected=today - 3 * day, tracking=(Carrier.UPS, "1Z7E29X40398123456"),
                   refunds=[(RefundStatus.requested, "The left earbud does not charge.",
                             at(1, 19, 20), None)]),
        ],
    )

    priya_home = Address(label="Home", line1="1807 South Congress Ave", line2="Unit 12",
                         city="Austin", postcode="78704", country="US", is_default=True)
    priya = Customer(
        id="C1003", first_name="Priya", last_name="Nair", email="priya.nair@example.com",
        phone=None, tier=Tier.standard, marketing_consent=True, newsletter=True,
        created_at=at(230, 8, 15), addresses=[priya_home],
        payment_methods=[_card("Mastercard", "5454", "03/29", default=True),
                         PaymentMethod(kind=PaymentKind.gift_card, last4="7731",
                                       is_default=False)],
        orders=[
            _order(31005, DeliveryMethod.standard, _format(priya_home), [("BD-SHTS-20", 1)],
                   [(placed, at(20, 10, 0)), (paid, at(20, 10, 2)), (cancelled, at(20, 15, 30))],
                   expected=None),
            _order(31022, DeliveryMethod.standard, _format(priya_home), [("CL-RAIN-32", 1)],
                   [(placed, at(38, 8, 45)), (paid, at(38, 8, 46)), (packed, at(37, 10, 20)),
                    (shipped, at(37, 16, 0)), (delivered, at(33, 12, 5)),
                    (returned, at(18, 11, 30))],
                   expected=today - 33 * day, tracking=(Carrier.USPS, "9400111899560012345678"),
                   refunds=[(RefundStatus.refunded, "Too small; I need a size up.",
                             at(30, 9, 0), at(14, 10, 0))]),
        ],
    )
    return [maya, jonas, priya]


# --- generated customers -----------------------------------------------------------------

def _generated_customer(rng: random.Random, anchor: datetime, customer_id: str, first: str,
                        last: str, vip: bool, order_numbers: Iterator[int],
                        forced: Iterator[OrderStatus]) -> Customer:
    international = rng.random() < 0.12
    place = rng.choice(INTERNATIONAL_PLACES if international else US_PLACES)
    labels = ["Home", "Work", "Parents"][:rng.choice([1, 1, 2, 3])]
    addresses = [_address(rng, place, label, is_default=index == 0)
                 for index, label in enumerate(labels)]
    newsletter = rng.random() < 0.35
    orders = [_generated_order(rng, anchor, next(order_numbers), next(forced, None), addresses,
                               international)
              for _ in range(rng.choices([1, 2, 3, 4, 5], weights=[25, 30, 22, 13, 10])[0])]
    first_order = min(order.placed_at for order in orders)
    return Customer(
        id=customer_id, first_name=first, last_name=last,
        email=f"{_email_part(first)}.{_email_part(last)}@example.com",
        phone=(f"+1 {place.area_code} 555-01{rng.randint(0, 99):02d}"
               if place.area_code and rng.random() < 0.75 else None),
        tier=Tier.vip if vip else Tier.standard,
        language=LANGUAGES.get(place.country, "en"),
        marketing_consent=newsletter or rng.random() < 0.2, newsletter=newsletter,
        created_at=first_order - timedelta(days=rng.randint(1, 600),
                                           minutes=rng.randint(0, 1439)),
        addresses=addresses, payment_methods=_payment_methods(rng, anchor.year), orders=orders,
    )


def _address(rng: random.Random, place: _Place, label: str, is_default: bool) -> Address:
    street = rng.choice(place.streets)
    if place.country in ("DE", "NL"):
        line1 = f"{street} {rng.randint(1, 180)}"
    else:
        line1 = f"{rng.randint(2, 2400)} {street}"
    line2 = f"Apt {rng.randint(1, 30)}{rng.choice('ABCD')}" if rng.random() < 0.3 else None
    return Address(label=label, line1=line1, line2=line2, city=place.city,
                   postcode=place.postcode, country=place.country, is_default=is_default)


def _payment_methods(rng: random.Random, year: int) -> list[PaymentMethod]:
    kinds = [rng.choices([PaymentKind.card, PaymentKind.paypal, PaymentKind.klarna],
                         weights=[70, 20, 10])[0]]
    for _ in range(rng.choices([0, 1, 2], weights=[45, 40, 15])[0]):
        kind = rng.choice(list(PaymentKind))
        if kind == PaymentKind.card or kind not in kinds:
            kinds.append(kind)
    methods = []
    for index, kind in enumerate(kinds):
        if kind == PaymentKind.card:
            expiry = f"{rng.randint(1, 12):02d}/{(year + rng.randint(1, 5)) % 100:02d}"
            methods.append(_card(rng.choices(CARD_BRANDS, weights=[50, 30, 12, 8])[0],
                                 f"{rng.randint(0, 9999):04d}", expiry, default=index == 0))
        else:
            last4 = f"{rng.randint(0, 9999):04d}" if kind == PaymentKind.gift_card else None
            methods.append(PaymentMethod(kind=kind, last4=last4, is_default=index == 0))
    return methods


def _generated_order(rng: random.Random, anchor: datetime, number: int,
                     status: OrderStatus | None, addresses: Sequence[Address],
                     international: bool) -> Order:
    status = status or rng.choices(list(_STATUS_WEIGHTS),
                                   weights=list(_STATUS_WEIGHTS.values()))[0]
    if international:
        method = DeliveryMethod.international
    else:
        method = rng.choices([DeliveryMethod.standard, DeliveryMethod.express,
                              DeliveryMethod.next_day, DeliveryMethod.pickup],
                             weights=[55, 20, 10, 15])[0]
    address = addresses[0] if rng.random() < 0.8 else rng.choice(addresses)
    if method == DeliveryMethod.pickup:
        ship_to = (f"Pickup point: {rng.choice(PICKUP_PARTNERS)}, {address.city} "
                   f"{address.postcode}, {address.country}")
    else:
        ship_to = _format(address)
    items = [(sku, rng.choices([1, 2, 3], weights=[80, 15, 5])[0])
             for sku, _, _ in rng.sample(PRODUCTS, rng.choices([1, 2, 3, 4],
                                                               weights=[40, 35, 17, 8])[0])]
    events = _timeline(rng, anchor, status, method)
    times = dict(events)
    slowest = TRANSIT_DAYS[method][1]
    if OrderStatus.shipped in times:
        expected = times[OrderStatus.shipped].date() + timedelta(days=slowest)
    elif status == OrderStatus.cancelled:
        expected = None
    else:
        expected = times[OrderStatus.placed].date() + timedelta(days=1 + slowest)
    tracking = _tracking(rng, method) if OrderStatus.shipped in times else None
    return _order(number, method, ship_to, items, events, expected, tracking,
                  _refunds(rng, anchor, times))


def _timeline(rng: random.Random, anchor: datetime, status: OrderStatus,
              method: DeliveryMethod) -> list[_Event]:
    """Status events ending before `anchor`: the age of the last one, then the gaps back."""
    fastest, slowest = TRANSIT_DAYS[method]
    if status == OrderStatus.cancelled:
        chain = _PATH[:rng.randint(1, 3)] + [OrderStatus.cancelled]
    elif status == OrderStatus.returned:
        chain = _PATH + [OrderStatus.returned]
    else:
        chain = _PATH[:_PATH.index(status) + 1]
    gaps = {OrderStatus.paid: (1, 15), OrderStatus.packed: (6 * 60, 26 * 60),
            OrderStatus.shipped: (2 * 60, 8 * 60),
            OrderStatus.delivered: (fastest * _DAY_MINUTES - 600, slowest * _DAY_MINUTES),
            OrderStatus.returned: (6 * _DAY_MINUTES, 20 * _DAY_MINUTES),
            OrderStatus.cancelled: (30, 30 * 60)}
    ages = {OrderStatus.placed: (10, 300), OrderStatus.paid: (30, 20 * 60),
            OrderStatus.packed: (60, 10 * 60),
            OrderStatus.shipped: (120, fastest * _DAY_MINUTES - 60),  # still on its way
            OrderStatus.delivered: (600, 150 * _DAY_MINUTES),
            OrderStatus.returned: (_DAY_MINUTES, 200 * _DAY_MINUTES),
            OrderStatus.cancelled: (60, 200 * _DAY_MINUTES)}
    minutes = [0] + [rng.randint(*gaps[step]) for step in chain[1:]]
    start = anchor - rng.randint(*ages[chain[-1]]) * _MINUTE - sum(minutes) * _MINUTE
    events, moment = [], start
    for step, gap in zip(chain, minutes):
        moment += gap * _MINUTE
        events.append((step, moment))
    return events


def _refunds(rng: random.Random, anchor: datetime,
             times: dict[OrderStatus, datetime]) -> list[_RefundPlan]:
    """Refunds agree with the order: returned ones were refunded (or soon will be); delivered
    ones may have a return under way inside the 30 days, or a rejected one."""
    delivered_at = times.get(OrderStatus.delivered)
    if delivered_at is None:
        return []
    reason = rng.choice(RETURN_REASONS)
    returned_at = times.get(OrderStatus.returned)
    if returned_at is not None:  # at least 6 days after delivery
        created = delivered_at + rng.randint(_DAY_MINUTES, 5 * _DAY_MINUTES) * _MINUTE
        if anchor - returned_at < timedelta(days=7):
            return [(RefundStatus.approved, reason, created, None)]
        return [(RefundStatus.refunded, reason, created,
                 returned_at + timedelta(days=rng.randint(2, 6)))]
    in_window = anchor - delivered_at <= timedelta(days=30)
    if rng.random() >= (0.5 if in_window else 0.08):
        return []
    window_minutes = min(anchor - delivered_at, timedelta(days=30)) // _MINUTE
    created = delivered_at + rng.randint(60, window_minutes - 30) * _MINUTE
    status = (rng.choice([RefundStatus.requested, RefundStatus.approved, RefundStatus.rejected])
              if in_window else RefundStatus.rejected)
    if status != RefundStatus.rejected:
        return [(status, reason, created, None)]
    return [(status, reason, created, min(created + timedelta(hours=rng.randint(4, 48)), anchor))]


def _tracking(rng: random.Random, method: DeliveryMethod) -> tuple[Carrier, str]:
    if method == DeliveryMethod.international:
        carrier = Carrier.DHL
    elif method in (DeliveryMethod.express, DeliveryMethod.next_day):
        carrier = Carrier.UPS
    else:
        carrier = rng.choice([Carrier.UPS, Carrier.USPS])
    def chars(alphabet: str, count: int) -> str:
        return "".join(rng.choices(alphabet, k=count))

    if carrier == Carrier.UPS:  # 1Z, shipper, service, package: 18 characters
        shipper = chars(string.ascii_uppercase + string.digits, 6)
        number = f"1Z{shipper}03{chars(string.digits, 8)}"
    elif carrier == Carrier.USPS:
        number = "9400" + chars(string.digits, 18)
    else:
        number = chars(string.digits, 10)
    return carrier, number


# --- shared builders ---------------------------------------------------------------------

def _order(number: int, method: DeliveryMethod, ship_to: str, items: Sequence[tuple[str, int]],
           events: Sequence[_Event], expected: date | None,
           tracking: tuple[Carrier, str] | None = None,
           refunds: Sequence[_RefundPlan] = ()) -> Order:
    """An order whose shipment, invoice and total follow from its items and status events."""
    subtotal = sum(_PRODUCTS_BY_SKU[sku][1] * quantity for sku, quantity in items)
    free = method == DeliveryMethod.standard and subtotal > FREE_STANDARD_OVER_CENTS
    total = subtotal + (0 if free else SHIPPING_CENTS[method])
    times = dict(events)
    order = Order(
        id=number, status=events[-1][0], placed_at=times[OrderStatus.placed],
        delivery_method=method, expected_delivery=expected, shipping_address=ship_to,
        total_cents=total, currency="USD",
        items=[OrderItem(sku=sku, name=_PRODUCTS_BY_SKU[sku][0], quantity=quantity,
                         unit_price_cents=_PRODUCTS_BY_SKU[sku][1]) for sku, quantity in items],
        status_history=[OrderStatusEvent(status=status, at=moment) for status, moment in events],
        refunds=[Refund(amount_cents=total, status=status, reason=reason, created_at=created,
                        completed_at=done) for status, reason, created, done in refunds],
    )
    shipped_at = times.get(OrderStatus.shipped)
    if shipped_at is not None and tracking is not None:
        carrier, tracking_number = tracking
        order.shipment = Shipment(carrier=carrier, tracking_number=tracking_number,
                                  shipped_at=shipped_at,
                                  delivered_at=times.get(OrderStatus.delivered))
        order.invoice = Invoice(number=f"INV-{shipped_at.year}-{number}", issued_at=shipped_at,
                                total_cents=total)
    return order


def _card(brand: str, last4: str, expiry: str, default: bool) -> PaymentMethod:
    return PaymentMethod(kind=PaymentKind.card, brand=brand, last4=last4, expiry=expiry,
                         is_default=default)


def _format(address: Address) -> str:
    """One line, as the order confirmation shows it."""
    town = (f"{address.postcode} {address.city}" if address.country in ("DE", "NL")
            else f"{address.city} {address.postcode}")
    return ", ".join(part for part in (address.line1, address.line2, town, address.country)
                     if part)


def _email_part(name: str) -> str:
    """"Siobhán O'Brien" -> "siobhan", "obrien"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(char for char in ascii_name.lower() if char.isalnum() or char == "-")
