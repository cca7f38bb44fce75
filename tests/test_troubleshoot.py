"""Tests for linkkit.troubleshoot (and the guide data it sits beside)."""

from __future__ import annotations

import ast
import dataclasses
import doctest
from pathlib import Path

import pytest

import linkkit.guide as guide
import linkkit.troubleshoot as troubleshoot
from linkkit.errors import (
    REASON_CODES,
    AuthorizationDenied,
    LinkError,
    LinkkitError,
    ProviderError,
    RuleViolation,
)
from linkkit.troubleshoot import (
    CATALOGUE,
    CATEGORIES,
    FAQ,
    Entry,
    FaqItem,
    entry,
    explain,
    search,
    search_faq,
)

PACKAGE_DIR = Path(troubleshoot.__file__).resolve().parent
NOT_SCANNED = {"errors.py", "troubleshoot.py", "guide.py"}
TOP = 3  # a guide point counts as answered when its target is among the first TOP results


# --------------------------------------------------------------------------- catalogue completeness


def test_every_reason_code_has_exactly_one_entry() -> None:
    assert set(CATALOGUE) == set(REASON_CODES)


@pytest.mark.parametrize("code", sorted(REASON_CODES))
def test_entry_is_complete(code: str) -> None:
    e = CATALOGUE[code]
    assert e.code == code
    assert e.title.strip() and len(e.title) <= 60
    assert e.meaning.strip()
    assert len(e.causes) >= 1 and all(c.strip() for c in e.causes)
    assert len(e.steps) >= 1 and all(s.strip() for s in e.steps)
    assert len(e.symptoms) >= 1 and all(s.strip() for s in e.symptoms)
    assert e.category in CATEGORIES
    assert isinstance(e.retryable, bool)
    text = " ".join((e.title, e.meaning, *e.causes, *e.steps, *e.symptoms))
    assert "TODO" not in text.upper()
    assert "<" not in text  # plain text, the UI escapes and formats


def test_titles_are_unique() -> None:
    titles = [e.title.casefold() for e in CATALOGUE.values()]
    assert len(titles) == len(set(titles))


def test_entries_are_frozen() -> None:
    e = entry("wrong_account")
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.title = "changed"  # type: ignore[misc]
    assert e.title != "changed"


def test_faq_is_complete_and_points_at_real_codes() -> None:
    assert len(FAQ) >= 20
    questions = [item.question.casefold() for item in FAQ]
    assert len(questions) == len(set(questions))
    for item in FAQ:
        assert item.question.strip().endswith("?")
        assert item.answer.strip()
        assert set(item.codes) <= set(REASON_CODES), item.question


# --------------------------------------------------------------------------- lookup


def test_entry_returns_the_code_and_never_raises() -> None:
    assert entry("pkce_mismatch").code == "pkce_mismatch"
    assert entry("no_such_code").code == "provider_error"
    assert entry("").code == "provider_error"
    assert entry(None).code == "provider_error"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (AuthorizationDenied("You pressed Cancel."), "consent_denied"),
        (RuleViolation("Too many.", reason="marketing_limit_reached"), "marketing_limit_reached"),
        (ProviderError("Busy.", reason="rate_limited", status=429, retryable=True), "rate_limited"),
        (LinkError("Gone."), "link_not_found"),
        (LinkkitError("Odd."), "provider_error"),
    ],
)
def test_explain_uses_the_error_reason(error: LinkkitError, code: str) -> None:
    assert explain(error) is CATALOGUE[code]


def test_explain_falls_back_when_reason_was_tampered_with() -> None:
    err = LinkkitError("Odd.")
    err.reason = "not_a_code"
    assert explain(err).code == "provider_error"


def test_retryable_flags_match_their_meaning() -> None:
    for code in ("rate_limited", "provider_unavailable", "binding_not_visible", "unlink_too_early"):
        assert entry(code).retryable, code
    for code in (
        "redirect_uri_mismatch",
        "app_credentials_invalid",
        "official_limit_reached",
        "region_mismatch",
    ):
        assert not entry(code).retryable, code


def test_documented_rules_win_over_the_guide() -> None:
    assert "four" in entry("marketing_limit_reached").meaning
    assert "24 hours" in entry("unlink_too_early").meaning
    assert "10 times within 180 days" in entry("relink_limit_reached").meaning
    assert "My account › Linked TikTok accounts" in " ".join(entry("binding_not_visible").steps)
    assert "few minutes" in entry("binding_not_visible").meaning
    how_many = search_faq("How many accounts can I link to my shop?")[0]
    assert "four" in how_many.answer and "One Official" in how_many.answer
    business = search_faq("Do I need a Business account?")[0]
    assert "automatically" in business.answer


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("wrong account", "wrong_account"),
        ("nothing happens after authorize", "state_mismatch"),
        ("Code verifier or code challenge is invalid", "pkce_mismatch"),
        ("you should apply auth pkg for this api", "shop_scope_missing"),
        ("105002", "token_expired"),
        ("another window refreshed", "refresh_token_invalid"),
        ("429 too many requests", "rate_limited"),
        ("timestamp out of range", "clock_skew"),
        ("redirect_uri", "redirect_uri_mismatch"),
        ("account from another country", "region_mismatch"),
        ("unlink button greyed out", "unlink_too_early"),
        ("pkce_mismatch", "pkce_mismatch"),
        ("WRONG ACCOUNT", "wrong_account"),
    ],
)
def test_search_finds_symptoms(text: str, code: str) -> None:
    codes = [e.code for e in search(text)[:TOP]]
    assert code in codes, codes


def test_search_of_every_symptom_finds_its_entry() -> None:
    misses = []
    for e in CATALOGUE.values():
        for symptom in e.symptoms:
            if e.code not in [x.code for x in search(symptom)[:5]]:
                misses.append((e.code, symptom))
    assert not misses


def test_search_without_words_or_hits_is_empty() -> None:
    assert search("") == []
    assert search("   the and of ") == []
    assert search("zzqxv") == []
    assert search_faq("zzqxv") == []


def test_search_returns_entries() -> None:
    results = search("permissions")
    assert results and all(isinstance(e, Entry) for e in results)
    assert all(isinstance(item, FaqItem) for item in search_faq("permissions"))


# ----------------------------------------------------------------------------- every seller-guide point

# (guide section, guide point, what a seller types, expected code or None, expected FAQ question or None)
GUIDE_POINTS: list[tuple[str, str, str, str | None, str | None]] = [
    # Common mistakes
    (
        "mistakes",
        "Signing in to the wrong TikTok account",
        "signed in to the wrong TikTok account",
        "wrong_account",
        "I signed in to the wrong TikTok account. What now?",
    ),
    (
        "mistakes",
        "Not granting the permissions",
        "didn't grant the permissions",
        "scopes_missing",
        "I didn't grant all the permissions. What happens?",
    ),
    (
        "mistakes",
        "Choosing the wrong link type",
        "chose the wrong link type",
        "both_roles",
        "I chose the wrong link type. How do I fix it?",
    ),
    (
        "mistakes",
        "Ignoring error messages",
        "what do I do with this error message",
        "provider_error",
        "What should I do with an error message?",
    ),
    (
        "mistakes",
        "Not checking afterwards that the link shows as linked",
        "not showing as linked",
        "binding_not_visible",
        "I didn't check afterwards that the link shows as linked. Does it matter?",
    ),
    # Troubleshooting advice
    (
        "advice",
        "Check the credentials",
        "check the credentials",
        "app_credentials_invalid",
        "Which credentials should I check when linking fails?",
    ),
    (
        "advice",
        "Make sure every permission was granted",
        "make sure every permission was granted",
        "scopes_missing",
        "How do I make sure every permission was granted?",
    ),
    ("advice", "Try again", "should I try again", "provider_unavailable", "Should I just try again?"),
    (
        "advice",
        "Clear the browser cache or restart the app",
        "clear the browser cache or restart the app",
        "state_mismatch",
        "Does clearing the browser cache or restarting the app help?",
    ),
    (
        "advice",
        "Contact TikTok Shop support if it persists",
        "contact TikTok Shop support",
        "provider_error",
        "When should I contact TikTok Shop support?",
    ),
    # FAQ points
    (
        "faq",
        "One Official account per shop",
        "how many official accounts",
        "official_limit_reached",
        "How many accounts can I link to my shop?",
    ),
    (
        "faq",
        "Several Marketing accounts are allowed (at most four)",
        "how many marketing accounts",
        "marketing_limit_reached",
        "How many accounts can I link to my shop?",
    ),
    (
        "faq",
        "Unlinking the Official account removes products and interrupts selling",
        "unlink the official account",
        "official_limit_reached",
        "What happens to my shop if I unlink the Official account?",
    ),
    ("faq", "Linking costs nothing", "does linking cost anything", None, "Does linking cost anything?"),
    (
        "faq",
        "Usually immediate but can take a few minutes to show",
        "takes a few minutes to show",
        "binding_not_visible",
        "How long does linking take to show?",
    ),
    (
        "faq",
        "No follower minimum, but an audience matters",
        "minimum number of followers",
        "account_ineligible",
        "Is there a minimum number of followers?",
    ),
    (
        "faq",
        "The Official account can be changed",
        "change official account",
        "official_limit_reached",
        "Can I change or replace my Official account?",
    ),
    (
        "faq",
        "Permissions cover profile, content, audience; used for showcases and ads",
        "what permissions does linking ask for",
        "scopes_missing",
        "What permissions does linking ask for, and why?",
    ),
    (
        "faq",
        "A successful link shows as Connected",
        "how do I know the link worked",
        "binding_not_visible",
        "How do I know the link worked?",
    ),
    (
        "faq",
        "Linking does not change privacy settings",
        "does linking change privacy settings",
        None,
        "Does linking change my account's privacy settings?",
    ),
    (
        "faq",
        "A Business account is generally needed (TikTok converts)",
        "do I need a business account",
        "account_ineligible",
        "Do I need a Business account?",
    ),
    # documented rules the guide leaves out (clarifications)
    (
        "rules",
        "Same region as the shop",
        "link an account from another country",
        "region_mismatch",
        "Can I link a TikTok account from another country?",
    ),
    (
        "rules",
        "Unlink only after 24 h",
        "when can I unlink an account",
        "unlink_too_early",
        "When can I unlink an account?",
    ),
    (
        "rules",
        "No account in both roles",
        "same account both official and marketing",
        "both_roles",
        "Can the same TikTok account be both Official and Marketing?",
    ),
    (
        "rules",
        "Marketing: at most 10 links in 180 days",
        "link an account to more than one shop",
        "relink_limit_reached",
        "Can I link an account to more than one shop?",
    ),
]


def test_guide_table_covers_every_guide_section() -> None:
    sections = {row[0] for row in GUIDE_POINTS}
    assert {"mistakes", "advice", "faq"} <= sections
    assert sum(row[0] == "mistakes" for row in GUIDE_POINTS) == 5
    assert sum(row[0] == "advice" for row in GUIDE_POINTS) == 5
    assert sum(row[0] == "faq" for row in GUIDE_POINTS) >= 10


@pytest.mark.parametrize(
    ("section", "point", "text", "code", "question"),
    GUIDE_POINTS,
    ids=[f"{row[0]}:{row[1][:40]}" for row in GUIDE_POINTS],
)
def test_every_guide_point_is_answered(
    section: str, point: str, text: str, code: str | None, question: str | None
) -> None:
    assert code or question, point
    if code is not None:
        codes = [e.code for e in search(text)[:TOP]]
        assert code in codes, (point, codes)
    if question is not None:
        assert question in [item.question for item in FAQ], point
        found = [item.question for item in search_faq(text)[:TOP]]
        assert question in found, (point, found)
        # asking the FAQ question itself also finds it, and search() finds its related entries
        assert search_faq(question)[0].question == question
        item = next(i for i in FAQ if i.question == question)
        if item.codes:
            assert set(item.codes) & {e.code for e in search(question)[:5]}, point


# --------------------------------------------------------------------------- every code is reachable


def _string_literals(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def _default_reasons() -> dict[str, str]:
    """Error class name -> its ``default_reason``, read from errors.py."""
    tree = ast.parse((PACKAGE_DIR / "errors.py").read_text(encoding="utf-8"))
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant)
                        and any(isinstance(t, ast.Name) and t.id == "default_reason" for t in stmt.targets)):
                    found[node.name] = stmt.value.value
    return found


def _raised_defaults(path: Path, defaults: dict[str, str]) -> set[str]:
    """Default reasons of errors raised in ``path`` without an explicit ``reason=``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    codes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in defaults and not any(k.arg == "reason" for k in node.exc.keywords):
                codes.add(defaults[name])
    return codes


def test_every_code_is_raised_somewhere() -> None:
    """Each reason code is raised somewhere in the package outside errors/troubleshoot/guide: as a string
    literal (``reason="…"`` or a mapping) or as the default reason of an error class raised without one."""
    literals: set[str] = set()
    defaults = _default_reasons()
    for path in PACKAGE_DIR.rglob("*.py"):
        if path.name in NOT_SCANNED and path.parent == PACKAGE_DIR:
            continue
        literals |= _string_literals(path) | _raised_defaults(path, defaults)
    unreferenced = sorted(code for code in REASON_CODES if code not in literals)
    assert not unreferenced, f"reason codes no module raises yet: {unreferenced}"


# --------------------------------------------------------------------------- guide data


def test_journey_has_the_five_wizard_steps() -> None:
    assert [s.title for s in guide.JOURNEY] == [
        "Connect Seller Center",
        "Choose link type",
        "Review permissions & authorize",
        "Finish in Seller Center",
        "Verify",
    ]
    assert [s.number for s in guide.JOURNEY] == [1, 2, 3, 4, 5]
    assert sum(len(s.guide_steps) for s in guide.JOURNEY) == 6  # the seller guide's six journey steps
    assert all(s.explanation.strip() and "<" not in s.explanation for s in guide.JOURNEY)


def test_account_types_carry_the_documented_numbers() -> None:
    official, marketing = guide.ACCOUNT_TYPES["official"], guide.ACCOUNT_TYPES["marketing"]
    assert (official.max_per_shop, marketing.max_per_shop) == (1, 4)
    rules = " ".join(marketing.rules)
    assert "10 times within 180 days" in rules and "24 hours" in rules and "same region" in rules
    assert "products disappear" in official.replacement


def test_scope_descriptions_cover_the_scopes_linkkit_asks_for() -> None:
    for scope in (
        "user.info.basic",
        "user.info.profile",
        "user.info.stats",
        "video.list",
        "seller.authorization.info",
        "seller.order.info",
        "data.shop_analytics.public.read",
    ):
        assert guide.SCOPE_DESCRIPTIONS[scope].strip()
    assert "made.up.scope" in guide.describe_scope("made.up.scope")


def test_benefits_cover_the_guide() -> None:
    assert len(guide.BENEFITS) == 6


@pytest.mark.parametrize("module", [troubleshoot, guide])
def test_docstring_examples_run(module: object) -> None:
    result = doctest.testmod(module, raise_on_error=False)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("module", [troubleshoot, guide])
def test_all_is_sorted_and_exported(module: object) -> None:
    names = module.__all__  # type: ignore[attr-defined]

    def isort_key(name: str) -> tuple[int, str]:  # constants, then classes, then functions (ruff RUF022)
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert names == sorted(names, key=isort_key)
    assert all(hasattr(module, name) for name in names)
