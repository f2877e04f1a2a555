// The pages. Each is `async (arg) => content` and makes at most 3 GraphQL requests to load.
import { announce, fieldError, gql, gqlParts, go, h, mutate, oidcStart, session, signIn } from "./app.js";
import { barChart, indicatorBars } from "./chart.js";
import { fmtDate, fmtNumber, t } from "./i18n.js";
import { verifyReceipt } from "./merkle.js";

const CERTIFICATES = [
  "RESIDENT_ID_CARD",
  "BUSINESS_LICENCE",
  "SOCIAL_INSURANCE_RECORD",
  "HOUSEHOLD_REGISTER",
  "MARRIAGE_CERTIFICATE",
  "REAL_ESTATE_CERTIFICATE",
  "DRIVING_LICENCE",
  "VEHICLE_REGISTRATION",
  "MEDICAL_RECORD",
  "TAX_PAYMENT_CERTIFICATE",
  "ACADEMIC_CERTIFICATE",
];

// --- small parts ----------------------------------------------------------------------------

const section = (title, ...content) => {
  const id = `s-${Math.random().toString(36).slice(2, 8)}`;
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...content);
};

const badge = (kind, text) => h("span", { class: `badge badge-${kind}` }, text);

/** A table that scrolls sideways on narrow screens (a focusable, labelled region). */
function table(caption, headers, rows) {
  if (!rows.length) return h("p", {}, t("none"));
  return h(
    "div",
    { class: "scroll", role: "region", "aria-label": caption, tabindex: "0" },
    h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c))))),
    ),
  );
}

function errorList(errors) {
  return h(
    "ul",
    { class: "error", role: "alert" },
    errors.map((e) => h("li", {}, e.field ? `${e.field}: ${e.message}` : e.message)),
  );
}

const itemLabel = (item) => {
  const [kind, code] = item.split(":");
  return kind === "certificate" ? t(`cert_${code}`) : code;
};

const orgName = (org) => org?.name ?? "—";

/** One confirmation in a modal <dialog>: Escape cancels, focus returns where it was. */
function confirmDialog({ title, text, fieldLabel, confirmText }) {
  return new Promise((resolve) => {
    const input = fieldLabel ? h("input", { id: "dlg-field", type: "text", autocomplete: "off" }) : null;
    const opener = document.activeElement;
    const dialog = h(
      "dialog",
      { "aria-labelledby": "dlg-title", "aria-describedby": "dlg-text" },
      h(
        "form",
        { method: "dialog" },
        h("h2", { id: "dlg-title" }, title),
        h("p", { id: "dlg-text" }, text),
        input ? h("p", {}, h("label", { for: "dlg-field" }, fieldLabel), input) : null,
        h(
          "div",
          { class: "buttons" },
          h("button", { type: "submit", value: "yes", class: "danger" }, confirmText),
          h("button", { type: "submit", value: "no", autofocus: true }, t("cancel")),
        ),
      ),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      opener?.focus?.();
      resolve(dialog.returnValue === "yes" ? { note: input?.value ?? "" } : null);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// --- sign-in --------------------------------------------------------------------------------

async function signin() {
  const parts = [];
  const problem = h("p", { class: "error", role: "alert" }, session.oidcError || "");
  const fail = (err) => {
    problem.textContent = t("error", { m: err.message });
  };
  parts.push(problem);
  if (session.config.oidc) {
    parts.push(
      h("p", {}, h("button", { type: "button", class: "primary", onclick: () => oidcStart().catch(fail) }, t("oidc"))),
    );
  }
  const demo = session.config.demoTokens || {};
  if (Object.keys(demo).length) {
    parts.push(
      section(
        t("demoRoles"),
        h("p", {}, t("demoHint")),
        h(
          "ul",
          { class: "roles" },
          Object.entries(demo).map(([role, token]) =>
            h(
              "li",
              {},
              h(
                "button",
                { type: "button", "data-role": role, onclick: () => signIn(token).catch(fail) },
                t(`role_${role.toUpperCase()}`),
              ),
            ),
          ),
        ),
      ),
    );
  }
  const field = h("textarea", { id: "token", rows: "3", "aria-describedby": "token-help", spellcheck: "false" });
  parts.push(
    section(
      t("pasteToken"),
      h(
        "form",
        {
          onsubmit: (event) => {
            event.preventDefault();
            if (field.value.trim()) signIn(field.value).catch(fail);
          },
        },
        h("label", { for: "token" }, t("tokenLabel")),
        field,
        h("p", { id: "token-help", class: "help" }, t("tokenHelp")),
        h("button", { type: "submit", class: "primary" }, t("signIn")),
      ),
    ),
  );
  return parts;
}

// --- citizen --------------------------------------------------------------------------------

const CONSENT_FIELDS = `id purpose scenario status validFrom validUntil uses maxUses separate
  ledgerSeq revokeSeq grantee { id name } items { item sensitive }`;

async function citizen() {
  const { data } = await gql(`{
    myConsents(first: 100) { nodes { ${CONSENT_FIELDS} } }
    myDataUses(first: 100) { nodes { id item purpose outcome reason at user { name } } }
    myComplaints(first: 50) { nodes { id text status receivedAt dueAt dueProvisional overdue against { name } } }
  }`);
  const consents = data.myConsents.nodes;
  const rows = consents.map((c) => [
    orgName(c.grantee),
    h("ul", { class: "plain" }, c.items.map((i) => h("li", {}, itemLabel(i.item), i.sensitive ? [" ", badge("warn", t("sensitive"))] : null))),
    [c.purpose, c.scenario ? h("br") : null, c.scenario ? h("small", {}, c.scenario) : null],
    fmtDate(c.validUntil),
    badge(c.status === "ACTIVE" ? "ok" : "muted", t(`st_${c.status}`)),
    c.maxUses ? `${c.uses} / ${c.maxUses}` : String(c.uses),
    h(
      "div",
      { class: "buttons" },
      h("a", { href: `#/verify/${c.id}`, "aria-label": t("receiptOf", { p: c.purpose }) }, t("receipt")),
      c.status === "ACTIVE" || c.status === "NOT_YET_VALID"
        ? h(
            "button",
            {
              type: "button",
              class: "danger",
              "aria-label": t("revokeOf", { g: orgName(c.grantee) }),
              onclick: () => revoke(c),
            },
            t("revoke"),
          )
        : null,
    ),
  ]);
  const uses = data.myDataUses.nodes;
  const timeline = uses.length
    ? h(
        "ol",
        { class: "timeline" },
        uses.map((u) =>
          h(
            "li",
            { class: u.outcome === "DENIED" ? "denied" : "allowed" },
            h("time", { datetime: u.at }, fmtDate(u.at)),
            " ",
            badge(u.outcome === "DENIED" ? "bad" : "ok", t(`out_${u.outcome}`)),
            " ",
            t("usedBy", { o: orgName(u.user), i: itemLabel(u.item), p: u.purpose }),
            u.reason ? h("span", {}, ` — ${t("reason")}: ${t(`dr_${u.reason}`)}`) : null,
          ),
        ),
      )
    : h("p", {}, t("none"));
  return [
    h("p", {}, h("a", { href: "#/grant", class: "button primary" }, t("page_grant"))),
    section(
      t("consents"),
      table(t("consents"), [t("grantee"), t("items"), t("purpose"), t("validUntil"), t("status"), t("uses"), t("actions")], rows),
    ),
    section(t("timeline"), h("p", { class: "help" }, t("timelineHelp")), timeline),
    section(t("complaints"), complaintList(data.myComplaints.nodes), h("p", {}, h("a", { href: "#/complaint" }, t("fileComplaint")))),
  ];
}

function complaintList(complaints) {
  return table(
    t("complaints"),
    [t("against"), t("complaintText"), t("status"), t("dueAt")],
    complaints.map((c) => [
      orgName(c.against),
      c.text,
      badge(c.status === "RESOLVED" ? "ok" : "muted", t(`cs_${c.status}`)),
      [fmtDate(c.dueAt, false), c.dueProvisional ? t("dueProvisional") : "", c.overdue ? [" ", badge("bad", t("overdue"))] : null],
    ]),
  );
}

async function revoke(consent) {
  const answer = await confirmDialog({
    title: t("revokeOf", { g: orgName(consent.grantee) }),
    text: t("revokeConfirm"),
    fieldLabel: t("revokeReason"),
    confirmText: t("confirm"),
  });
  if (!answer) return;
  const payload = await mutate(
    `mutation ($input: RevokeConsentInput!) { revokeConsent(input: $input) { consent { id status } userErrors { field message code } } }`,
    { consentId: consent.id, reason: answer.note },
  );
  if (payload.userErrors.length) {
    announce(payload.userErrors.map((e) => e.message).join(" "));
    return;
  }
  announce(t("revoked"));
  go("citizen");
}

// --- grant wizard ---------------------------------------------------------------------------

function addDays(days) {
  const d = new Date(Date.now() + days * 86400000);
  return d.toISOString().slice(0, 10);
}

async function grant() {
  const { data } = await gql(`{
    organizations(first: 100) { nodes { id name kind } }
    dataItems(first: 100) { nodes { code name sensitivePersonal } }
  }`);
  const grantees = data.organizations.nodes.filter((o) => ["MARKET_ENTITY", "BROKER", "AGENCY"].includes(o.kind));
  const errors = h("div", { id: "grant-errors" });
  const separate = h("fieldset", { id: "separate", hidden: true }, h("legend", {}, t("step5")));
  const separateBox = h("input", { type: "checkbox", id: "separate-ok", name: "separate" });
  separate.append(
    h("p", { class: "pipl", id: "pipl-text" }, t("separateText")),
    h("p", {}, separateBox, " ", h("label", { for: "separate-ok" }, t("separateAgree"))),
  );
  const form = h("form", { novalidate: true });
  const sensitiveChosen = () =>
    [...form.querySelectorAll("input[name=item]:checked")].some((box) => box.dataset.sensitive === "1");
  const updateSeparate = () => {
    if (sensitiveChosen()) separate.hidden = false;
  };
  const check = (name, value, label, sensitive) => {
    const id = `${name}-${value.replace(/[^a-z0-9]/gi, "-")}`;
    return h(
      "li",
      {},
      h("input", { type: "checkbox", id, name, value, "data-sensitive": sensitive ? "1" : "0", onchange: updateSeparate }),
      " ",
      h("label", { for: id }, label, sensitive ? [" ", badge("warn", t("sensitive"))] : null),
    );
  };
  form.append(
    h(
      "fieldset",
      {},
      h("legend", {}, t("step1")),
      h("label", { for: "grantee" }, t("grantee")),
      h("select", { id: "grantee", required: true }, h("option", { value: "" }, "—"), grantees.map((o) => h("option", { value: o.id }, o.name))),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, t("step2")),
      h("h3", {}, t("dataItems")),
      h("ul", { class: "plain checks" }, data.dataItems.nodes.map((i) => check("item", `item:${i.code}`, i.name, i.sensitivePersonal))),
      h("h3", {}, t("certificates")),
      h("ul", { class: "plain checks" }, CERTIFICATES.map((c) => check("item", `certificate:${c}`, t(`cert_${c}`), false))),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, t("step3")),
      h("label", { for: "purpose" }, t("purpose")),
      h("input", { id: "purpose", type: "text", required: true, autocomplete: "off" }),
      h("label", { for: "scenario" }, t("scenario")),
      h("input", { id: "scenario", type: "text", autocomplete: "off" }),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, t("step4")),
      h("label", { for: "valid-until" }, t("validUntil")),
      h("input", { id: "valid-until", type: "date", required: true, value: addDays(90), min: addDays(1) }),
      h("label", { for: "mode" }, t("mode")),
      h("select", { id: "mode" }, ["ONE_TIME", "PERIODIC"].map((m) => h("option", { value: m }, t(`mode_${m}`)))),
      h("label", { for: "max-uses" }, t("maxUses")),
      h("input", { id: "max-uses", type: "number", min: "1", inputmode: "numeric" }),
    ),
    separate,
    errors,
    h("button", { type: "submit", class: "primary" }, t("grant")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const items = [...form.querySelectorAll("input[name=item]:checked")].map((box) => box.value);
    const problems = [];
    if (!form.grantee.value) problems.push({ field: t("grantee"), message: t("required") });
    if (!items.length) problems.push({ field: t("items"), message: t("chooseOne") });
    if (!form.purpose.value.trim()) problems.push({ field: t("purpose"), message: t("required") });
    if (problems.length) {
      errors.replaceChildren(errorList(problems));
      return;
    }
    const mode = form.mode.value;
    // Shanghai end of the chosen day: the window a person means by a date.
    const validUntil = `${form["valid-until"].value}T23:59:59+08:00`;
    const payload = await mutate(
      `mutation ($input: GrantConsentInput!) { grantConsent(input: $input) { consent { id } userErrors { field message code } } }`,
      {
        grantee: form.grantee.value,
        purpose: form.purpose.value.trim(),
        scenario: form.scenario.value.trim(),
        validUntil,
        dataItems: items.filter((i) => i.startsWith("item:")).map((i) => i.slice(5)),
        certificates: items.filter((i) => i.startsWith("certificate:")).map((i) => i.slice(12)),
        mode,
        maxUses: mode === "PERIODIC" && form["max-uses"].value ? Number(form["max-uses"].value) : null,
        frequency: mode === "PERIODIC" ? "P1D" : null,
        separate: separateBox.checked,
      },
    );
    if (payload.userErrors.length) {
      // PIPL Art. 29: the server knows which certificates are sensitive; show the text then.
      if (payload.userErrors.some((e) => e.code === "SEPARATE_CONSENT_REQUIRED")) separate.hidden = false;
      errors.replaceChildren(errorList(payload.userErrors));
      errors.querySelector("[role=alert]")?.setAttribute("tabindex", "-1");
      errors.querySelector("[role=alert]")?.focus();
      return;
    }
    announce(t("granted"));
    go("citizen");
  });
  return form;
}

// --- receipt verification -------------------------------------------------------------------

async function verify(consentId) {
  const result = h("div", { id: "verify-result", role: "status", "aria-live": "polite" });
  const area = h("textarea", { id: "receipt-json", rows: "8", spellcheck: "false" });
  const parts = [h("p", { class: "help" }, t("verifyHelp"))];
  if (consentId) {
    const { data } = await gql(
      `query ($id: ID!) { node(id: $id) { ... on Consent { id purpose ledgerSeq revokeSeq receipt { kantara } } } }`,
      { id: consentId },
    );
    const receipt = data.node?.receipt?.kantara;
    if (receipt) {
      const ledger = receipt.pdexLedger;
      const seqs = ledger.inclusionProofs.map((p) => p.seq);
      const aliases = seqs.map((s) => `e${s}: ledgerEntry(seq: ${Number(s)}) { seq document }`).join(" ");
      const second = await gql(`{ ${aliases} ledgerCheckpoint { treeSize rootHash } }`);
      const documents = {};
      for (const s of seqs) documents[s] = second.data[`e${s}`]?.document;
      const bundle = { receipt, documents };
      area.value = JSON.stringify(bundle, null, 2);
      const blob = new Blob([area.value], { type: "application/json" });
      parts.push(
        h("p", {}, h("a", { href: URL.createObjectURL(blob), download: `pdex-receipt-${receipt.consentReceiptID}.json`, class: "button" }, t("download"))),
      );
      session.currentCheckpoint = second.data.ledgerCheckpoint;
    }
  }
  const run = async () => {
    let bundle;
    try {
      bundle = JSON.parse(area.value);
    } catch (err) {
      result.replaceChildren(h("p", { class: "verdict bad" }, t("notVerified", { m: err.message })));
      return;
    }
    let current = null;
    const head = session.currentCheckpoint;
    const from = bundle?.receipt?.pdexLedger?.checkpoint?.treeSize;
    if (head && Number.isSafeInteger(from) && from > 0 && from <= head.treeSize) {
      const { data } = await gql(`query ($m: Int!, $n: Int!) { consistencyProof(fromSize: $m, toSize: $n) { hashes } }`, {
        m: from,
        n: head.treeSize,
      });
      current = { ...head, proof: data.consistencyProof?.hashes || [] };
    }
    const outcome = await verifyReceipt(bundle, { subject: session.viewer?.subject ?? null, current });
    result.replaceChildren(
      h("p", { class: `verdict ${outcome.ok ? "good" : "bad"}`, "data-verified": String(outcome.ok) }, outcome.ok ? t("verified") : t("notVerified", { m: outcome.problem || t("fail") })),
      h("ul", { class: "plain" }, outcome.checks.map((c) => h("li", {}, `${c.ok ? "✓" : "✗"} ${t(c.name)}: ${c.ok ? t("ok") : t("fail")}`))),
    );
  };
  parts.push(
    h(
      "form",
      {
        onsubmit: (event) => {
          event.preventDefault();
          run();
        },
      },
      h("label", { for: "receipt-file" }, t("receiptFile")),
      h("input", {
        id: "receipt-file",
        type: "file",
        accept: "application/json,.json",
        onchange: async (event) => {
          const file = event.target.files?.[0];
          if (file) area.value = await file.text();
        },
      }),
      h("label", { for: "receipt-json" }, t("receiptJson")),
      area,
      h("button", { type: "submit", class: "primary" }, t("verify")),
    ),
    result,
  );
  return parts;
}

// --- complaints -----------------------------------------------------------------------------

async function complaint() {
  const { data } = await gql(`{
    organizations(first: 100) { nodes { id name kind } }
    myConsents(first: 100) { nodes { id purpose grantee { name } } }
    myComplaints(first: 50) { nodes { id text status receivedAt dueAt dueProvisional overdue against { name } } }
  }`);
  const errors = h("div", {});
  const form = h(
    "form",
    {},
    h("label", { for: "against" }, t("against")),
    h("select", { id: "against", required: true }, h("option", { value: "" }, "—"), data.organizations.nodes.map((o) => h("option", { value: o.id }, o.name))),
    h("label", { for: "related" }, t("relatedConsent")),
    h("select", { id: "related" }, h("option", { value: "" }, "—"), data.myConsents.nodes.map((c) => h("option", { value: c.id }, `${c.purpose} — ${orgName(c.grantee)}`))),
    h("label", { for: "complaint-text" }, t("complaintText")),
    h("textarea", { id: "complaint-text", rows: "4", required: true }),
    errors,
    h("button", { type: "submit", class: "primary" }, t("fileComplaint")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const payload = await mutate(
      `mutation ($input: FileComplaintInput!) { fileComplaint(input: $input) { complaint { id dueAt } userErrors { field message code } } }`,
      { againstOrganization: form.against.value, text: form["complaint-text"].value, consentId: form.related.value || null },
    );
    if (payload.userErrors.length) {
      errors.replaceChildren(errorList(payload.userErrors));
      return;
    }
    announce(t("complaintFiled", { d: fmtDate(payload.complaint.dueAt, false) }));
    go("complaint");
  });
  return [section(t("fileComplaint"), form), section(t("complaints"), complaintList(data.myComplaints.nodes))];
}

// --- regulator ------------------------------------------------------------------------------

/** Status badge kinds for rectifications (Art. 35): escalated is the superior's (Art. 33). */
const RECT_KIND = { ORDERED: "warn", REOPENED: "warn", REPORTED: "muted", ACCEPTED: "ok", ESCALATED: "bad" };

/** The last period's scorecards (the newest periodEnd), best score first. */
function lastPeriod(cards) {
  const end = cards.map((c) => c.periodEnd).sort().at(-1);
  return cards.filter((c) => c.periodEnd === end).sort((a, b) => Number(b.score) - Number(a.score));
}

function scorecardTable(cards, caption) {
  return table(
    caption,
    [t("period"), t("agencyL"), t("score"), t("gradeL")],
    cards.map((c) => [`${fmtDate(c.periodStart, false)} – ${fmtDate(c.periodEnd, false)}`, orgName(c.agency), fmtNumber(c.score), c.grade]),
  );
}

function rectificationTable(rows) {
  return table(
    t("rectifications"),
    [t("agencyL"), t("instructions"), t("status"), t("orderedAt"), t("rectDue")],
    rows.map((r) => [
      orgName(r.agency),
      r.instructions,
      badge(RECT_KIND[r.status] ?? "muted", t(`rs_${r.status}`)),
      fmtDate(r.orderedAt, false),
      [fmtDate(r.dueAt, false), r.dueProvisional ? t("dueProvisional") : "", r.overdue ? [" ", badge("bad", t("overdue"))] : null],
    ]),
  );
}

const SCORECARD_FIELDS = "id periodStart periodEnd score grade agency { id name }";
const RECTIFICATION_FIELDS = "id status instructions orderedAt dueAt dueProvisional overdue escalatedAt agency { name }";

/** The sharing (issue 12) and supervision (issue 13) boards: their query parts join the
 * regulator page's one request; `render(data, errors)` draws each from its part. */
export const regulatorBoards = [
  {
    id: "share-overdue-board",
    title: () => t("shareOverdue"),
    parts: {
      shareOverdueBoard: `shareOverdueBoard { overdueAnswers overdueDeliveries lateAnswers lateDeliveries sourceDepartment { name } }`,
    },
    render: (data, errors) =>
      data.shareOverdueBoard
        ? [
            h("p", { class: "help" }, t("shareOverdueHelp")),
            table(
              t("shareOverdue"),
              [t("sourceDepartment"), t("overdueAnswers"), t("overdueDeliveries"), t("lateAnswers"), t("lateDeliveries")],
              data.shareOverdueBoard.map((r) => [
                orgName(r.sourceDepartment),
                ...[r.overdueAnswers, r.overdueDeliveries].map((n) => (n ? badge("bad", fmtNumber(n)) : "0")),
                ...[r.lateAnswers, r.lateDeliveries].map((n) => (n ? badge("warn", fmtNumber(n)) : "0")),
              ]),
            ),
          ]
        : h("p", {}, fieldError(errors, "shareOverdueBoard")),
  },
  {
    id: "agency-scorecards",
    title: () => t("scorecards"),
    parts: { agencyScorecards: `agencyScorecards(first: 100) { nodes { ${SCORECARD_FIELDS} } }` },
    render: (data, errors) =>
      data.agencyScorecards
        ? scorecardTable(lastPeriod(data.agencyScorecards.nodes), t("scorecards"))
        : h("p", {}, fieldError(errors, "agencyScorecards")),
  },
  {
    id: "rectifications",
    title: () => t("openRectifications"),
    parts: { rectifications: `rectifications(first: 100) { nodes { ${RECTIFICATION_FIELDS} } }` },
    // Art. 35: open orders (ordered, reopened, reported) and those escalated (Art. 33)
    render: (data, errors) =>
      data.rectifications
        ? rectificationTable(data.rectifications.nodes.filter((r) => r.status !== "ACCEPTED"))
        : h("p", {}, fieldError(errors, "rectifications")),
  },
];

async function regulator() {
  const { data, errors } = await gqlParts({
    brokerEvaluations: `brokerEvaluations(first: 100) { nodes { id periodStart periodEnd score grade broker { id name } indicators { code value score weight } } }`,
    supervisionIndicators: `supervisionIndicators { code name }`,
    riskAlerts: `riskAlerts(first: 50) { nodes { id rule status message raisedAt acknowledgedAt broker { name } } }`,
    complaints: `complaints(overdue: true, first: 50) { nodes { id text status receivedAt dueAt dueProvisional overdue against { name } } }`,
    brokerLicences: `brokerLicences(first: 50) { nodes { id status grade broker { name } decisions { decision toStatus reason decidedAt } } }`,
    ledgerCheckpoint: `ledgerCheckpoint { treeSize timestamp cosignatures { signedAt witness { id } } }`,
    witnesses: `witnesses { id lastSignedSize organization { name } }`,
    ...Object.assign({}, ...regulatorBoards.map((b) => b.parts)),
  });
  const parts = [];
  const evaluations = data.brokerEvaluations?.nodes;
  if (evaluations) {
    const names = Object.fromEntries((data.supervisionIndicators || []).map((i) => [i.code, i.name]));
    const brokers = [...new Map(evaluations.map((e) => [e.broker?.id, e.broker])).values()].filter(Boolean);
    const breakdown = h("div", { id: "breakdown" });
    const show = (brokerId) => {
      const latest = evaluations.filter((e) => e.broker?.id === brokerId).sort((a, b) => b.periodEnd.localeCompare(a.periodEnd))[0];
      breakdown.replaceChildren(...(latest ? indicatorBars(latest, names) : [h("p", {}, t("none"))]));
    };
    const picker = h(
      "select",
      { id: "broker-pick", onchange: (e) => show(e.target.value) },
      brokers.map((b) => h("option", { value: b.id }, b.name)),
    );
    parts.push(
      section(
        t("evaluations"),
        barChart(evaluations),
        table(
          t("evaluations"),
          [t("period"), t("broker"), t("score"), t("gradeL")],
          evaluations.map((e) => [`${fmtDate(e.periodStart, false)} – ${fmtDate(e.periodEnd, false)}`, orgName(e.broker), fmtNumber(e.score), e.grade]),
        ),
        h("h3", {}, t("breakdown")),
        h("label", { for: "broker-pick" }, t("chooseBroker")),
        picker,
        breakdown,
      ),
    );
    if (brokers.length) show(brokers[0].id);
  } else parts.push(section(t("evaluations"), h("p", {}, fieldError(errors, "brokerEvaluations"))));
  const alerts = data.riskAlerts?.nodes;
  parts.push(
    section(
      t("alerts"),
      alerts
        ? table(
            t("alerts"),
            [t("broker"), t("status"), t("reason"), t("actions")],
            alerts.map((a) => [
              orgName(a.broker),
              badge(a.status === "OPEN" ? "warn" : "ok", t(`as_${a.status}`)),
              [a.message, h("br"), h("small", {}, fmtDate(a.raisedAt))],
              a.status === "OPEN"
                ? h("button", { type: "button", "aria-label": `${t("acknowledge")}: ${a.message}`, onclick: () => acknowledge(a) }, t("acknowledge"))
                : fmtDate(a.acknowledgedAt),
            ]),
          )
        : h("p", {}, fieldError(errors, "riskAlerts")),
    ),
  );
  const overdue = data.complaints?.nodes;
  parts.push(section(t("overdueComplaints"), overdue ? complaintList(overdue) : h("p", {}, fieldError(errors, "complaints"))));
  const licences = data.brokerLicences?.nodes;
  parts.push(
    section(
      t("licences"),
      licences
        ? table(
            t("licences"),
            [t("broker"), t("status"), t("grade"), t("decision"), t("decidedAt")],
            licences.flatMap((l) =>
              (l.decisions.length ? l.decisions : [null]).map((d) => [
                orgName(l.broker),
                l.status,
                l.grade ?? "—",
                d ? `${d.decision} → ${d.toStatus}${d.reason ? `: ${d.reason}` : ""}` : "—",
                d ? fmtDate(d.decidedAt) : "—",
              ]),
            ),
          )
        : h("p", {}, fieldError(errors, "brokerLicences")),
    ),
  );
  parts.push(ledgerHealth(data.ledgerCheckpoint, data.witnesses || []));
  for (const board of regulatorBoards) parts.push(h("div", { id: board.id }, section(board.title(), board.render(data, errors))));
  return parts;
}

function ledgerHealth(checkpoint, witnesses) {
  if (!checkpoint) return section(t("ledgerHealth"), h("p", {}, t("none")));
  const minutesSince = (iso) => Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 60000));
  const age = minutesSince(checkpoint.timestamp);
  const lastCosign = checkpoint.cosignatures.map((c) => c.signedAt).sort().at(-1);
  return section(
    t("ledgerHealth"),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, t("ledgerSize")),
      h("dd", {}, fmtNumber(checkpoint.treeSize)),
      h("dt", {}, t("latestCheckpoint")),
      h("dd", {}, fmtDate(checkpoint.timestamp)),
      h("dt", {}, t("sinceCheckpoint")),
      h("dd", {}, t("minutes", { n: age })),
      h("dt", {}, t("cosigned")),
      h("dd", {}, String(checkpoint.cosignatures.length)),
      h("dt", {}, t("sinceCosign")),
      h("dd", {}, lastCosign ? t("minutes", { n: minutesSince(lastCosign) }) : t("noCosign")),
    ),
    h("h3", {}, t("witnesses")),
    table(
      t("witnesses"),
      [t("name"), t("lastSigned")],
      witnesses.map((w) => [orgName(w.organization), `${fmtNumber(w.lastSignedSize)} (${t("behind", { n: checkpoint.treeSize - w.lastSignedSize })})`]),
    ),
  );
}

async function acknowledge(alert) {
  const answer = await confirmDialog({ title: t("acknowledge"), text: alert.message, fieldLabel: t("ackNote"), confirmText: t("acknowledge") });
  if (!answer) return;
  const payload = await mutate(
    `mutation ($input: AcknowledgeRiskAlertInput!) { acknowledgeRiskAlert(input: $input) { alert { id status } userErrors { field message code } } }`,
    { id: alert.id, note: answer.note },
  );
  announce(payload.userErrors.length ? payload.userErrors.map((e) => e.message).join(" ") : t("acknowledged"));
  go("regulator");
}

// --- agency and broker ----------------------------------------------------------------------

async function agency() {
  const org = JSON.stringify(session.viewer.organization?.id ?? null);
  const { data, errors } = await gqlParts({
    resources: `resources(filter: { owner: ${org} }, first: 100) { nodes { id code name updateFrequency lastUpdatedAt isStale } }`,
    shareRequests: `shareRequests(filter: { sourceDepartment: ${org} }, first: 100) { nodes { id purpose status receivedAt answerDueAt answerDueProvisional answeredAt answeredLate deliveryDueAt deliveryDueProvisional deliveredAt deliveredLate overdue requester { name } resource { name } } }`,
    agencyScorecards: `agencyScorecards(agencyId: ${org}, first: 12) { nodes { ${SCORECARD_FIELDS} } }`,
    rectifications: `rectifications(agencyId: ${org}, first: 50) { nodes { ${RECTIFICATION_FIELDS} } }`,
  });
  const list = (field, build) => (data[field] ? build(data[field].nodes) : h("p", {}, fieldError(errors, field)));
  // Art. 15: answer within 5 working days of receipt, deliver within 5 of approval
  const due = (at, provisional, doneAt, late) =>
    at ? [fmtDate(at, false), provisional ? t("dueProvisional") : "", doneAt ? [" ", badge(late ? "warn" : "ok", t(late ? "doneLate" : "doneInTime"))] : null] : "—";
  return [
    section(
      t("catalogue"),
      list("resources", (rows) =>
        table(
          t("catalogue"),
          [t("code"), t("name"), t("frequency"), t("lastUpdated"), t("status")],
          rows.map((r) => [r.code, r.name, r.updateFrequency, fmtDate(r.lastUpdatedAt), r.isStale ? badge("bad", t("stale")) : badge("ok", t("fresh"))]),
        ),
      ),
    ),
    h(
      "div",
      { id: "share-requests" },
      section(
        t("incoming"),
        list("shareRequests", (rows) =>
          table(
            t("incoming"),
            [t("requester"), t("resourceL"), t("purpose"), t("status"), t("receivedAt"), t("answerDue"), t("deliveryDue")],
            rows.map((r) => [
              orgName(r.requester),
              r.resource?.name ?? "—",
              r.purpose,
              [badge("muted", t(`sr_${r.status}`)), r.overdue ? [" ", badge("bad", t("overdue"))] : null],
              fmtDate(r.receivedAt, false),
              due(r.answerDueAt, r.answerDueProvisional, r.answeredAt, r.answeredLate),
              due(r.deliveryDueAt, r.deliveryDueProvisional, r.deliveredAt, r.deliveredLate),
            ]),
          ),
        ),
      ),
    ),
    h("div", { id: "my-scorecards" }, section(t("myScorecards"), list("agencyScorecards", (rows) => scorecardTable(rows, t("myScorecards"))))),
    h("div", { id: "my-rectifications" }, section(t("rectifications"), list("rectifications", rectificationTable))),
  ];
}

async function broker() {
  const { data, errors } = await gqlParts({
    brokerLicences: `brokerLicences(first: 20) { nodes { id status grade validUntil broker { name } } }`,
    listings: `listings(first: 100) { nodes { id price status listedAt asset { name } } }`,
    deals: `deals(first: 100) { nodes { id purpose price status matchedAt buyer { name } } }`,
  });
  const list = (field, build) => (data[field] ? build(data[field].nodes) : h("p", {}, fieldError(errors, field)));
  return [
    section(
      t("licence"),
      list("brokerLicences", (rows) =>
        table(t("licence"), [t("broker"), t("status"), t("grade"), t("validUntil")], rows.map((l) => [orgName(l.broker), l.status, l.grade ?? "—", fmtDate(l.validUntil, false)])),
      ),
    ),
    section(
      t("listings"),
      list("listings", (rows) => table(t("listings"), [t("asset"), t("price"), t("status")], rows.map((l) => [l.asset?.name ?? "—", fmtNumber(l.price), l.status]))),
    ),
    section(
      t("deals"),
      list("deals", (rows) =>
        table(t("deals"), [t("purpose"), t("buyer"), t("price"), t("status")], rows.map((d) => [d.purpose, orgName(d.buyer), fmtNumber(d.price), d.status])),
      ),
    ),
  ];
}

export const pages = { signin, citizen, grant, verify, complaint, regulator, agency, broker };
