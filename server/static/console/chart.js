// Inline SVG charts: no library. Each chart is an image with a text alternative (its title
// and description); the numbers are also in a table beside it, and grades are written on the
// bars, so nothing is told by colour alone.
import { h } from "./app.js";
import { fmtDate, fmtNumber, t } from "./i18n.js";

const PALETTE = ["#0b5cad", "#8a4b00", "#1b6e3a", "#6b2fa0", "#a3123a", "#345060"];

/** Scores (0-100) per period, one bar per broker in each period's group. */
export function barChart(evaluations) {
  const periods = [...new Set(evaluations.map((e) => e.periodStart.slice(0, 10)))].sort();
  const brokers = [...new Map(evaluations.map((e) => [e.broker?.id, e.broker?.name ?? "—"])).entries()];
  const width = 640;
  const height = 280;
  const left = 40;
  const bottom = 40;
  const top = 16;
  const plot = height - bottom - top;
  const group = (width - left - 10) / Math.max(periods.length, 1);
  const bar = Math.min(48, (group - 16) / Math.max(brokers.length, 1));
  const y = (score) => top + plot - (plot * Number(score)) / 100;
  const svg = h(
    "svg:svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "chart-title chart-desc", class: "chart", id: "evaluation-chart" },
    h("svg:title", { id: "chart-title" }, t("chartTitle")),
    h("svg:desc", { id: "chart-desc" }, t("chartDesc")),
  );
  for (const tick of [0, 25, 50, 75, 100]) {
    svg.append(
      h("svg:line", { x1: left, x2: width - 4, y1: y(tick), y2: y(tick), class: "grid" }),
      h("svg:text", { x: left - 6, y: y(tick) + 4, "text-anchor": "end", class: "axis" }, String(tick)),
    );
  }
  periods.forEach((period, p) => {
    const x0 = left + p * group + 8;
    brokers.forEach(([id], b) => {
      const e = evaluations.find((x) => x.broker?.id === id && x.periodStart.slice(0, 10) === period);
      if (!e) return;
      const x = x0 + b * bar;
      svg.append(
        h("svg:rect", { x, y: y(e.score), width: bar - 4, height: top + plot - y(e.score), fill: PALETTE[b % PALETTE.length] }),
        h("svg:text", { x: x + (bar - 4) / 2, y: y(e.score) - 4, "text-anchor": "middle", class: "label" }, `${e.grade} ${fmtNumber(e.score)}`),
      );
    });
    svg.append(h("svg:text", { x: x0 + (bar * brokers.length) / 2, y: height - bottom + 18, "text-anchor": "middle", class: "axis" }, fmtDate(`${period}T00:00:00Z`, false)));
  });
  const legend = h(
    "ul",
    { class: "legend" },
    brokers.map(([, name], b) => h("li", {}, h("span", { class: "swatch", "data-colour": String(b % PALETTE.length), "aria-hidden": "true" }), name)),
  );
  return h("figure", {}, svg, legend);
}

/** One evaluation's indicators: a horizontal bar per indicator score, weight in the label. */
export function indicatorBars(evaluation, names) {
  const rows = evaluation.indicators;
  const width = 640;
  const row = 26;
  const labelWidth = 260;
  const height = rows.length * row + 10;
  const svg = h(
    "svg:svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "breakdown-title", class: "chart", id: "indicator-chart" },
    h("svg:title", { id: "breakdown-title" }, `${t("breakdown")}: ${evaluation.broker?.name ?? ""} ${evaluation.grade} ${fmtNumber(evaluation.score)}`),
  );
  rows.forEach((i, n) => {
    const yy = 5 + n * row;
    const w = ((width - labelWidth - 60) * Number(i.score)) / 100;
    svg.append(
      h("svg:text", { x: labelWidth - 6, y: yy + 16, "text-anchor": "end", class: "axis" }, names[i.code] || i.code),
      h("svg:rect", { x: labelWidth, y: yy + 3, width: Math.max(w, 1), height: row - 8, fill: PALETTE[0] }),
      h("svg:text", { x: labelWidth + w + 6, y: yy + 16, class: "label" }, fmtNumber(i.score)),
    );
  });
  const table = h(
    "div",
    { class: "scroll", role: "region", "aria-label": t("breakdown"), tabindex: "0" },
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, [t("indicator"), t("value"), t("score"), t("weight")].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.map((i) => h("tr", {}, [names[i.code] || i.code, i.value, fmtNumber(i.score), i.weight].map((c) => h("td", {}, c))))),
    ),
  );
  return [h("figure", {}, svg), table];
}
