// The console: a client of the public GraphQL API only. Plain ES modules, no build step.
// The token lives in this module's memory (never localStorage); a reload signs out.
import { fmtDate, lang, setLang, t } from "./i18n.js";
import { pages } from "./pages.js";

const SVG = "http://www.w3.org/2000/svg";

/** Element builder: attributes as attributes, `on…` as listeners, children as text or nodes. */
export function h(tag, attrs = {}, ...children) {
  const svg = tag.startsWith("svg:");
  const el = svg ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "value" || key === "checked") el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const session = { token: null, viewer: null, config: {} };

/** Per page: how many GraphQL requests it made and when it became interactive. */
export const stats = { requests: 0, history: [] };

export class ApiError extends Error {}

/** One GraphQL request. Returns {data, errors}; throws when there is no data at all
 * (unless `partial`, which returns {data: null, errors} for the caller to handle). */
export async function gql(query, variables = {}, { partial = false } = {}) {
  stats.requests += 1;
  const headers = { "content-type": "application/json" };
  if (session.token) headers.authorization = `Bearer ${session.token}`;
  const response = await fetch("/graphql", {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
    credentials: "omit",
  });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) {
    signOut();
    throw new ApiError(body.errors?.[0]?.message || "401");
  }
  if (!body.data && !(partial && body.errors?.length)) {
    throw new ApiError(body.errors?.[0]?.message || `HTTP ${response.status}`);
  }
  return { data: body.data ?? null, errors: body.errors || [] };
}

/** A page's root fields in one request, `{name: "name(args) { … }"}`. A field this role may
 * not read (FORBIDDEN) nulls the whole answer when it is non-null in the schema, so it is
 * dropped and the rest asked again (at most twice more); it comes back as null with its error. */
export async function gqlParts(parts) {
  const names = new Set(Object.keys(parts));
  const refused = [];
  for (let attempt = 0; attempt < 3 && names.size; attempt++) {
    const query = `{ ${[...names].map((n) => parts[n]).join("\n")} }`;
    const { data, errors } = await gql(query, {}, { partial: true });
    const forbidden = errors.filter((e) => e.extensions?.code === "FORBIDDEN" && names.has(e.path?.[0]));
    if (data && !forbidden.length) {
      return { data: Object.fromEntries(Object.keys(parts).map((n) => [n, data[n] ?? null])), errors: [...refused, ...errors] };
    }
    if (!forbidden.length) throw new ApiError(errors[0]?.message || "no data");
    for (const e of forbidden) names.delete(e.path[0]);
    refused.push(...forbidden);
  }
  return { data: Object.fromEntries(Object.keys(parts).map((n) => [n, null])), errors: refused };
}

/** A mutation's payload; `userErrors` are shown next to the form by the caller. */
export async function mutate(query, input) {
  const { data } = await gql(query, { input });
  return Object.values(data)[0];
}

/** The message for a field that came back null with an error (FORBIDDEN etc.). */
export function fieldError(errors, field) {
  const error = errors.find((e) => e.path?.[0] === field);
  if (!error) return null;
  return error.extensions?.code === "FORBIDDEN" ? t("forbidden") : error.message;
}

export function announce(message) {
  const live = document.getElementById("live");
  live.textContent = "";
  setTimeout(() => {
    live.textContent = message;
  }, 30);
}

// --- routes ---------------------------------------------------------------------------------

const ROLE_HOME = {
  DATA_SUBJECT: "citizen",
  AUTHORITY: "regulator",
  AUDITOR: "regulator",
  AGENCY: "agency",
  BROKER: "broker",
  MARKET_ENTITY: "broker",
};

const NAV = {
  DATA_SUBJECT: ["citizen", "grant", "verify", "complaint"],
  AUTHORITY: ["regulator"],
  AUDITOR: ["regulator"],
  AGENCY: ["agency"],
  BROKER: ["broker"],
  MARKET_ENTITY: ["broker"],
};

function route() {
  const [name = "", ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  return { name, arg: rest.join("/") };
}

export function go(name, arg = "") {
  const target = `#/${name}${arg ? `/${arg}` : ""}`;
  if (location.hash === target) render();
  else location.hash = target;
}

function allowedPages() {
  const roles = session.viewer?.roles || [];
  return [...new Set(roles.flatMap((r) => NAV[r] || []))];
}

function renderChrome() {
  const nav = document.getElementById("nav");
  nav.replaceChildren();
  nav.setAttribute("aria-label", t("nav"));
  const current = route().name;
  const list = h("ul", {});
  for (const name of allowedPages()) {
    list.append(
      h(
        "li",
        {},
        h("a", { href: `#/${name}`, "aria-current": name === current ? "page" : null }, t(`page_${name}`)),
      ),
    );
  }
  if (session.token) {
    list.append(h("li", {}, h("button", { type: "button", onclick: signOut }, t("signOut"))));
  }
  nav.append(list);
  document.getElementById("app-name").textContent = t("appName");
  document.getElementById("skip").textContent = t("skip");
  const langButton = document.getElementById("lang");
  langButton.textContent = t("lang");
  langButton.setAttribute("lang", lang() === "en" ? "zh-CN" : "en");
  document.getElementById("large").textContent = t("large");
}

let renderId = 0;

export async function render() {
  const id = ++renderId;
  const started = performance.now();
  stats.requests = 0;
  let { name, arg } = route();
  if (!session.token) name = "signin";
  else if (!allowedPages().includes(name)) {
    go(ROLE_HOME[session.viewer.roles[0]] || "signin");
    return;
  }
  renderChrome();
  const main = document.getElementById("main");
  const heading = h("h1", { tabindex: "-1" }, t(`page_${name}`));
  const body = h("div", { "aria-busy": "true" }, h("p", {}, t("loading")));
  main.replaceChildren(heading, body);
  document.title = `${t(`page_${name}`)} · ${t("appName")}`;
  try {
    const content = await pages[name](arg);
    if (id !== renderId) return;
    body.replaceChildren(...[content].flat());
  } catch (err) {
    if (id !== renderId) return;
    body.replaceChildren(h("p", { class: "error", role: "alert" }, t("error", { m: err.message })));
  }
  body.removeAttribute("aria-busy");
  if (document.activeElement === document.body || !main.contains(document.activeElement)) {
    heading.focus();
  }
  // ms: from the route change to the page rendered; sinceLoad: from the navigation start
  // (for the first page, script loading included).
  const ended = performance.now();
  const entry = { page: name, requests: stats.requests, ms: Math.round(ended - started), sinceLoad: Math.round(ended) };
  stats.history.push(entry);
  document.body.dataset.ready = `${name}:${stats.history.length}`;
}

// --- sign-in --------------------------------------------------------------------------------

export async function signIn(token) {
  session.token = token.trim();
  try {
    const { data } = await gql("{ viewer { subject roles organization { id name kind } } }");
    session.viewer = data.viewer;
    if (!session.viewer.roles.length) throw new ApiError("no role");
  } catch (err) {
    session.token = null;
    session.viewer = null;
    throw err;
  }
  go(ROLE_HOME[session.viewer.roles[0]]);
}

export function signOut() {
  session.token = null;
  session.viewer = null;
  go("signin");
}

const b64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

async function discovery() {
  const issuer = session.config.oidc.issuer.replace(/\/$/, "");
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!response.ok) throw new Error(`discovery: HTTP ${response.status}`);
  return response.json();
}

/** OIDC authorization code + PKCE (RFC 7636, S256). Only the verifier and state wait in
 * sessionStorage for the redirect back; the token itself never leaves memory. */
export async function oidcStart() {
  const meta = await discovery();
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem("pdex.oidc", JSON.stringify({ verifier, state }));
  const params = new URLSearchParams({
    response_type: "code",
    client_id: session.config.oidc.clientId,
    redirect_uri: `${location.origin}/console/`,
    scope: "openid profile",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  location.assign(`${meta.authorization_endpoint}?${params}`);
}

async function oidcFinish() {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const pending = JSON.parse(sessionStorage.getItem("pdex.oidc") || "null");
  sessionStorage.removeItem("pdex.oidc");
  history.replaceState(null, "", `${location.pathname}#/signin`);
  if (params.get("error")) throw new Error(params.get("error_description") || params.get("error"));
  if (!pending || params.get("state") !== pending.state) throw new Error("state mismatch");
  const meta = await discovery();
  const response = await fetch(meta.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: `${location.origin}/console/`,
      client_id: session.config.oidc.clientId,
      code_verifier: pending.verifier,
    }),
  });
  const tokens = await response.json();
  if (!response.ok) throw new Error(tokens.error_description || tokens.error || response.status);
  await signIn(tokens.access_token || tokens.id_token);
}

// --- preferences (not secrets: language and text size may be remembered) ---------------------

function applyPreferences() {
  setLang(localStorage.getItem("pdex.lang") || "zh-CN");
  const large = localStorage.getItem("pdex.large") === "1";
  document.documentElement.classList.toggle("large", large);
  document.getElementById("large").setAttribute("aria-pressed", String(large));
}

async function start() {
  applyPreferences();
  document.getElementById("lang").addEventListener("click", () => {
    localStorage.setItem("pdex.lang", lang() === "en" ? "zh-CN" : "en");
    applyPreferences();
    render();
  });
  document.getElementById("large").addEventListener("click", () => {
    localStorage.setItem("pdex.large", localStorage.getItem("pdex.large") === "1" ? "0" : "1");
    applyPreferences();
  });
  window.addEventListener("hashchange", render);
  // A failed action (network down, server error) is said on the page, never swallowed.
  window.addEventListener("unhandledrejection", (event) => {
    const main = document.getElementById("main");
    const note = h("p", { class: "error", role: "alert" }, t("error", { m: event.reason?.message || event.reason }));
    main.querySelector(":scope > p.error[role=alert]")?.remove();
    main.querySelector("h1")?.after(note);
  });
  session.config = await fetch("/console/config.json")
    .then((r) => r.json())
    .catch(() => ({}));
  if (new URLSearchParams(location.search).has("code") || new URLSearchParams(location.search).has("error")) {
    try {
      await oidcFinish();
      return;
    } catch (err) {
      session.oidcError = t("oidcFailed", { m: err.message });
    }
  }
  await render();
}

window.pdexConsole = { stats, session: () => ({ signedIn: Boolean(session.token) }), fmtDate };
start();
