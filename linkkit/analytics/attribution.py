"""Put sales on linked accounts, the honest ways (orders themselves never name an account).

**The attribution rule** (:data:`ATTRIBUTION_RULE`, the same in every function, the dashboard and
``docs/analytics.md``): every order is credited to at most one link, never two.

1. If the order's source content is known (the ``username`` of the video or LIVE it came from, in the
   order column ``source_username``), it goes to that account's link when that account was linked to the
   order's shop at the order's time; if that account was not linked then (an affiliate, say), the order is
   credited to no link.
2. Otherwise it goes to one of the links open for its shop at its time, chosen by role ``precedence``
   (default :data:`DEFAULT_PRECEDENCE`: the Official account first); among Marketing links open at once,
   the one linked earliest wins (then the smaller ``link_id``).
3. An order with no open link is *unattributed*. For every shop, GMV credited to links plus unattributed
   GMV equals the shop's GMV.

Link intervals are checked first (:func:`validate_links`): two Official links of one shop, or two links of
one account in one shop, open at the same instant are a :class:`~linkkit.errors.DataFormatError` naming
both rows, as are more than :data:`MAX_MARKETING` Marketing links open at once. Up to four Marketing links
open together is TikTok's normal case and is allowed.

The functions:

1. **Content rows** (videos and LIVEs carry ``username`` and a time): each row goes to the link that was
   active *at that time* for *that shop* and *that username* (:func:`attribute_content`).
2. **Orders against link intervals**, credited by the rule (:func:`attribute_orders`,
   :func:`daily_gmv_by_link`). This says *when* the shop sold with which account linked, not that the
   account caused the sale, unless the order's source content is known.
3. **Shop-level channel GMV against link intervals**: each shop-day-channel row says which Official account
   was linked for the whole day, partly, or not at all, and how many Marketing accounts were linked
   (:func:`channel_gmv_by_link_state`); it labels rows and never splits their GMV.

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

from linkkit.analytics._engine import FrameLike, columns_of, query, row_count
from linkkit.errors import DataFormatError

__all__ = [
    "ATTRIBUTION_RULE",
    "CHANGE_KINDS",
    "DEFAULT_PRECEDENCE",
    "MAX_MARKETING",
    "ROLES",
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

#: The link roles, and the default order in which they win an order of unknown source during an overlap.
ROLES: tuple[str, ...] = ("official", "marketing")
DEFAULT_PRECEDENCE: tuple[str, ...] = ("official", "marketing")
#: TikTok allows at most this many Marketing accounts linked to one shop at once.
MAX_MARKETING = 4

#: The rule in words, shown beside attributed GMV.
ATTRIBUTION_RULE = (
    "Each order is credited to one linked account at most: to the account whose video or LIVE it came from "
    "when that is known, otherwise to the Official account when one is linked (then the Marketing account "
    "linked earliest); orders with no linked account are shown as unattributed, so the parts add up to the "
    "shop's GMV."
)

_US_PER_DAY = 86_400_000_000
_FOREVER = 9_223_372_036_854_775_807
_ONE_DAY = pd.Timedelta(days=1)


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def validate_links(links: FrameLike, *, account_col: str = "username") -> FrameLike:
    """Check link intervals before they are used, and return them unchanged.

    Every function that puts sales on links calls this first. The registry already enforces these rules;
    frames built by hand or read from files might not. Rows are named by ``link_id`` and by their 1-based
    position in ``links``.

    Args:
        links: Link intervals (DataFrame, Arrow table or Parquet path) with ``link_id``, ``shop_id``,
            ``account_col``, ``role``, ``linked_at`` and ``unlinked_at``.
        account_col: The column that names the account.

    Raises:
        DataFormatError: A link ends before it starts; a role is not ``official``/``marketing``; two
            Official links of one shop overlap; one account has two overlapping links in one shop; or more
            than :data:`MAX_MARKETING` Marketing links of one shop are open at one instant.
    """
    cols = columns_of(links)
    if "role" not in cols or account_col not in cols:
        missing = "role" if "role" not in cols else account_col
        raise DataFormatError(f"Link intervals lack the {missing!r} column", file="links", column=missing)
    lid = "CAST(link_id AS VARCHAR)" if "link_id" in cols else "CAST(_pos AS VARCHAR)"
    numbered: FrameLike = links
    pos = "row_number() OVER () AS _pos, *"
    if isinstance(links, pd.DataFrame):  # name rows by their position in the frame, whatever the scan order
        numbered = links.assign(_pos=range(1, len(links) + 1))
        pos = "*"
    acc = f"lower(CAST({_ident(account_col)} AS VARCHAR))"
    found = query(
        f"""
        WITH l AS (
            SELECT {pos}
            FROM links
        ),
        l2 AS (
            SELECT _pos, {lid} AS link_id, shop_id, {acc} AS account, role, epoch_us(linked_at) AS a,
                   coalesce(epoch_us(unlinked_at), {_FOREVER}) AS b, unlinked_at IS NOT NULL AS closed
            FROM l
        ),
        backwards AS (
            SELECT 1 AS k, 'unlinked_at' AS col, link_id AS x, _pos AS xp, NULL AS y, NULL AS yp,
                   'ends before it starts' AS what
            FROM l2 WHERE closed AND b <= a OR a IS NULL
        ),
        roles AS (
            SELECT 2, 'role', link_id, _pos, NULL, NULL,
                   'has role ' || coalesce('''' || role || '''', 'empty') || ', not official or marketing'
            FROM l2 WHERE role IS NULL OR role NOT IN ('official', 'marketing')
        ),
        clash AS (
            SELECT 3, 'linked_at', x.link_id, x._pos, y.link_id, y._pos,
                   CASE WHEN x.account = y.account THEN 'one account linked twice at once in one shop'
                        ELSE 'two Official links of one shop at once' END
            FROM l2 x JOIN l2 y
              ON x.shop_id = y.shop_id AND x._pos < y._pos AND x.a < y.b AND y.a < x.b
             AND (x.account = y.account OR (x.role = 'official' AND y.role = 'official'))
        ),
        crowd AS (
            SELECT 4, 'linked_at', x.link_id, x._pos, NULL, NULL,
                   'opens while ' || count(*) || ' Marketing links of its shop are open (at most {MAX_MARKETING})'
            FROM l2 x JOIN l2 y
              ON x.shop_id = y.shop_id AND x.role = 'marketing' AND y.role = 'marketing'
             AND y.a <= x.a AND x.a < y.b
            GROUP BY x.link_id, x._pos HAVING count(*) > {MAX_MARKETING}
        )
        SELECT * FROM (SELECT * FROM backwards UNION ALL SELECT * FROM roles
                       UNION ALL SELECT * FROM clash UNION ALL SELECT * FROM crowd)
        ORDER BY 1, 4, 6 LIMIT 1
        """,
        links=numbered,
    )
    if not found.empty:
        first = found.iloc[0]
        col = str(first["col"])
        if pd.isna(first["y"]):
            msg = f"Link {first['x']} (row {int(first['xp'])}) {first['what']}"
        else:
            msg = (
                f"Links {first['x']} (row {int(first['xp'])}) and {first['y']} (row {int(first['yp'])}) "
                f"overlap: {first['what']}"
            )
        raise DataFormatError(
            msg,
            file="links",
            row=int(first["xp"]),
            column=col,
            expected=(
                "unlinked_at after linked_at (empty while linked), role 'official' or 'marketing', at most one "
                f"Official link per shop and one link per account at any instant, at most {MAX_MARKETING} "
                "Marketing links per shop at once"
            ),
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


def _key_type(n: int) -> str:
    """The narrowest signed SQL integer type that numbers ``n`` rows from 1."""
    if n <= 32_767:
        return "SMALLINT"
    return "INTEGER" if n <= 2_147_483_647 else "BIGINT"


def _precedence(precedence: Sequence[str]) -> tuple[str, ...]:
    order = tuple(precedence)
    if sorted(order) != sorted(ROLES):
        raise ValueError(f"precedence must order both roles {ROLES}, got {order!r}")
    return order


def _credit_ctes(
    *,
    t_expr: str,
    src_expr: str | None,
    account_col: str,
    precedence: Sequence[str],
    keep: str,
    left: bool,
    links: FrameLike,
    timeless: bool = False,
) -> str:
    """SQL CTEs ``l`` (links), ``win`` (per-shop segments with their winning link) and ``credited``.

    ``credited`` holds one row per order of ``orders`` that has a time (all of them with ``left``), with
    ``_t`` (epoch µs), ``_lk`` (the link's number in ``l``), ``_link``, ``_account``, ``_role`` and ``_by``
    (``content``/``precedence``, empty when uncredited), plus the order columns named in ``keep``.
    ``links`` is only counted, to choose the type of ``_lk``.
    """
    prec = _precedence(precedence)
    rank = "CASE role " + " ".join(f"WHEN {_sql_str(r)} THEN {i}" for i, r in enumerate(prec)) + " END"
    acc = _ident(account_col)
    join = "LEFT JOIN" if left else "JOIN"
    where_t = "" if timeless else f"WHERE {t_expr} IS NOT NULL"
    # MATERIALIZED: ``_lk`` is a row number, so every reader of ``l`` must see one numbering (an inlined CTE
    # would number a parallel scan again, possibly in another order). Its type is the narrowest that holds
    # every link: grouping orders by a SMALLINT link key rather than a BIGINT one is 10-13 % faster at 10M
    # orders (DuckDB packs narrow group keys tighter; a row number carries no range it could narrow by itself).
    key_type = _key_type(row_count(links))
    ctes = f"""
        l AS MATERIALIZED (
            SELECT CAST(row_number() OVER () AS {key_type}) AS _lk, CAST(link_id AS VARCHAR) AS link_id, shop_id,
                   {acc} AS account, lower(CAST({acc} AS VARCHAR)) AS account_key, role, epoch_us(linked_at) AS a,
                   coalesce(epoch_us(unlinked_at), {_FOREVER}) AS b
            FROM links
        ),
        pts AS (
            SELECT shop_id, a AS p FROM l UNION SELECT shop_id, b FROM l
        ),
        seg AS (
            SELECT shop_id, p AS s, lead(p) OVER (PARTITION BY shop_id ORDER BY p) AS e FROM pts
        ),
        seg_win AS (  -- per segment, the winning link (a grouped arg_min: cheaper than ranking in a window)
            SELECT seg.shop_id, seg.s, any_value(seg.e) AS e, arg_min(l._lk, ({rank}, l.a, l.link_id)) AS _lk
            FROM seg JOIN l ON seg.shop_id = l.shop_id AND l.a <= seg.s AND seg.s < l.b
            WHERE seg.e IS NOT NULL
            GROUP BY seg.shop_id, seg.s
        ),
        win AS (
            SELECT w.shop_id, w.s, w.e, w._lk, l.link_id, l.account, l.role FROM seg_win w JOIN l USING (_lk)
        ),
        o AS (
            SELECT {keep}{t_expr} AS _t{", " + src_expr + " AS _src" if src_expr else ""}
            FROM orders {where_t}
        ),"""
    if src_expr is None:
        ctes += f"""
        credited AS (
            SELECT o.*, w._lk, w.link_id AS _link, w.account AS _account, w.role AS _role,
                   CASE WHEN w.link_id IS NOT NULL THEN 'precedence' END AS _by
            FROM o {join} win w ON o.shop_id = w.shop_id AND o._t >= w.s AND o._t < w.e
        )"""
    else:
        ctes += f"""
        by_rule AS (
            SELECT o.*, w._lk, w.link_id AS _link, w.account AS _account, w.role AS _role,
                   CASE WHEN w.link_id IS NOT NULL THEN 'precedence' END AS _by
            FROM (SELECT * FROM o WHERE _src IS NULL) o
            {join} win w ON o.shop_id = w.shop_id AND o._t >= w.s AND o._t < w.e
        ),
        by_content AS (
            SELECT o.*, m._lk, m.link_id AS _link, m.account AS _account, m.role AS _role,
                   CASE WHEN m.link_id IS NOT NULL THEN 'content' END AS _by
            FROM (SELECT * FROM o WHERE _src IS NOT NULL) o
            {join} l m ON o.shop_id = m.shop_id AND o._src = m.account_key AND o._t >= m.a AND o._t < m.b
        ),
        credited AS (
            SELECT * FROM by_rule UNION ALL BY NAME SELECT * FROM by_content
        )"""
    return ctes


def attribute_orders(
    orders: FrameLike,
    links: FrameLike,
    *,
    role: str | None = "official",
    time_col: str = "paid_time",
    source_col: str = "source_username",
    precedence: Sequence[str] = DEFAULT_PRECEDENCE,
) -> pd.DataFrame:
    """Credit each order to at most one link by the attribution rule (see the module docstring).

    Args:
        orders: One row per order with ``shop_id`` and ``time_col`` (see
            :func:`linkkit.analytics.metrics.order_table`) and optionally ``source_col``: the username of the
            video/LIVE the order came from, when known.
        links: Link intervals (validated with :func:`validate_links`).
        role: Report only credits to links of this role (``official`` by default); orders credited to
            another role, or to none, get empty link columns. None reports every credit.
        time_col: The order's instant; TikTok's GMV uses payment time.
        source_col: Optional order column with the source content's username.
        precedence: Which role wins an order during an overlap when its source is unknown.

    Returns:
        ``orders`` plus ``link_id``, ``username``, ``role``, ``credited_by`` (``content`` or ``precedence``)
        and ``in_link`` (False for orders credited elsewhere or to nobody, and for orders without
        ``time_col``), in the order of ``orders``.
    """
    validate_links(links)
    cols = columns_of(orders)
    src = f"lower(CAST({_ident(source_col)} AS VARCHAR))" if source_col in cols else None
    t = _ident(time_col)
    ctes = _credit_ctes(
        t_expr=f"epoch_us({t})",
        src_expr=src,
        account_col="username",
        precedence=precedence,
        keep="row_number() OVER () AS _row, *, ",
        left=True,
        links=links,
        timeless=True,
    )
    pick = "TRUE" if role is None else f"_role = {_sql_str(role)}"
    frame = query(
        f"""
        WITH {ctes}
        SELECT * EXCLUDE (_row, _t, _lk, _link, _account, _role, _by{", _src" if src else ""}),
               CASE WHEN {pick} THEN _link END AS link_id,
               CASE WHEN {pick} THEN _account END AS username,
               CASE WHEN {pick} THEN _role END AS role,
               CASE WHEN {pick} THEN _by END AS credited_by,
               coalesce({pick} AND _link IS NOT NULL, FALSE) AS in_link
        FROM credited ORDER BY shop_id, _t NULLS LAST, _row
        """,
        orders=orders,
        links=_link_cols(links, "username"),
    )
    return frame


def _link_cols(links: FrameLike, account_col: str) -> FrameLike:
    if isinstance(links, pd.DataFrame):
        return links[["link_id", "shop_id", account_col, "role", "linked_at", "unlinked_at"]]
    return links


def daily_gmv_by_link(
    orders: FrameLike,
    links: FrameLike,
    *,
    role: str | None = "official",
    time_col: str = "paid_time",
    amount_col: str = "gmv",
    account_col: str = "username",
    source_col: str = "source_username",
    precedence: Sequence[str] = DEFAULT_PRECEDENCE,
    include_unattributed: bool = False,
    tz: str = "UTC",
    sort: bool = True,
) -> pd.DataFrame:
    """Daily GMV and order count per linked account, each order credited once by the attribution rule.

    This is the heavy query (10M orders in about a second, see ``benchmarks/attribution``): one fused
    DuckDB pass straight from Parquet or Arrow. The links are first cut into per-shop segments that each
    have one winning link (by ``precedence``), so orders join non-overlapping intervals on integer
    microseconds. Money is grouped by ``currency`` when the orders have that column, so currencies are never
    summed together.

    Args:
        orders: One row per order (DataFrame, Arrow table or Parquet path) with ``shop_id``, ``time_col``,
            ``amount_col`` and optionally ``currency`` and ``source_col``.
        links: Link intervals with ``link_id``, ``shop_id``, ``account_col``, ``role``, ``linked_at`` and
            ``unlinked_at`` (validated with :func:`validate_links`).
        role: Report only GMV credited to links of this role (``official`` by default); None reports all.
            Crediting happens before this filter, so the roles' results add up to the shop's linked GMV.
        time_col: The order's instant (payment time for TikTok's GMV).
        amount_col: The order's GMV.
        account_col: The link column that names the account (``username``; ``account_id`` in benchmarks).
        source_col: Optional order column with the username of the video/LIVE the order came from.
        precedence: Which role wins an order during an overlap when its source is unknown.
        include_unattributed: Also return rows with an empty account and role for the GMV credited to no
            link, so the result sums to the shop's GMV.
        tz: Time zone of the calendar days.
        sort: Sort the result by shop, account and day.

    Returns:
        ``shop_id, <account_col>, role, day, [currency,] gmv, orders`` with ``day`` a tz-naive calendar day.
    """
    validate_links(links, account_col=account_col)
    order_cols = columns_of(orders)
    currency = "currency" in order_cols
    t, a, acc = _ident(time_col), _ident(amount_col), _ident(account_col)
    src = f"lower(CAST({_ident(source_col)} AS VARCHAR))" if source_col in order_cols else None
    if tz == "UTC":
        day_out = f"make_timestamp(_day * {_US_PER_DAY})"
        day_key = f"_t // {_US_PER_DAY}"
        extra = ""
    else:
        day_out, day_key = "_day", "_d"
        extra = f"CAST(CAST(timezone({_sql_str(tz)}, {t}) AS DATE) AS TIMESTAMP) AS _d, "
    cur = ", currency" if currency else ""
    keep = f"shop_id, {extra}{a} AS _amount{cur}, "
    ctes = _credit_ctes(
        t_expr=f"epoch_us({t})",
        src_expr=src,
        account_col=account_col,
        precedence=precedence,
        keep=keep,
        left=include_unattributed,
        links=links,
    )
    # group on the link's integer key (cheaper than account and role strings), then name the link
    pick = "" if role is None else f"WHERE l.role = {_sql_str(role)}"
    if include_unattributed and role is not None:
        pick += " OR g._lk IS NULL"
    order_by = f"ORDER BY shop_id, {acc} NULLS LAST, role NULLS LAST, day{cur}" if sort else ""
    return query(
        f"""
        WITH {ctes},
        g AS (
            SELECT shop_id, _lk, {day_key} AS _day{cur}, sum(_amount) AS gmv, count(*) AS orders
            FROM credited
            GROUP BY ALL
        )
        SELECT g.shop_id, l.account AS {acc}, l.role AS role,
               {day_out} AS day{cur}, gmv, orders
        FROM g LEFT JOIN l ON g._lk = l._lk {pick} {order_by}
        """,
        orders=orders,
        links=_link_cols(links, account_col),
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
        WITH p AS MATERIALIZED (  -- one numbering of ``_row`` for both readers of ``p``
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
