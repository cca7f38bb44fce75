"""Tests for linkkit.troubleshoot (catalogue, FAQ, search) and the guide data it sits beside."""

from __future__ import annotations

import ast
import dataclasses
import doctest
import importlib
import re
from pathlib import Path

import pytest

import linkkit.errors as errors
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
    needs_reauthorization,
    search,
    search_faq,
)

PACKAGE_DIR = Path(errors.__file__).resolve().parent
# The submodules by their dotted names (``troubleshoot.search`` is the function, re-exported).
catalogue = importlib.import_module("linkkit.troubleshoot.catalogue")
faq = importlib.import_module("linkkit.troubleshoot.faq")
search_module = importlib.import_module("linkkit.troubleshoot.search")


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
    assert isinstance(e.needs_reauthorization, bool)
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


# --------------------------------------------------------------------------- re-authorization


REAUTHORIZE = {"scopes_missing", "token_expired", "token_revoked", "refresh_token_invalid", "wrong_account"}


@pytest.mark.parametrize("code", sorted(REASON_CODES))
def test_needs_reauthorization_is_the_entry_field(code: str) -> None:
    # The grant is unusable and only the seller authorizing the account again fixes it: exactly these codes.
    assert needs_reauthorization(code) is (code in REAUTHORIZE)
    assert entry(code).needs_reauthorization is (code in REAUTHORIZE)


def test_needs_reauthorization_of_unknown_codes_is_false() -> None:
    assert needs_reauthorization(None) is False
    assert needs_reauthorization("no_such_code") is False


# --------------------------------------------------------------------------- search: the top result is right


def test_sqlite_has_fts5() -> None:
    assert search_module.fts5_available()


# (what a seller types, the entries a right first answer may be). Each row is a seller-guide point (common
# mistake, troubleshooting advice, FAQ point, or a documented rule the guide leaves out) or an error text a
# seller pastes. Several codes: the point genuinely spans those entries.
TOP_ENTRY: list[tuple[str, set[str]]] = [
    # common mistakes
    ("signed in to the wrong TikTok account", {"wrong_account"}),
    ("didn't grant the permissions", {"scopes_missing"}),
    ("chose the wrong link type", {"official_limit_reached", "both_roles"}),
    ("what do I do with this error message", {"provider_error"}),
    ("not showing as linked", {"binding_not_visible"}),
    # troubleshooting advice
    ("check the credentials", {"app_credentials_invalid"}),
    ("make sure every permission was granted", {"scopes_missing"}),
    ("should I try again", {"provider_unavailable"}),
    ("clear the browser cache or restart the app", {"state_mismatch"}),
    ("contact TikTok Shop support", {"provider_error"}),
    # FAQ points
    ("how many official accounts", {"official_limit_reached"}),
    ("how many marketing accounts", {"marketing_limit_reached"}),
    ("unlink the official account", {"official_limit_reached"}),
    ("takes a few minutes to show", {"binding_not_visible"}),
    ("minimum number of followers", {"account_ineligible"}),
    ("change official account", {"official_limit_reached"}),
    ("what permissions does linking ask for", {"scopes_missing"}),
    ("how do I know the link worked", {"binding_not_visible"}),
    ("do I need a business account", {"account_ineligible"}),
    # documented rules the guide leaves out
    ("link an account from another country", {"region_mismatch"}),
    ("when can I unlink an account", {"unlink_too_early"}),
    ("same account both official and marketing", {"both_roles"}),
    ("link an account to more than one shop", {"relink_limit_reached"}),
    # what sellers type or paste
    ("wrong account", {"wrong_account"}),
    ("WRONG ACCOUNT", {"wrong_account"}),
    ("nothing happens after authorize", {"state_mismatch", "binding_not_visible"}),
    ("Code verifier or code challenge is invalid", {"pkce_mismatch"}),
    ("you should apply auth pkg for this api", {"shop_scope_missing"}),
    ("105002", {"token_expired"}),
    ("another window refreshed", {"refresh_token_invalid"}),
    ("429 too many requests", {"rate_limited"}),
    ("timestamp out of range", {"clock_skew"}),
    ("redirect_uri", {"redirect_uri_mismatch"}),
    ("account from another country", {"region_mismatch"}),
    ("unlink button greyed out", {"unlink_too_early"}),
    ("invalid grant on refresh", {"refresh_token_invalid"}),
    ("permission", {"scopes_missing"}),  # the stemmer: "permission" finds "permissions"
]


@pytest.mark.parametrize(("text", "codes"), TOP_ENTRY, ids=[row[0] for row in TOP_ENTRY])
def test_top_entry_is_right(text: str, codes: set[str]) -> None:
    results = search(text)
    assert results, text
    assert results[0].code in codes, [e.code for e in results[:3]]


# (what a seller types, the FAQ question that must come first): every seller-guide point with an FAQ answer.
TOP_FAQ: list[tuple[str, str]] = [
    ("signed in to the wrong TikTok account", "I signed in to the wrong TikTok account. What now?"),
    ("didn't grant the permissions", "I didn't grant all the permissions. What happens?"),
    ("chose the wrong link type", "I chose the wrong link type. How do I fix it?"),
    ("what do I do with this error message", "What should I do with an error message?"),
    ("check the credentials", "Which credentials should I check when linking fails?"),
    ("make sure every permission was granted", "How do I make sure every permission was granted?"),
    ("should I try again", "Should I just try again?"),
    ("clear the browser cache or restart the app", "Does clearing the browser cache or restarting the app help?"),
    ("contact TikTok Shop support", "When should I contact TikTok Shop support?"),
    ("how many official accounts", "How many accounts can I link to my shop?"),
    ("how many marketing accounts", "How many accounts can I link to my shop?"),
    ("unlink the official account", "What happens to my shop if I unlink the Official account?"),
    ("does linking cost anything", "Does linking cost anything?"),
    ("does linking cost money", "Does linking cost anything?"),
    ("takes a few minutes to show", "How long does linking take to show?"),
    ("minimum number of followers", "Is there a minimum number of followers?"),
    ("change official account", "Can I change or replace my Official account?"),
    ("what permissions does linking ask for", "What permissions does linking ask for, and why?"),
    ("how do I know the link worked", "How do I know the link worked?"),
    ("does linking change privacy settings", "Does linking change my account's privacy settings?"),
    ("do I need a business account", "Do I need a Business account?"),
    ("link an account from another country", "Can I link a TikTok account from another country?"),
    ("when can I unlink an account", "When can I unlink an account?"),
    ("same account both official and marketing", "Can the same TikTok account be both Official and Marketing?"),
    ("link an account to more than one shop", "Can I link an account to more than one shop?"),
]


@pytest.mark.parametrize(("text", "question"), TOP_FAQ, ids=[row[0] for row in TOP_FAQ])
def test_top_faq_item_is_right(text: str, question: str) -> None:
    assert question in [item.question for item in FAQ]
    results = search_faq(text)
    assert results, text
    assert results[0].question == question, [item.question for item in results[:3]]


@pytest.mark.parametrize("item", FAQ, ids=[item.question for item in FAQ])
def test_asking_an_faq_question_finds_it_and_its_entries(item: FaqItem) -> None:
    assert search_faq(item.question)[0] is item
    if item.codes:
        assert search(item.question)[0].code in item.codes


def test_guide_tables_cover_every_guide_section() -> None:
    # the seller guide's five common mistakes, five pieces of advice and ten FAQ points each have a row
    texts = {text for text, _ in TOP_ENTRY} | {text for text, _ in TOP_FAQ}
    assert len(texts) >= 25
    assert {question for _, question in TOP_FAQ} >= {item.question for item in FAQ if "?" in item.question} - {
        "What is the difference between an Official and a Marketing account?",
        "What does linking give my shop?",
        "Where is the linked accounts page in Seller Center?",
        "Why can't linkkit finish the link by itself?",
        "I didn't check afterwards that the link shows as linked. Does it matter?",
    }


def test_every_symptom_puts_its_entry_first() -> None:
    # a symptom listed by several entries may put any of them first
    listed: dict[str, set[str]] = {}
    for e in CATALOGUE.values():
        for symptom in e.symptoms:
            listed.setdefault(symptom.casefold(), set()).add(e.code)
    misses = [(s, codes, search(s)[0].code) for s, codes in listed.items() if search(s)[0].code not in codes]
    assert not misses


def test_a_reason_code_finds_its_own_entry_first() -> None:
    for code in REASON_CODES:
        assert search(code)[0].code == code
        assert search(f"  {code.upper()} ")[0].code == code


def test_search_without_words_or_hits_is_empty() -> None:
    assert search("") == []
    assert search("   the and of ") == []
    assert search("zzqxv") == []
    assert search_faq("zzqxv") == []
    assert search_faq("") == []


def test_search_treats_query_syntax_as_words() -> None:
    # FTS5 operators and quotes in what a seller types are words, never query syntax (no error, no injection)
    for text in ('"', "wrong AND account", "NEAR(wrong account)", "account*", "col:wrong", "a OR", "'; DROP"):
        search(text)
        search_faq(text)
    assert search('wrong "account"')[0].code == "wrong_account"


def test_search_returns_entries_and_items() -> None:
    results = search("permissions")
    assert results and all(isinstance(e, Entry) for e in results)
    items = search_faq("permissions")
    assert items and all(isinstance(item, FaqItem) for item in items)


# --------------------------------------------------------------------------- entries cite only what the UI shows

UI_DIR = PACKAGE_DIR / "ui"
# Quoted labels: 'Verify now', “Repair”, "Start over".
QUOTED = re.compile(r"(?<![A-Za-z])'([^']+?)'(?![A-Za-z])|“([^”]+)”|\"([^\"]+)\"")
# Identifiers a seller might be told to look for or quote: reason codes (lower_snake), ids like E001, and the
# names of identifiers ("log ID", "request ID", "reference", "reason code").
IDENTIFIER = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\b[A-Z]\d{3,}\b|\b(?:[A-Za-z]+ )?(?:ID|id)\b|\breason code\b")


def _ui_strings() -> list[str]:
    """Every string the UI modules hold (f-strings with their placeholders blanked) and the text of the UI's Jinja
    templates (``{{ … }}`` and ``{% … %}`` blanked)."""
    found = [re.sub(r"{{.*?}}|{%.*?%}", "\0", path.read_text(encoding="utf-8"))
             for path in sorted((UI_DIR / "templates").glob("*.html"))]
    for path in sorted(UI_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append(node.value)
            elif isinstance(node, ast.JoinedStr):
                found.append("".join(v.value if isinstance(v, ast.Constant) else "\0" for v in node.values))
    return found


def _seller_texts() -> list[tuple[str, str]]:
    """(where, text) for every sentence the Troubleshooter and the problem panels show."""
    texts = [(e.code, t) for e in CATALOGUE.values() for t in (e.title, e.meaning, *e.causes, *e.steps)]
    texts += [(f"FAQ {item.question!r}", item.answer) for item in FAQ]
    return texts


def quoted_labels(text: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in QUOTED.finditer(text)]


def identifiers(text: str) -> list[str]:
    return IDENTIFIER.findall(text)


def test_label_and_identifier_extraction() -> None:
    text = "Press 'Verify now', then “Repair” and \"Start over\"; give the TikTok log ID, E001 and pkce_mismatch."
    assert quoted_labels(text) == ["Verify now", "Repair", "Start over"]
    assert identifiers(text) == ["log ID", "E001", "pkce_mismatch"]
    assert quoted_labels("the seller's shop and the account's name") == []


def test_entries_cite_only_labels_the_ui_shows() -> None:
    """Every quoted control label in an entry or FAQ answer is a string of linkkit's UI (a button, a tab, a
    step title) or the title of a catalogue entry (the UI shows those as problem headings and in the
    Troubleshooter's list)."""
    ui = _ui_strings()
    titles = {e.title for e in CATALOGUE.values()}
    missing = [
        (where, label)
        for where, text in _seller_texts()
        for label in quoted_labels(text)
        if label not in titles and not any(label in s for s in ui)
    ]
    assert not missing


def test_entries_cite_only_identifiers_the_ui_shows() -> None:
    """A reason code the entry names is a real code (the UI prints 'Reason code: …'); any other id or name of
    an id ("log ID", "E001") must appear in the UI's strings."""
    ui = " ".join(_ui_strings())
    missing = []
    for where, text in _seller_texts():
        for ident in identifiers(text):
            if ident in REASON_CODES or (ident == "reason code" and "Reason code" in ui):
                continue
            if ident not in ui:
                missing.append((where, ident))
    assert not missing


# --------------------------------------------------------------------------- every code is raised somewhere

ERROR_CLASSES = {name: cls for name, cls in vars(errors).items()
                 if isinstance(cls, type) and issubclass(cls, LinkkitError)}


def _callee(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


class _Module:
    def __init__(self, path: Path) -> None:
        self.tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        self.parents = {child: node for node in ast.walk(self.tree) for child in ast.iter_child_nodes(node)}
        self.globals: dict[str, ast.expr] = {}
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
                for target in stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]:
                    if isinstance(target, ast.Name):
                        self.globals[target.id] = stmt.value

    def function_of(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        while node in self.parents:
            node = self.parents[node]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                return node
        return None


class RaiseSites:
    """Where each reason code reaches an error linkkit raises (or returns to raise).

    A code counts when it is the ``reason=`` of a call to a :mod:`linkkit.errors` class — a literal, a
    conditional of literals, a variable assigned one in that function (or a parameter's default), a value of
    a mapping looked up there, or what a helper called there returns — or the ``default_reason`` of a class
    called without ``reason=``, or (for ``RuleViolation(reason=violation.reason)``) the reason of a
    ``rules.Rule``. A code merely mentioned (a docstring, a UI label, a dict the UI reads) does not count.
    """

    def __init__(self, package: Path, skip: set[str]) -> None:
        self.package = package
        self.modules: dict[str, _Module] = {}
        self.functions: dict[str, list[tuple[_Module, ast.FunctionDef | ast.AsyncFunctionDef]]] = {}
        for path in sorted(package.rglob("*.py")):
            rel = path.relative_to(package).as_posix()
            if rel.split("/")[0] in skip:
                continue
            self.modules[rel] = module = _Module(path)
            for node in ast.walk(module.tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    self.functions.setdefault(node.name, []).append((module, node))

    def rule_reasons(self) -> set[str]:
        tree = ast.parse((self.package / "rules.py").read_text(encoding="utf-8"))
        return {node.args[1].value for node in ast.walk(tree) if isinstance(node, ast.Call)
                and _callee(node) == "Rule" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)}

    def codes(self, expr: ast.AST | None, module: _Module, func: ast.AST | None,
              seen: frozenset[str] = frozenset()) -> set[str]:
        if isinstance(expr, ast.Constant):
            return {expr.value} & REASON_CODES if isinstance(expr.value, str) else set()
        if isinstance(expr, ast.IfExp):
            return self.codes(expr.body, module, func, seen) | self.codes(expr.orelse, module, func, seen)
        if isinstance(expr, ast.BoolOp | ast.Dict):
            values = expr.values
            return set().union(*(self.codes(v, module, func, seen) for v in values))
        if isinstance(expr, ast.Subscript):  # mapping[key]: the mapping's values
            return self.codes(expr.value, module, func, seen)
        if isinstance(expr, ast.GeneratorExp):  # (r for key, r in MAPPING.items() if ...)
            return set().union(*(self.codes(g.iter, module, func, seen) for g in expr.generators))
        if isinstance(expr, ast.Call):
            return self._call_codes(expr, module, func, seen)
        if isinstance(expr, ast.Name):
            return self._name_codes(expr.id, module, func, seen)
        return set()

    def _call_codes(self, call: ast.Call, module: _Module, func: ast.AST | None, seen: frozenset[str]) -> set[str]:
        f = call.func
        if isinstance(f, ast.Attribute) and f.attr in ("get", "items", "values"):  # mapping.get(key, default)
            found = self.codes(f.value, module, func, seen)
            return found.union(*(self.codes(a, module, func, seen) for a in call.args[1:]))
        if isinstance(f, ast.Name) and f.id == "next":
            return set().union(*(self.codes(a, module, func, seen) for a in call.args))
        name = _callee(call)  # a helper that returns the code
        if name in seen:
            return set()
        found: set[str] = set()
        for other, fn in self.functions.get(name, ()):
            for node in ast.walk(fn):
                if isinstance(node, ast.Return):
                    found |= self.codes(node.value, other, fn, seen | {name})
        return found

    def _name_codes(self, name: str, module: _Module, func: ast.AST | None, seen: frozenset[str]) -> set[str]:
        if name in seen:
            return set()
        seen = seen | {name}
        found: set[str] = set()
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(func):
                if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                                        for t in node.targets):
                    found |= self.codes(node.value, module, func, seen)
            args = func.args
            positional = args.args[len(args.args) - len(args.defaults):]
            for arg, default in [*zip(positional, args.defaults), *zip(args.kwonlyargs, args.kw_defaults)]:
                if arg.arg == name:
                    found |= self.codes(default, module, func, seen)
        if name in module.globals:
            found |= self.codes(module.globals[name], module, None, seen)
        return found

    def sites(self) -> dict[str, set[str]]:
        """Reason code -> ``module:line`` of each error construction that can carry it."""
        found: dict[str, set[str]] = {}
        for rel, module in self.modules.items():
            for node in ast.walk(module.tree):
                if not (isinstance(node, ast.Call) and _callee(node) in ERROR_CLASSES):
                    continue
                reason = next((k.value for k in node.keywords if k.arg == "reason"), None)
                if reason is None:
                    codes = {ERROR_CLASSES[_callee(node)].default_reason}
                elif (isinstance(reason, ast.Attribute) and reason.attr == "reason"
                      and _callee(node) == "RuleViolation"):
                    codes = self.rule_reasons()
                else:
                    codes = self.codes(reason, module, module.function_of(node))
                for code in codes:
                    found.setdefault(code, set()).add(f"{rel}:{node.lineno}")
        return found


NOT_SCANNED = {"errors.py", "guide.py", "troubleshoot"}


def test_every_code_is_raised_somewhere() -> None:
    sites = RaiseSites(PACKAGE_DIR, NOT_SCANNED).sites()
    never = sorted(REASON_CODES - set(sites))
    assert not never, f"reason codes no error in the package carries: {never}"


def test_raise_site_finder_ignores_mere_mentions(tmp_path: Path) -> None:
    (tmp_path / "rules.py").write_text("Rule('x', 'both_roles', 't', 't', 's')\n")
    (tmp_path / "mod.py").write_text(
        "LABELS = {'clock_skew': 'Clock'}\n"
        "def f(x):\n"
        "    '''Raises pkce_mismatch sometimes.'''\n"
        "    note = 'signature_invalid'\n"
        "    raise ProviderError('m', reason='rate_limited')\n"
        "def g(code=\"token_expired\"):\n"
        "    return ProviderError('m', reason=code)\n"
    )
    assert set(RaiseSites(tmp_path, set()).sites()) == {"rate_limited", "token_expired"}


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


@pytest.mark.parametrize("module", [troubleshoot, catalogue, faq, search_module, guide])
def test_docstring_examples_run(module: object) -> None:
    result = doctest.testmod(module, raise_on_error=False)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("module", [troubleshoot, catalogue, faq, search_module, guide])
def test_all_is_sorted_and_exported(module: object) -> None:
    names = module.__all__  # type: ignore[attr-defined]

    def isort_key(name: str) -> tuple[int, str]:  # constants, then classes, then functions (ruff RUF022)
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert names == sorted(names, key=isort_key)
    assert all(hasattr(module, name) for name in names)
