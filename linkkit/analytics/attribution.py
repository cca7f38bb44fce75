"""Put sales on linked accounts, the honest ways (orders themselves never name an account).

Three ways, each a DuckDB join over Arrow/Parquet that returns a pandas DataFrame:

1. **Content rows** (videos and LIVEs carry ``username`` and a time): each row goes to the link that was
   active *at that time* for *that shop* and *that username* (:func:`attribute_content`).
2. **Orders against the Official account's link intervals**: each order is inside an Official link (then it
   carries that link) or outside any (:func:`attribute_orders`, :func:`daily_gmv_by_link`). This says
   *when* the shop sold with which Official account, not that the account caused the sale.
3. **Shop-level channel GMV against link intervals**: each shop-day-channel row says which Official account
   was linked for the whole day, partly, or not at all, and how many Marketing accounts were linked
   (:func:`channel_gmv_by_link_state`).

Intervals are half-open: a link covers ``linked_at <= t < unlinked_at`` (``unlinked_at`` empty = still
linked), so an order exactly at an unlink instant belongs to whatever comes next.

Example:
    >>> from linkkit.analytics import demo
    >>> from linkkit.analytics.attribution import attribute_content
    >>> data = demo.demo_data()
    >>> sorted(attribute_content(data.content, data.links)["source"].unique())
    ['affiliate', 'marketing', 'official', 'unlinked']
"""

# SQL text here is built only from column names quoted by _ident() and literals quoted by _sql_str();
# values chosen by users travel as bound parameters.
# ruff: noqa: S608

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from linkkit.analytics._engine import FrameLike, columns_of, query
from linkkit.errors import DataFormatError

__all__ = [
    "CHANGE_KINDS",
    "attribute_content",
    "attribute_orders",
    "channel_gmv_by_link_state",
    "daily_gmv_by_link",
    "link_changes",
    "validate_links",
]

log = logging.getLogger(__name__)

#: Kinds of link change :func:`link_changes` reports.
CHANGE_KINDS: tuple[str, ...] = ("link", "unlink", "relink", "replace")

_US_PER_DAY = 86_400_000_000
_FOREVER = 9_223_372_036_854_775_807
_ONE_DAY = pd.Timedelta(days=1)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def validate_links(links: pd.DataFrame) -> pd.DataFrame:
    """Check link intervals before they are used, and return them unchanged.

    The registry already enforces these rules; frames built by hand or read from files might not.

    Raises:
        DataFormatError: A link ends before it starts, a role is not ``official``/``marketing``, two
            Official links of one shop overlap, or one account has two overlapping links in one shop.
    """
    if links.empty:
        return links
    bad_order = links["unlinked_at"].notna() & (links["unlinked_at"] <= links["linked_at"])
    if bad_order.any():
        row = links[bad_order].iloc[0]
        raise DataFormatError(
            f"Link {row['link_id']} ends before it starts",
            file="links",
            column="unlinked_at",
            expected="unlinked_at after linked_at, or empty while linked",
        )
    roles = set(links["role"].dropna().unique()) - {"official", "marketing"}
    if roles or links["role"].isna().any():
        raise DataFormatError(
            f"Unknown link role(s): {sorted(map(str, roles)) or ['<empty>']}",
            file="links",
            column="role",
            expected="'official' or 'marketing'",
        )
    clashes = query(
        """
        SELECT a.link_id AS a, b.link_id AS b, a.role = 'official' AND b.role = 'official' AS both_official
        FROM links a JOIN links b
          ON a.shop_id = b.shop_id AND a.link_id < b.link_id
         AND (lower(a.username) = lower(b.username) OR (a.role = 'official' AND b.role = 'official'))
         AND a.linked_at < coalesce(b.unlinked_at, 'infinity'::TIMESTAMPTZ)
         AND b.linked_at < coalesce(a.unlinked_at, 'infinity'::TIMESTAMPTZ)
        ORDER BY a, b
        LIMIT 1
        """,
        links=links[["link_id", "shop_id", "username", "role", "linked_at", "unlinked_at"]],
    )
    if not clashes.empty:
        first = clashes.iloc[0]
        what = "two Official links of one shop" if first["both_official"] else "two links of one account in one shop"
        raise DataFormatError(
            f"Links {first['a']} and {first['b']} overlap ({what})",
            file="links",
            column="linked_at",
            expected="at most one Official link per shop and one link per account at any instant",
        )
    return links


def attribute_content(content: FrameLike, links: pd.DataFrame) -> pd.DataFrame:
    """Put each video or LIVE row on the link active for its shop and username at its time.

    Args:
        content: Rows with ``shop_id``, ``username``, ``time`` (UTC) and optionally ``account_type``
            (see :func:`linkkit.analytics.sources.content_frame`).
        links: Link intervals (:data:`linkkit.analytics.sources.LINK_COLUMNS`).

    Returns:
        ``content`` plus ``link_id``, ``role``, ``display_name`` and ``source``: the link's role
        (``official``/``marketing``) when matched; ``affiliate`` when TikTok labelled the row an affiliate's;
        otherwise ``unlinked`` (the account was not linked to this shop at that time). Usernames match
        case-insensitively, as TikTok treats them.
    """
    validate_links(links)
    has_type = "account_type" in columns_of(content)
    affiliate = "upper(c.account_type) LIKE 'AFFILIATE%'" if has_type else "FALSE"
    return query(
        f"""
        SELECT c.*, l.link_id, l.role, l.display_name,
               CASE WHEN l.link_id IS NOT NULL THEN l.role
                    WHEN {affiliate} THEN 'affiliate'
                    ELSE 'unlinked' END AS source
        FROM content c
        LEFT JOIN links l
          ON c.shop_id = l.shop_id AND lower(c.username) = lower(l.username)
         AND c.time >= l.linked_at AND c.time < coalesce(l.unlinked_at, 'infinity'::TIMESTAMPTZ)
        ORDER BY c.shop_id, c.time, c.username
        """,
        content=content,
        links=links[["link_id", "shop_id", "username", "role", "display_name", "linked_at", "unlinked_at"]],
    )


def attribute_orders(
    orders: FrameLike,
    links: pd.DataFrame,
    *,
    role: str | None = "official",
    time_col: str = "paid_time",
) -> pd.DataFrame:
    """Mark each order inside or outside the shop's links of ``role`` at the order's time.

    Args:
        orders: One row per order with ``shop_id`` and ``time_col`` (see :func:`linkkit.analytics.metrics.order_table`).
        links: Link intervals; with ``role=None`` they must not overlap within a shop.
        role: Which links to use (``official`` by default: at most one at any instant per shop).
        time_col: The order's instant; TikTok's GMV uses payment time.

    Returns:
        ``orders`` plus ``link_id``, ``username`` and ``in_link`` (False for orders in gaps between links,
        and for orders without ``time_col``).
    """
    validate_links(links)
    chosen = links if role is None else links[links["role"] == role]
    t = _ident(time_col)
    return query(
        f"""
        SELECT o.*, l.link_id, l.username, l.link_id IS NOT NULL AS in_link
        FROM orders o
        LEFT JOIN links l
          ON o.shop_id = l.shop_id AND o.{t} >= l.linked_at
         AND o.{t} < coalesce(l.unlinked_at, 'infinity'::TIMESTAMPTZ)
        ORDER BY o.shop_id, o.{t} NULLS LAST
        """,
        orders=orders,
        links=chosen[["link_id", "shop_id", "username", "linked_at", "unlinked_at"]],
    )


def daily_gmv_by_link(
    orders: FrameLike,
    links: FrameLike,
    *,
    role: str | None = "official",
    time_col: str = "paid_time",
    amount_col: str = "gmv",
    account_col: str = "username",
    tz: str = "UTC",
    sort: bool = True,
) -> pd.DataFrame:
    """Daily GMV and order count per linked account, from orders inside that account's link intervals.

    This is the heavy query (10M orders in about a second, see ``benchmarks/attribution``): one fused
    DuckDB pass straight from Parquet or Arrow, joining on shop and filtering on the interval in integer
    microseconds, then grouping. Orders in gaps between links are dropped. Money is grouped by
    ``currency`` when the orders have that column, so currencies are never summed together.

    Args:
        orders: One row per order (DataFrame, Arrow table or Parquet path) with ``shop_id``, ``time_col``,
            ``amount_col`` and optionally ``currency``.
        links: Link intervals with ``shop_id``, ``account_col``, ``linked_at``, ``unlinked_at`` and, unless
            ``role`` is None, ``role``. Intervals used together must not overlap within a shop.
        role: Keep only links of this role (``official`` by default).
        time_col: The order's instant (payment time for TikTok's GMV).
        amount_col: The order's GMV.
        account_col: The link column that names the account (``username``; ``account_id`` in benchmarks).
        tz: Time zone of the calendar days.
        sort: Sort the result by shop, account and day.

    Returns:
        ``shop_id, <account_col>, day, [currency,] gmv, orders`` with ``day`` a tz-naive calendar day.
    """
    order_cols = columns_of(orders)
    currency = "currency" in order_cols
    where = f"WHERE role = {_sql_str(role)}" if role is not None else ""
    t, a, acc = _ident(time_col), _ident(amount_col), _ident(account_col)
    if tz == "UTC":
        day_in = f"epoch_us(o.{t}) AS t, (epoch_us(o.{t}) // {_US_PER_DAY}) AS d"
        day_out = f"make_timestamp(d * {_US_PER_DAY}) AS day"
    else:
        day_in = f"epoch_us(o.{t}) AS t, CAST(CAST(timezone({_sql_str(tz)}, o.{t}) AS DATE) AS TIMESTAMP) AS d"
        day_out = "d AS day"
    cur_in = ", o.currency" if currency else ""
    cur_out = ", currency" if currency else ""
    order_by = f"ORDER BY shop_id, {acc}, day{cur_out}" if sort else ""
    return query(
        f"""
        WITH l AS (
            SELECT shop_id, {acc} AS account, epoch_us(linked_at) AS a,
                   coalesce(epoch_us(unlinked_at), {_FOREVER}) AS b
            FROM links {where}
        ),
        o AS (
            SELECT o.shop_id, {day_in}, o.{a} AS amount{cur_in}
            FROM orders o WHERE o.{t} IS NOT NULL
        ),
        g AS (
            SELECT o.shop_id, l.account, d{cur_out}, sum(o.amount) AS gmv, count(*) AS orders
            FROM o JOIN l ON o.shop_id = l.shop_id AND o.t >= l.a AND o.t < l.b
            GROUP BY ALL
        )
        SELECT shop_id, account AS {acc}, {day_out}{cur_out}, gmv, orders FROM g {order_by}
        """,
        orders=orders,
        links=links,
    )


def channel_gmv_by_link_state(performance: pd.DataFrame, links: pd.DataFrame, *, tz: str = "UTC") -> pd.DataFrame:
    """Set shop-level daily channel GMV against the link intervals.

    Args:
        performance: Rows with ``shop_id``, ``date`` (calendar day in ``tz``), ``channel``, ``gmv``,
            ``currency`` (see :func:`linkkit.analytics.sources.shop_performance_frame`).
        links: Link intervals.
        tz: The shops' time zone, which defines where each day starts and ends.

    Returns:
        ``performance`` plus ``official_username`` (the Official account linked for the whole day, else
        empty), ``official_state`` (``linked`` all day, ``partial`` for part of it, ``unlinked``) and
        ``marketing_accounts`` (Marketing accounts linked at any time that day).
    """
    validate_links(links)
    return query(
        f"""
        WITH p AS (
            SELECT p.*, row_number() OVER () AS _row,
                   timezone({_sql_str(tz)}, CAST(p.date AS TIMESTAMP)) AS _start,
                   timezone({_sql_str(tz)}, CAST(p.date AS TIMESTAMP) + INTERVAL 1 DAY) AS _end
            FROM performance p
        ),
        j AS (
            SELECT p._row,
                   max(CASE WHEN l.role = 'official' AND l.linked_at <= p._start
                             AND coalesce(l.unlinked_at, 'infinity'::TIMESTAMPTZ) >= p._end
                            THEN l.username END) AS official_username,
                   count(CASE WHEN l.role = 'official' THEN 1 END) AS official_links,
                   count(DISTINCT CASE WHEN l.role = 'marketing' THEN lower(l.username) END) AS marketing_accounts
            FROM p JOIN links l
              ON p.shop_id = l.shop_id AND l.linked_at < p._end
             AND coalesce(l.unlinked_at, 'infinity'::TIMESTAMPTZ) > p._start
            GROUP BY p._row
        )
        SELECT p.* EXCLUDE (_row, _start, _end), j.official_username,
               CASE WHEN j.official_username IS NOT NULL THEN 'linked'
                    WHEN coalesce(j.official_links, 0) > 0 THEN 'partial'
                    ELSE 'unlinked' END AS official_state,
               coalesce(j.marketing_accounts, 0) AS marketing_accounts
        FROM p LEFT JOIN j USING (_row)
        ORDER BY p._row
        """,
        performance=performance,
        links=links[["shop_id", "username", "role", "linked_at", "unlinked_at"]],
    )


def link_changes(
    links: pd.DataFrame,
    *,
    replace_within: pd.Timedelta = _ONE_DAY,
    kinds: Sequence[str] = CHANGE_KINDS,
) -> pd.DataFrame:
    """Derive link changes from the intervals: link, unlink, relink and Official replacement.

    - ``replace``: an Official link starts within ``replace_within`` after another account's Official link
      of the same shop ended (the end is then not reported separately as an ``unlink``).
    - ``relink``: an account is linked again to a shop it was linked to before.
    - ``link`` / ``unlink``: every other start and end.

    Returns:
        ``at, shop_id, kind, username, role, previous_username`` sorted by shop and time.
    """
    validate_links(links)
    within_us = int(pd.Timedelta(replace_within) / pd.Timedelta(microseconds=1))
    frame = query(
        f"""
        WITH l AS (
            SELECT link_id, shop_id, username, lower(username) AS u, role, linked_at, unlinked_at,
                   row_number() OVER (PARTITION BY shop_id ORDER BY linked_at, link_id) AS seq
            FROM links
        ),
        rep AS (
            SELECT n.link_id AS new_id, arg_max(p.link_id, p.unlinked_at) AS prev_id,
                   arg_max(p.username, p.unlinked_at) AS prev_user
            FROM l n JOIN l p
              ON n.shop_id = p.shop_id AND n.role = 'official' AND p.role = 'official' AND p.u <> n.u
             AND p.unlinked_at IS NOT NULL AND p.unlinked_at <= n.linked_at
             AND p.unlinked_at >= n.linked_at - to_microseconds({within_us})
            GROUP BY n.link_id
        ),
        seen AS (
            SELECT DISTINCT n.link_id FROM l n JOIN l p ON n.shop_id = p.shop_id AND n.u = p.u AND p.seq < n.seq
        ),
        changes AS (
            SELECT l.linked_at AS "at", l.shop_id,
                   CASE WHEN rep.new_id IS NOT NULL THEN 'replace'
                        WHEN seen.link_id IS NOT NULL THEN 'relink' ELSE 'link' END AS kind,
                   l.username, l.role, rep.prev_user AS previous_username, l.link_id
            FROM l LEFT JOIN rep ON rep.new_id = l.link_id LEFT JOIN seen ON seen.link_id = l.link_id
            UNION ALL
            SELECT unlinked_at, shop_id, 'unlink', username, role, NULL, link_id
            FROM l WHERE unlinked_at IS NOT NULL AND link_id NOT IN (SELECT prev_id FROM rep)
        )
        SELECT "at", shop_id, kind, username, role, previous_username FROM changes
        ORDER BY shop_id, "at", kind, link_id
        """,
        links=links[["link_id", "shop_id", "username", "role", "linked_at", "unlinked_at"]],
    )
    frame = frame[frame["kind"].isin(list(kinds))]
    frame = frame.astype(
        {
            "at": "datetime64[us, UTC]",
            "shop_id": "str",
            "kind": "str",
            "username": "str",
            "role": "str",
            "previous_username": "str",
        }
    )
    return frame.sort_values(["shop_id", "at", "kind"], kind="stable").reset_index(drop=True)
