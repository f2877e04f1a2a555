"""The console in a real browser against a real `pdex serve`: the citizen's flow on both
engines, the rest once (`slow`). Art. 18: elderly and disabled users (keyboard only, axe-core,
320 px, large text); Art. 27 and PIPL Art. 15: grant, see every use, revoke as easily."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

AXE = Path(__file__).with_name("axe.min.js")  # axe-core 4.14.1 from npm (MPL-2.0): a test asset
VECTORS = Path(__file__).parents[1] / "data" / "rfc6962-vectors.json"
PURPOSE = "Console test: rental deposit check"
SELF_CERT = "certificate:BUSINESS_LICENCE"


def open_console(browser, server, *, role: str, **context):
    page = browser.new_context(**context).new_page()
    page.goto(f"{server.base}/console/")
    page.wait_for_selector(f"[data-role={role}]")
    page.click(f"[data-role={role}]")
    page.wait_for_function(
        "() => (document.body.dataset.ready || 'signin').split(':')[0] !== 'signin'"
    )
    return page


def wait_page(page, name: str, count_before: int) -> None:
    """Until the console reports page `name` rendered after `count_before` renders."""
    page.wait_for_function(
        "([name, n]) => { const r = document.body.dataset.ready || ''; const [p, k] = r.split(':');"
        " return p === name && Number(k) > n; }",
        arg=[name, count_before],
    )


def renders(page) -> int:
    return page.evaluate("pdexConsole.stats.history.length")


def history(page) -> list[dict]:
    return page.evaluate("pdexConsole.stats.history")


def navigate(page, name: str) -> None:
    before = renders(page)
    page.evaluate("(h) => { location.hash = h; }", f"#/{name}")
    wait_page(page, name.split("/")[0], before)


def use(server, consent_id: str, *, item: str = SELF_CERT) -> dict:
    return server.graphql(
        "market_entity",
        "mutation ($input: AuthorizeDataUseInput!) { authorizeDataUse(input: $input) {"
        " allowed dataUse { reason } userErrors { code } } }",
        input={"consentId": consent_id, "item": item, "purpose": PURPOSE},
    )["authorizeDataUse"]


def my_consent(server) -> dict:
    nodes = server.graphql(
        "data_subject", "{ myConsents(first: 100) { nodes { id purpose status } } }"
    )["myConsents"]["nodes"]
    return next(c for c in nodes if c["purpose"] == PURPOSE)


def consent_uuid(global_id: str) -> str:
    return base64.b64decode(global_id).decode()  # "Consent:<uuid>"


def grantee_id(server) -> str:
    return server.graphql("market_entity", "{ viewer { organization { id } } }")["viewer"][
        "organization"
    ]["id"]


@pytest.mark.article(18)
@pytest.mark.article(27)
@pytest.mark.article(15, law="PIPL")
def test_citizen_grants_sees_the_use_verifies_the_receipt_and_revokes(
    browser, server, output, figures
):
    page = open_console(browser, server, role="data_subject")
    page.screenshot(path=str(output / "citizen.png"), full_page=True)

    navigate(page, "grant")
    page.select_option("#grantee", grantee_id(server))
    page.check(f"input[value='{SELF_CERT}']")
    page.fill("#purpose", PURPOSE)
    page.select_option("#mode", "PERIODIC")  # a one-time consent is used up by its first use
    page.fill("#max-uses", "5")
    page.screenshot(path=str(output / "grant.png"), full_page=True)
    before = renders(page)
    page.click("form button[type=submit]")
    wait_page(page, "citizen", before)
    consent = my_consent(server)
    assert consent["status"] == "ACTIVE"

    # A use made through the API appears in the timeline.
    assert use(server, consent["id"])["allowed"] is True
    navigate(page, "grant")
    navigate(page, "citizen")
    allowed = page.locator("ol.timeline li.allowed", has_text=PURPOSE)
    assert allowed.count() == 1

    # The receipt verifies in the browser; a tampered one does not.
    navigate(page, f"verify/{consent['id']}")
    with page.expect_download() as download:
        page.click("a[download]")
    downloaded = Path(download.value.path())
    bundle = json.loads(downloaded.read_text())
    assert bundle["receipt"]["consentReceiptID"] in consent_uuid(consent["id"])
    page.fill("#receipt-json", "")
    page.set_input_files("#receipt-file", str(downloaded))
    page.wait_for_function("() => document.querySelector('#receipt-json').value.length > 0")
    page.click("#main form button[type=submit]")
    page.wait_for_selector("[data-verified]")
    page.screenshot(path=str(output / "verify.png"), full_page=True)
    assert page.get_attribute("[data-verified]", "data-verified") == "true"
    assert page.locator("#verify-result li", has_text="✗").count() == 0
    entry = json.loads(next(iter(bundle["documents"].values())))
    entry["body"]["purpose"] = "Anything at all"
    tampered = dict(bundle, documents={k: json.dumps(entry) for k in bundle["documents"]})
    page.fill("#receipt-json", "")
    page.set_input_files(
        "#receipt-file",
        files=[
            {
                "name": "receipt.json",
                "mimeType": "application/json",
                "buffer": json.dumps(tampered).encode(),
            }
        ],
    )
    page.wait_for_function("() => document.querySelector('#receipt-json').value.length > 0")
    page.click("#main form button[type=submit]")
    page.wait_for_selector("[data-verified=false]")
    page.screenshot(path=str(output / "verify-tampered.png"), full_page=True)

    # Revoke with one confirmation; the next use is denied and shows as denied.
    navigate(page, "citizen")
    page.click(f"tr:has-text('{PURPOSE}') button.danger")
    before = renders(page)
    page.click("dialog button[value=yes]")
    wait_page(page, "citizen", before)
    assert my_consent(server)["status"] == "REVOKED"
    denied = use(server, consent["id"])
    assert denied["allowed"] is False and denied["dataUse"]["reason"] == "REVOKED"
    navigate(page, "grant")
    navigate(page, "citizen")
    assert page.locator("ol.timeline li.denied", has_text=PURPOSE).count() == 1

    figures.add("citizen", history(page))
    assert all(row["requests"] <= 3 for row in history(page)), history(page)
    page.context.close()


@pytest.mark.slow
def test_sign_in_through_openid_connect_with_pkce(browser, server, issuer):
    page = browser.new_context().new_page()
    page.goto(f"{server.base}/console/")
    page.click("button.primary >> text=统一身份认证")
    page.wait_for_function("() => (document.body.dataset.ready || '').startsWith('citizen')")
    authorize = next(r["authorize"] for r in issuer.requests if "authorize" in r)
    assert authorize["code_challenge_method"] == "S256" and len(authorize["code_challenge"]) == 43
    assert authorize["redirect_uri"] == f"{server.base}/console/"
    token_request = next(r["token"] for r in issuer.requests if "token" in r)
    assert "client_secret" not in token_request  # a public client: PKCE instead of a secret
    # The code is gone from the address bar; nothing of the flow or the token is stored.
    assert "code=" not in page.url
    assert page.evaluate("() => [sessionStorage.length, localStorage.getItem('pdex.token')]") == [
        0,
        None,
    ]
    page.context.close()


@pytest.mark.slow
@pytest.mark.article(29, law="PIPL")
def test_sensitive_items_need_the_separate_consent_with_the_pipl_text(browser, server, output):
    page = open_console(browser, server, role="data_subject")
    navigate(page, "grant")
    assert page.is_hidden("#separate")
    page.select_option("#grantee", grantee_id(server))
    page.check("input[value='item:jm.hrss.social-insurance']")  # sensitive in the catalogue
    assert page.is_visible("#separate") and "第二十九条" in page.inner_text("#pipl-text")
    page.fill("#purpose", "Sensitive without the separate consent")
    page.click("form button[type=submit]")
    page.wait_for_selector("#grant-errors [role=alert]")
    assert my_consents_named(server, "Sensitive without the separate consent") == []
    page.screenshot(path=str(output / "grant-separate-consent.png"), full_page=True)
    page.check("#separate-ok")
    before = renders(page)
    page.click("form button[type=submit]")
    wait_page(page, "citizen", before)
    assert my_consents_named(server, "Sensitive without the separate consent") == ["ACTIVE"]
    page.context.close()


def my_consents_named(server, purpose: str) -> list[str]:
    nodes = server.graphql(
        "data_subject", "{ myConsents(first: 100) { nodes { purpose status } } }"
    )
    return [c["status"] for c in nodes["myConsents"]["nodes"] if c["purpose"] == purpose]


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the (Playwright) `selector`'s element has the focus."""
    target = page.locator(selector).first.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(el) => document.activeElement === el", target):
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.mark.slow
@pytest.mark.article(18)
def test_grant_and_revoke_with_the_keyboard_only(browser, server, output, figures):
    page = browser.new_context().new_page()
    page.goto(f"{server.base}/console/")
    page.wait_for_selector("[data-role=data_subject]")
    tab_to(page, "[data-role=data_subject]")
    page.keyboard.press("Enter")
    wait_page(page, "citizen", 0)
    tab_to(page, "a[href='#/grant']")
    before = renders(page)
    page.keyboard.press("Enter")
    wait_page(page, "grant", before)
    grantee = grantee_id(server)
    tab_to(page, "#grantee")
    for _ in range(20):
        if page.evaluate("document.activeElement.value") == grantee:
            break
        page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.value") == grantee
    tab_to(page, "input[value='certificate:MARRIAGE_CERTIFICATE']")
    page.keyboard.press("Space")
    tab_to(page, "#purpose")
    page.keyboard.type("Keyboard purpose")
    tab_to(page, "form button[type=submit]")
    before = renders(page)
    page.keyboard.press("Enter")
    wait_page(page, "citizen", before)
    row = "tr:has-text('Keyboard purpose')"
    tab_to(page, f"{row} button.danger")
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog[open]")
    # The safe answer has the focus; Shift+Tab twice reaches the revoke button.
    assert page.evaluate("document.activeElement.value") == "no"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.value") == "yes"
    before = renders(page)
    page.keyboard.press("Enter")
    wait_page(page, "citizen", before)
    statuses = server.graphql(
        "data_subject", "{ myConsents(first: 100) { nodes { purpose status } } }"
    )
    assert {"purpose": "Keyboard purpose", "status": "REVOKED"} in statuses["myConsents"]["nodes"]
    page.context.close()


@pytest.mark.slow
@pytest.mark.article(26)
def test_regulator_reads_the_chart_and_acknowledges_an_alert(browser, server, output, figures):
    page = open_console(browser, server, role="authority")
    assert page.locator("#evaluation-chart rect").count() >= 2
    assert page.locator("#indicator-chart rect").count() >= 5
    page.screenshot(path=str(output / "regulator.png"), full_page=True)
    open_before = page.locator("button", has_text="确认已知悉").count()
    assert open_before >= 1
    page.locator("button", has_text="确认已知悉").first.click()
    page.fill("#dlg-field", "Seen; broker asked for its flow records")
    before = renders(page)
    page.click("dialog button[value=yes]")
    wait_page(page, "regulator", before)
    assert page.locator("button", has_text="确认已知悉").count() == open_before - 1
    alerts = server.graphql(
        "authority", "{ riskAlerts(status: ACKNOWLEDGED) { nodes { acknowledgement } } }"
    )
    assert any(a["acknowledgement"].startswith("Seen;") for a in alerts["riskAlerts"]["nodes"])
    figures.add("regulator", history(page))
    assert all(row["requests"] <= 3 for row in history(page))
    page.context.close()


def rows_of(page, board: str) -> list[str]:
    return page.locator(f"#{board} tbody tr").all_inner_texts()


@pytest.mark.slow
@pytest.mark.article(15)
@pytest.mark.article(30)
@pytest.mark.article(33)
@pytest.mark.article(35)
def test_regulator_sees_share_overdue_board_scorecards_and_rectifications(
    browser, server, output, figures
):
    page = open_console(browser, server, role="authority")
    api = server.graphql(
        "authority",
        "{ shareOverdueBoard { lateAnswers overdueAnswers sourceDepartment { name } }"
        " agencyScorecards(first: 100) { nodes { periodEnd grade agency { name } } }"
        " rectifications(first: 100) { nodes { status agency { name } } } }",
    )
    board = rows_of(page, "share-overdue-board")
    assert len(board) == len(api["shareOverdueBoard"]) >= 1
    late = [r for r in api["shareOverdueBoard"] if r["lateAnswers"] or r["overdueAnswers"]]
    assert late  # the demo's Natural Resources request was answered late
    assert any(late[0]["sourceDepartment"]["name"] in row for row in board)
    # Art. 30: the last period only, every agency with its grade
    cards = api["agencyScorecards"]["nodes"]
    last = max(c["periodEnd"] for c in cards)
    latest = [c for c in cards if c["periodEnd"] == last]
    shown = rows_of(page, "agency-scorecards")
    assert len(shown) == len(latest) >= 2
    for card in latest:
        assert any(card["agency"]["name"] in r and card["grade"] in r for r in shown), shown
    # Art. 35 open orders and Art. 33 escalations; accepted ones are not on the board
    open_ = [r for r in api["rectifications"]["nodes"] if r["status"] != "ACCEPTED"]
    shown = rows_of(page, "rectifications")
    assert len(shown) == len(open_) >= 2
    assert any("整改中" in r for r in shown) and any("已报上级政府" in r for r in shown)
    page.screenshot(path=str(output / "regulator-boards.png"), full_page=True)
    figures.add("regulator-boards", history(page))
    assert all(row["requests"] <= 3 for row in history(page)), history(page)
    page.context.close()


@pytest.mark.slow
@pytest.mark.article(15)
@pytest.mark.article(30)
@pytest.mark.article(35)
def test_agency_sees_incoming_share_requests_due_dates_scorecard_and_rectification(
    browser, server, output, figures
):
    page = open_console(browser, server, role="agency")
    me = server.graphql("agency", "{ viewer { organization { id name } } }")["viewer"]
    org = me["organization"]
    api = server.graphql(
        "agency",
        "query ($o: ID) { shareRequests(filter: { sourceDepartment: $o }, first: 100) {"
        " nodes { answeredLate requester { name } } }"
        " agencyScorecards(agencyId: $o) { nodes { grade agency { name } } }"
        " rectifications(agencyId: $o) { nodes { status } } }",
        o=org["id"],
    )
    incoming = rows_of(page, "share-requests")
    assert len(incoming) == len(api["shareRequests"]["nodes"]) >= 2
    assert all(r["requester"]["name"] != org["name"] for r in api["shareRequests"]["nodes"])
    # Art. 15: the request answered after its 5 working days is marked late
    assert any(r["answeredLate"] for r in api["shareRequests"]["nodes"])
    assert any("逾期办结" in row for row in incoming), incoming
    cards = rows_of(page, "my-scorecards")
    assert len(cards) == len(api["agencyScorecards"]["nodes"]) >= 1
    assert all(org["name"] in row for row in cards)
    assert api["agencyScorecards"]["nodes"][0]["grade"] in cards[0]
    orders = rows_of(page, "my-rectifications")
    assert len(orders) == len(api["rectifications"]["nodes"]) >= 1
    assert any("整改中" in row for row in orders), orders
    page.screenshot(path=str(output / "agency.png"), full_page=True)
    figures.add("agency", history(page))
    assert all(row["requests"] <= 3 for row in history(page)), history(page)
    page.context.close()


PAGES = {
    "data_subject": ["citizen", "grant", "verify", "complaint"],
    "authority": ["regulator"],
    "auditor": ["regulator"],  # risk alerts are the authority's: the rest still shows
    "agency": ["agency"],
    "broker": ["broker"],
    "market_entity": ["broker"],
}


def axe_problems(page) -> list[str]:
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("axe.run(document, { resultTypes: ['violations'] })")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.slow
@pytest.mark.article(18)
def test_every_page_passes_axe_in_both_languages_and_at_320_px(browser, server, output, figures):
    problems: dict[str, list[str]] = {}
    page = browser.new_context(bypass_csp=True).new_page()  # axe is injected as a script
    page.goto(f"{server.base}/console/")
    page.wait_for_selector("[data-role]")
    problems["signin"] = axe_problems(page)
    page.screenshot(path=str(output / "signin.png"), full_page=True)
    page.context.close()
    for role, names in PAGES.items():
        page = open_console(browser, server, role=role, bypass_csp=True)
        for name in names:
            if name != page.evaluate("document.body.dataset.ready.split(':')[0]"):
                navigate(page, name)
            problems[name] = axe_problems(page)
            page.screenshot(path=str(output / f"{name}.png"), full_page=True)
        figures.add(f"pages-{role}", history(page))
        assert all(row["requests"] <= 3 for row in history(page)), history(page)
        page.context.close()
    # English, large text, 320 px: the citizen's dashboard still reflows without sideways scrolling.
    page = open_console(
        browser,
        server,
        role="data_subject",
        bypass_csp=True,
        viewport={"width": 320, "height": 640},
    )
    before = renders(page)
    page.click("#lang")
    wait_page(page, "citizen", before)
    page.click("#large")
    assert page.evaluate("document.documentElement.lang") == "en"
    # Dates are shown in Asia/Shanghai whatever the browser's zone: 16:30 UTC is the next day.
    assert "2027" in page.evaluate("pdexConsole.fmtDate('2026-12-31T16:30:00Z')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    problems["citizen-en-large-320"] = axe_problems(page)
    page.screenshot(path=str(output / "citizen-en-large-320.png"), full_page=True)
    page.context.close()
    assert {k: v for k, v in problems.items() if v} == {}


@pytest.mark.slow
def test_browser_merkle_matches_the_rfc_6962_vectors(browser, server):
    """The console's verifier (console/merkle.js, Web Crypto) on the transparency-dev probes."""
    page = browser.new_context().new_page()
    page.goto(f"{server.base}/console/")
    vectors = json.loads(VECTORS.read_text())
    outcome = page.evaluate(
        """async (v) => {
          const m = await import('/console/merkle.js');
          const bad = [];
          const hx = (s) => m.unhex(s || '');
          for (const p of v.inclusion_probes) {
            const ok = await m.verifyInclusion(hx(p.leafHash), p.leafIdx, p.treeSize, (p.proof || []).map(hx), hx(p.root));
            if (ok === p.wantErr) bad.push('inclusion ' + p.file);
          }
          for (const p of v.consistency_probes) {
            const ok = await m.verifyConsistency(p.size1, p.size2, hx(p.root1), hx(p.root2), (p.proof || []).map(hx));
            if (ok === p.wantErr) bad.push('consistency ' + p.file);
          }
          const leaves = v.leaf_inputs_hex.map(hx);
          const leafHashes = await Promise.all(leaves.map((l) => m.leafHash(l)));
          if (m.hex(leafHashes[0]) !== v.node_hashes_by_level[0][0]) bad.push('leaf 0');
          return { bad, probes: v.inclusion_probes.length + v.consistency_probes.length };
        }""",
        vectors,
    )
    assert outcome["probes"] > 50
    assert outcome["bad"] == []
    page.context.close()
