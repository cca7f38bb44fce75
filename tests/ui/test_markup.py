"""Every template escapes what people and TikTok typed: a hostile display name renders as text, never as markup."""

from __future__ import annotations

from importlib import resources
from types import SimpleNamespace as NS

import pytest

from linkkit.ui import markup
from linkkit.ui.components import problem_html, render
from linkkit.ui.steps import Step

HOSTILE = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def _every_template() -> set[str]:
    folder = resources.files("linkkit.ui").joinpath("templates")
    return {item.name for item in folder.iterdir() if item.name.endswith(".html")}


def _problem() -> NS:
    return NS(title=HOSTILE, message=HOSTILE, violations=[HOSTILE], meaning=HOSTILE, causes=[HOSTILE],
              steps=[HOSTILE], code="consent_denied", error_id=HOSTILE, retryable=True)


def _link() -> NS:
    return NS(account=NS(display_name=HOSTILE, username=HOSTILE))


def _checked_link() -> NS:
    check = NS(name=NS(label=HOSTILE), ok=False, detail=HOSTILE)
    return NS(account=NS(display_name=HOSTILE, username=HOSTILE), role=NS(label=HOSTILE), checks=[check])


#: One rendering per template, each fed the hostile text wherever a person's or TikTok's text can go.
RENDERINGS = {
    "header.html": lambda: markup.header_html("sandbox", NS(name=HOSTILE, region=HOSTILE), HOSTILE),
    "step_indicator.html": lambda: markup.step_indicator_html(["current", "locked", "locked", "locked", "locked"]),
    "account.html": lambda: markup.account_html(NS(display_name=HOSTILE, username=HOSTILE, avatar_url="")),
    "card_title.html": lambda: render("card_title.html", number=1, title=HOSTILE, done=True),
    "panel.html": lambda: markup.info_panel_html(HOSTILE, busy=True),
    "intro.html": lambda: render("intro.html", text=HOSTILE),
    "problem.html": lambda: problem_html(_problem()),  # type: ignore[arg-type]
    "cell.html": lambda: render("cell.html", label="Token", text=HOSTILE, title=HOSTILE, cls="lk-amber"),
    "confirm_unlink.html": lambda: render("confirm_unlink.html", account=NS(display_name=HOSTILE, username=HOSTILE),
                                          replacement=HOSTILE),
    "trouble.html": lambda: render("trouble.html", problems=[_problem()], no_match=False),
    "faq.html": lambda: render("faq.html", faq=[NS(question=HOSTILE, answer=HOSTILE)]),
    "choose_linked.html": lambda: render("choose_linked.html", shop_name=HOSTILE, official=_link(), official_badge="",
                                         marketing=[_link()], max_marketing=4),
    "choose_type.html": lambda: render("choose_type.html", title="Official account", old=_link().account,
                                       kind=NS(purpose=HOSTILE, replacement=HOSTILE, shop_effects=[HOSTILE]),
                                       violations=[{"title": HOSTILE, "message": HOSTILE, "steps": [HOSTILE],
                                                    "reason": HOSTILE}]),
    "rules.html": lambda: render("rules.html", rules=[NS(id="r", title=HOSTILE, text=HOSTILE)], hits={"r"}),
    "authorize_what.html": lambda: render("authorize_what.html", doing="Linking", shop_name=HOSTILE),
    "scopes.html": lambda: render("scopes.html", needs=[{"required": True, "described": HOSTILE, "why": HOSTILE,
                                                         "scope": HOSTILE}]),
    "demo_accounts.html": lambda: render("demo_accounts.html", accounts=[(HOSTILE, HOSTILE)]),
    "panel_link.html": lambda: render("panel_link.html", base=HOSTILE),
    **{f"verify_result.html ({kind})": (lambda kind=kind: render(
        "verify_result.html", kind=kind, link=_checked_link(), badge="", note="", who="", evidence=HOSTILE,
        detail=HOSTILE, label=HOSTILE, p=_problem())) for kind in ("unchecked", "connected", "awaiting", "failing")},
    "alert.html": lambda: render("alert.html", label=HOSTILE, tone="bad", headline=HOSTILE, detail=HOSTILE,
                                 title=HOSTILE, steps=(HOSTILE,), full=True, url=HOSTILE, action="Repair"),
    "history.html": lambda: render("history.html", events=[
        NS(when=HOSTILE, tone="ok", kind=HOSTILE, who=HOSTILE, role=HOSTILE, detail=HOSTILE, actor=HOSTILE)]),
}


def test_every_template_is_covered() -> None:
    assert {name.split(" ")[0] for name in RENDERINGS} == _every_template()


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_a_hostile_name_renders_escaped(name: str) -> None:
    html = RENDERINGS[name]()
    assert "<img" not in html
    if name != "step_indicator.html":  # titles only: nothing typed by a person
        assert ESCAPED in html


def test_a_hostile_avatar_url_is_not_shown() -> None:
    account = NS(display_name="Jo", username="jo", avatar_url='javascript:alert(1)" onerror="x')
    assert "javascript" not in markup.account_html(account)
    assert "<img" not in markup.account_html(account)


def test_the_step_indicator_escapes_step_titles() -> None:
    html = markup.step_indicator_html(["done", "current", "locked", "locked", "locked"])
    assert "Review permissions &amp; authorize" in html and Step.AUTHORIZE.title not in html
