"""Seller Center export format: header names, statuses, regions, amount and date patterns."""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

#: Export header (normalised: lower case, single spaces) -> linkkit column.
_HEADER_ALIASES: dict[str, str] = {
    "order id": "order_id",
    "order status": "status_raw",
    "order substatus": "substatus",
    "cancelation/return type": "cancel_return_type",
    "cancellation/return type": "cancel_return_type",
    "normal or pre-order": "order_kind",
    "sku id": "sku_id",
    "seller sku": "seller_sku",
    "product name": "product_name",
    "variation": "variation",
    "quantity": "quantity",
    "sku quantity of return": "quantity_returned",
    "sku unit original price": "unit_original_price",
    "sku subtotal before discount": "subtotal_before_discount",
    "sku platform discount": "platform_discount",
    "sku seller discount": "seller_discount",
    "sku subtotal after discount": "line_amount",
    "shipping fee after discount": "shipping_fee",
    "original shipping fee": "original_shipping_fee",
    "shipping fee seller discount": "shipping_fee_seller_discount",
    "shipping fee platform discount": "shipping_fee_platform_discount",
    "payment platform discount": "payment_platform_discount",
    "taxes": "taxes",
    "order amount": "order_amount",
    "order refund amount": "order_refund_amount",
    "created time": "created_time",
    "paid time": "paid_time",
    "rts time": "rts_time",
    "shipped time": "shipped_time",
    "delivered time": "delivered_time",
    "cancelled time": "cancelled_time",
    "buyer username": "buyer",
    "country": "country",
    "phone #": "phone",
}

#: Export headers that must be present (as Seller Center spells them).
REQUIRED_EXPORT_COLUMNS: tuple[str, ...] = (
    "Order ID",
    "Order Status",
    "Quantity",
    "SKU Subtotal After Discount",
    "Order Amount",
    "Created Time",
    "Paid Time",
)

_LINE_AMOUNTS = (
    "unit_original_price",
    "subtotal_before_discount",
    "platform_discount",
    "seller_discount",
    "line_amount",
)
_ORDER_AMOUNTS = (
    "shipping_fee",
    "original_shipping_fee",
    "shipping_fee_seller_discount",
    "shipping_fee_platform_discount",
    "payment_platform_discount",
    "taxes",
    "order_amount",
    "order_refund_amount",
)
_TIME_COLUMNS = ("created_time", "paid_time", "rts_time", "shipped_time", "delivered_time", "cancelled_time")
_INT_COLUMNS = ("quantity", "quantity_returned")
_LEADING = (
    "shop_id",
    "order_id",
    "line_no",
    "status",
    "status_raw",
    "substatus",
    "cancel_return_type",
    "created_time",
    "paid_time",
    "sku_id",
    "seller_sku",
    "product_name",
    "variation",
    "quantity",
    "line_amount",
    "order_amount",
    "currency",
    "buyer",
    "region",
)

#: Localised order status text (lower case) -> TikTok's API status. Unknown text keeps ``status`` empty.
STATUS_MAP: dict[str, str] = {
    # English (US, GB, SG, MY, PH)
    "unpaid": "UNPAID",
    "on hold": "ON_HOLD",
    "to ship": "AWAITING_SHIPMENT",
    "awaiting shipment": "AWAITING_SHIPMENT",
    "awaiting collection": "AWAITING_COLLECTION",
    "partially shipped": "PARTIALLY_SHIPPING",
    "shipped": "IN_TRANSIT",
    "in transit": "IN_TRANSIT",
    "delivered": "DELIVERED",
    "completed": "COMPLETED",
    "cancelled": "CANCELLED",
    "canceled": "CANCELLED",
    # Spanish (MX, ES)
    "no pagado": "UNPAID",
    "pendiente de pago": "UNPAID",
    "por enviar": "AWAITING_SHIPMENT",
    "enviado": "IN_TRANSIT",
    "en tránsito": "IN_TRANSIT",
    "entregado": "DELIVERED",
    "completado": "COMPLETED",
    "cancelado": "CANCELLED",
    # Indonesian
    "belum dibayar": "UNPAID",
    "perlu dikirim": "AWAITING_SHIPMENT",
    "dikirim": "IN_TRANSIT",
    "dalam pengiriman": "IN_TRANSIT",
    "terkirim": "DELIVERED",
    "selesai": "COMPLETED",
    "dibatalkan": "CANCELLED",
    # Vietnamese
    "chưa thanh toán": "UNPAID",
    "chờ giao hàng": "AWAITING_SHIPMENT",
    "đang giao": "IN_TRANSIT",
    "đã giao": "DELIVERED",
    "đã hoàn thành": "COMPLETED",
    "đã hủy": "CANCELLED",
}

_COUNTRY_REGION = {
    "united states": "US",
    "usa": "US",
    "us": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "gb": "GB",
    "indonesia": "ID",
    "id": "ID",
    "mexico": "MX",
    "méxico": "MX",
    "mx": "MX",
    "vietnam": "VN",
    "viet nam": "VN",
    "philippines": "PH",
    "thailand": "TH",
    "malaysia": "MY",
    "singapore": "SG",
    "spain": "ES",
    "españa": "ES",
    "germany": "DE",
    "deutschland": "DE",
    "france": "FR",
    "italy": "IT",
    "ireland": "IE",
    "japan": "JP",
    "brazil": "BR",
}
#: Region -> (currency, shop time zone used for export timestamps, month-first dates?).
_REGION_FACTS: dict[str, tuple[str, str, bool]] = {
    "US": ("USD", "America/Los_Angeles", True),
    "MX": ("MXN", "America/Mexico_City", True),
    "GB": ("GBP", "Europe/London", False),
    "ID": ("IDR", "Asia/Jakarta", False),
    "VN": ("VND", "Asia/Ho_Chi_Minh", False),
    "PH": ("PHP", "Asia/Manila", False),
    "TH": ("THB", "Asia/Bangkok", False),
    "MY": ("MYR", "Asia/Kuala_Lumpur", False),
    "SG": ("SGD", "Asia/Singapore", False),
    "ES": ("EUR", "Europe/Madrid", False),
    "DE": ("EUR", "Europe/Berlin", False),
    "FR": ("EUR", "Europe/Paris", False),
    "IT": ("EUR", "Europe/Rome", False),
    "IE": ("EUR", "Europe/Dublin", False),
    "JP": ("JPY", "Asia/Tokyo", False),
    "BR": ("BRL", "America/Sao_Paulo", False),
}
_ZERO_DECIMAL = {"IDR", "VND", "JPY", "KRW", "CLP"}
_SYMBOLS = {
    "£": "GBP",
    "€": "EUR",
    "rp": "IDR",
    "₫": "VND",
    "rm": "MYR",
    "₱": "PHP",
    "฿": "THB",
    "¥": "JPY",
    "s$": "SGD",
    "us$": "USD",
    "mx$": "MXN",
    "r$": "BRL",
}

_ID_RE = re.compile(r"^[0-9A-Za-z_-]+$")
_AMOUNT_RE = re.compile(r"^(?P<pre>[^\d\-+.,]*?)\s*(?P<num>[-+]?[\d.,]*\d[\d.,]*)\s*(?P<post>[^\d.,]*)$")
_SLASH_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})")
_FORMATS = {
    "MDY": ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y"),
    "DMY": ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %I:%M:%S %p", "%d/%m/%Y %H:%M", "%d/%m/%Y"),
    "ISO": ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"),
}


def _norm_header(text: str) -> str:
    return " ".join(str(text).replace("\ufeff", "").replace("\t", " ").split()).lower()


def _snake(text: str) -> str:
    out = re.sub(r"[^0-9a-z]+", "_", _norm_header(text)).strip("_")
    return out or "column"
