// The ecosystem manager's dashboard: a plain client of the public GraphQL API at /graphql, no build step and
// no dependencies. It shows exactly what the API returns for the signed-in token, nothing more: the API applies
// the confidentiality rules (suppressed small groups, individual answers for moderators and admins only).

const TEXT = {
  en: {
    signInTitle: "Sign in", tokenLabel: "API token", signIn: "Sign in", signOut: "Sign out",
    signInHint: "Paste the token `partnerpulse dev` printed (admin or member) or one from `partnerpulse token create`.",
    badToken: "This token is not valid (revoked or mistyped).", admin: "Network manager (admin)",
    overview: "Network overview", portfolio: "Satisfaction over time", byKind: "by organization kind",
    byIndustry: "by industry (the eight with most answers)", dimension: "Dimension", atRisk: "Cooperations at risk",
    atRiskHint: "Order: by the most severe open flag (high, medium, low), then by how far the flags are past their "
      + "thresholds and by lower health. Updates live when flags are raised or resolved.", noRisk: "No project at risk.",
    projectsAtRisk: "projects at risk", projectAtRisk: "project at risk", showMore: "Show more", of: "of",
    live: "live", offline: "reconnecting…", health: "Health", phase: "Phase", partners: "Partners",
    goals: "Goals", trend: "Satisfaction per round", rounds: "Survey rounds", flags: "Risk flags (with history)",
    answers: "Individual answers", answersHint: "Visible to moderators and admins only.", round: "Round",
    responses: "Answers", responseRate: "Response rate", raised: "raised", resolved: "resolved",
    acknowledged: "acknowledged", open: "open", due: "due", projects: "Projects", noData: "No data yet.",
    suppressed: "Hidden: fewer answers than the minimum group size.", back: "← Overview", exitPlan: "Exit plan",
    none: "none", notFound: "Not found, or not visible to you.", rateLimited: "Too many requests; try again in a moment.",
    error: "Something went wrong", employees: "employees", founded: "founded", month: "Month", score: "Score",
    concerns: "concerns", comment: "Comment", project: "Cooperation project", overdue: "past its planned end", status: "Status",
    soFar: "(so far)", partialMonth: "The current month is not over yet: its point (hollow, dashed line) rests on the answers so far.",
    organizations: "organizations", band95: "95 % band",
    bandNote: "Shaded: where 95 % of the means of that many answers would lie (±1.96 · 0.8 / √answers); a bigger point rests on more organizations (their number in its tooltip).",
    organization: "Organization", continueLikelihood: "Continue (0–10)",
    continueLikelihoodHint: "How likely the partner is to continue the cooperation, from 0 (not at all) to 10 (certainly).",
  },
  de: {
    signInTitle: "Anmelden", tokenLabel: "API-Token", signIn: "Anmelden", signOut: "Abmelden",
    signInHint: "Den Token einfügen, den `partnerpulse dev` ausgegeben hat (Admin oder Mitglied), oder einen aus `partnerpulse token create`.",
    badToken: "Dieser Token ist ungültig (widerrufen oder vertippt).", admin: "Netzwerkmanagement (Admin)",
    overview: "Netzwerk-Überblick", portfolio: "Zufriedenheit im Zeitverlauf", byKind: "nach Organisationsart",
    byIndustry: "nach Branche (die acht mit den meisten Antworten)", dimension: "Dimension",
    atRisk: "Gefährdete Kooperationen",
    atRiskHint: "Reihenfolge: nach dem schwersten offenen Hinweis (hoch, mittel, niedrig), dann danach, wie weit die "
      + "Hinweise über ihren Schwellen liegen, und nach niedrigerer Gesundheit. Aktualisiert sich live.",
    projectsAtRisk: "Kooperationen gefährdet", projectAtRisk: "Kooperation gefährdet", showMore: "Mehr zeigen", of: "von",
    noRisk: "Keine Kooperation gefährdet.", live: "live", offline: "verbinde neu…", health: "Gesundheit",
    phase: "Phase", partners: "Partner", goals: "Ziele", trend: "Zufriedenheit je Runde", rounds: "Befragungsrunden",
    flags: "Risikohinweise (mit Verlauf)", answers: "Einzelantworten", answersHint: "Nur für Moderation und Admins sichtbar.",
    round: "Runde", responses: "Antworten", responseRate: "Rücklauf", raised: "ausgelöst", resolved: "behoben",
    acknowledged: "gesehen", open: "offen", due: "fällig", projects: "Kooperationsprojekte", noData: "Noch keine Daten.",
    suppressed: "Verborgen: weniger Antworten als die Mindestgruppengröße.", back: "← Überblick", exitPlan: "Exit-Plan",
    none: "keiner", notFound: "Nicht gefunden oder für Sie nicht sichtbar.",
    rateLimited: "Zu viele Anfragen; bitte gleich noch einmal versuchen.", error: "Etwas ist schiefgelaufen",
    employees: "Beschäftigte", founded: "gegründet", month: "Monat", score: "Wert", concerns: "betrifft",
    comment: "Kommentar", project: "Kooperation", overdue: "über das geplante Ende hinaus", status: "Status", organization: "Organisation", soFar: "(bisher)",
    partialMonth: "Der laufende Monat ist noch nicht vorbei: sein Punkt (hohl, gestrichelte Linie) beruht auf den bisherigen Antworten.",
    organizations: "Organisationen", band95: "95-%-Band",
    bandNote: "Schattiert: wo 95 % der Mittelwerte so vieler Antworten lägen (±1,96 · 0,8 / √Antworten); ein größerer Punkt beruht auf mehr Organisationen (ihre Zahl im Tooltip).",
    continueLikelihood: "Weitermachen (0–10)",
    continueLikelihoodHint: "Wie wahrscheinlich der Partner die Kooperation fortsetzt, von 0 (gar nicht) bis 10 (sicher).",
  },
};

const ENUMS = {
  en: {
    STARTUP: "Startup", SME: "SME (Mittelstand)", CORPORATE: "Corporate", RESEARCH_INSTITUTE: "Research institute",
    LEAD: "Lead partner", PARTNER: "Partner", MODERATOR: "Moderator (neutral)",
    ASSESSMENT: "Assessment", GOAL_SETTING: "Goal setting", PARTNER_SEARCH: "Partner search", INITIATION: "Initiation",
    ACTIVE: "Active", COMPLETED: "Completed", TERMINATED: "Terminated",
    LOW_SATISFACTION: "Low satisfaction", DECLINING_SATISFACTION: "Declining satisfaction",
    SATISFACTION_GAP: "Gap between partners", SILENT_PARTNER: "Silent partner",
    UNMET_EXPECTATIONS: "Unmet expectations", NO_EXIT_PLAN: "No exit plan", STALLED: "Stalled",
    RESPONSE_RATE_DROP: "Fewer answers than usual", EARLY_SIGNAL: "Early signal",
    LOW: "low", MEDIUM: "medium", HIGH: "high", NONE: "none",
    OVERALL: "Overall", EXPECTATIONS_MET: "Expectations met", MUTUAL_BENEFIT: "Mutual benefit",
    DECISION_SPEED: "Decision speed", COMMUNICATION_TRUST: "Communication & trust",
    OPEN: "open", CLOSED: "closed", ACHIEVED: "achieved", MISSED: "missed", DROPPED: "dropped",
    PRODUCT_DEVELOPMENT: "Product development", TECHNOLOGY_PILOT: "Technology pilot",
    CLOUD_INTEGRATION: "Cloud integration", MARKETING: "Joint marketing", OUTSOURCING: "Outsourcing",
    STRATEGIC_PARTNERSHIP: "Strategic partnership", RESEARCH: "Research cooperation",
  },
  de: {
    STARTUP: "Startup", SME: "Mittelstand (KMU)", CORPORATE: "Konzern", RESEARCH_INSTITUTE: "Forschungsinstitut",
    LEAD: "Konsortialführung", PARTNER: "Partner", MODERATOR: "Moderation (neutral)",
    ASSESSMENT: "Bewertung", GOAL_SETTING: "Zielsetzung", PARTNER_SEARCH: "Partnersuche", INITIATION: "Anbahnung",
    ACTIVE: "Aktiv", COMPLETED: "Abgeschlossen", TERMINATED: "Beendet",
    LOW_SATISFACTION: "Niedrige Zufriedenheit", DECLINING_SATISFACTION: "Sinkende Zufriedenheit",
    SATISFACTION_GAP: "Zufriedenheitslücke zwischen Partnern", SILENT_PARTNER: "Stiller Partner",
    UNMET_EXPECTATIONS: "Unerfüllte Erwartungen", NO_EXIT_PLAN: "Kein Exit-Plan", STALLED: "Stillstand",
    RESPONSE_RATE_DROP: "Weniger Antworten als üblich", EARLY_SIGNAL: "Frühes Signal",
    LOW: "niedrig", MEDIUM: "mittel", HIGH: "hoch", NONE: "keins",
    OVERALL: "Gesamt", EXPECTATIONS_MET: "Erwartungen erfüllt", MUTUAL_BENEFIT: "Gegenseitiger Nutzen",
    DECISION_SPEED: "Entscheidungstempo", COMMUNICATION_TRUST: "Kommunikation & Vertrauen",
    OPEN: "offen", CLOSED: "geschlossen", ACHIEVED: "erreicht", MISSED: "verfehlt", DROPPED: "verworfen",
    PRODUCT_DEVELOPMENT: "Produktentwicklung", TECHNOLOGY_PILOT: "Technologie-Pilot",
    CLOUD_INTEGRATION: "Cloud-Integration", MARKETING: "Gemeinsames Marketing", OUTSOURCING: "Outsourcing",
    STRATEGIC_PARTNERSHIP: "Strategische Partnerschaft", RESEARCH: "Forschungskooperation",
  },
};

const DIMENSIONS = ["OVERALL", "EXPECTATIONS_MET", "MUTUAL_BENEFIT", "DECISION_SPEED", "COMMUNICATION_TRUST"];
// the same eight as the legend's .swatch.c0 … .c7 in style.css
const COLORS = ["#1f6feb", "#d1242f", "#1a7f37", "#bf8700", "#8250df", "#0a7ea4", "#e16f24", "#57606a"];

const state = {
  token: sessionStorage.getItem("partnerpulse-token"),
  lang: localStorage.getItem("partnerpulse-language") || (navigator.language.startsWith("de") ? "de" : "en"),
  viewer: null,
  dimension: "OVERALL",
  socket: null,
  refreshAtRisk: null, // set while the overview is shown: called on every flag change
};

const t = (key) => TEXT[state.lang][key] ?? TEXT.en[key] ?? key;
const label = (value) => ENUMS[state.lang][value] ?? value;
const main = () => document.getElementById("main");
// replaceChildren turns null into the text "null": sections a page does not have are left out first
const show = (...children) => main().replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== false));

// DOM from data: text always goes through textContent, never through HTML parsing.
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const svg = (tag, attributes = {}, ...children) => {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children.flat()) if (child) element.append(child instanceof Node ? child : document.createTextNode(child));
  return element;
};

class ApiError extends Error {}
class SignedOut extends ApiError {} // the token stopped working: the sign-in form is shown instead

async function graphql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${state.token}` },
    body: JSON.stringify({ query, variables }),
  });
  if (response.status === 429) throw new ApiError(t("rateLimited"));
  const body = await response.json().catch(() => ({}));
  if (body.errors?.length) {
    const codes = body.errors.map((e) => e.extensions?.code);
    if (codes.includes("UNAUTHENTICATED")) {
      if (!state.viewer) throw new ApiError(t("badToken"));
      signOut(t("badToken")); // revoked while signed in
      throw new SignedOut(t("badToken"));
    }
    throw new ApiError(body.errors.map((e) => e.message).join("; "));
  }
  if (!response.ok || !body.data) throw new ApiError(`${t("error")} (HTTP ${response.status})`);
  return body.data;
}

const formatScore = (value) => (value === null || value === undefined ? "–" : value.toFixed(2));
const formatDate = (value) => (value ? new Date(value).toLocaleDateString(state.lang === "de" ? "de-DE" : "en-GB") : "");
const formatMonth = (value) =>
  new Date(value).toLocaleDateString(state.lang === "de" ? "de-DE" : "en-GB", { month: "short", year: "2-digit", timeZone: "UTC" });

// -- charts ---------------------------------------------------------------------------------------------------

// Scores lie between 1 and 5, and the axis always shows the whole scale, from 1: a zoomed axis made a change
// of a quarter point look like a collapse. Missing or suppressed points leave a gap in their line. With
// `partialLast` the last point is the current month, which is not over yet: it is drawn hollow, reached by a
// dashed line, and labelled as so far. The chart is drawn at the width it gets, so that its text stays as large
// on a phone as on a laptop; tapping a legend entry brings its line to the front and dims the others.
function lineChart(xLabels, series, { title, caption = true, partialLast = false }) {
  const width = Math.round(Math.min(640, Math.max(300, main().clientWidth - 72)));
  const height = width < 480 ? 220 : 240, left = 30, right = 14, top = 12, bottom = 30;
  const low = 1, high = 5;
  const x = (i) => left + (xLabels.length < 2 ? (width - left - right) / 2 : (i * (width - left - right)) / (xLabels.length - 1));
  const y = (v) => top + ((high - v) * (height - top - bottom)) / (high - low);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "chart" });
  for (let v = low; v <= high; v += 0.5) {
    chart.append(svg("line", { x1: left, x2: width - right, y1: y(v), y2: y(v), class: Number.isInteger(v) ? "grid" : "grid minor" }));
    if (Number.isInteger(v)) chart.append(svg("text", { x: left - 8, y: y(v) + 4, class: "axis y", "text-anchor": "end" }, String(v)));
  }
  const labels = xLabels.map((text, i) => (partialLast && i === xLabels.length - 1 ? `${text} ${t("soFar")}` : text));
  // as many labels as fit side by side (about 7.5 px a character), the last one always
  const widest = Math.max(...labels.map((text) => text.length)) * 7.5 + 16;
  const every = Math.max(1, Math.ceil((xLabels.length * widest) / (width - left - right)));
  labels.forEach((text, i) => {
    const last = i === labels.length - 1;
    if ((i % every === 0 && labels.length - 1 - i >= every) || last) {
      const anchor = last && labels.length > 1 ? "end" : i === 0 && labels.length > 1 ? "start" : "middle";
      chart.append(svg("text", { x: x(i), y: height - 8, class: `axis x${last && partialLast ? " partial" : ""}`, "text-anchor": anchor }, text));
    }
  });
  series.forEach((line, index) => {
    const color = COLORS[index % COLORS.length];
    const group = svg("g", { class: "series", "data-series": line.label });
    let path = "";
    let dashed = "";
    let previous = null; // the point drawn before, null after a gap
    line.values.forEach((value, i) => {
      if (value === null || value === undefined) {
        previous = null;
        return;
      }
      const point = `${x(i).toFixed(1)},${y(value).toFixed(1)}`;
      const partial = partialLast && i === line.values.length - 1;
      if (partial) dashed = previous ? `M${previous}L${point}` : "";
      else path += `${previous ? "L" : "M"}${point}`;
      previous = point;
      const organizations = line.organizations?.[i];
      const band = line.bands?.[i];
      const sureness = organizations == null ? "" : ` · ${organizations} ${t("organizations")}${band ? ` · ${t("band95")} ${formatScore(band[0])}–${formatScore(band[1])}` : ""}`;
      group.append(
        svg("circle", { cx: x(i), cy: y(value), r: organizations == null ? 2.5 : Math.min(5, 2 + Math.sqrt(organizations) / 2),
          fill: partial ? "#fff" : color, stroke: color, class: partial ? "partial" : "", ...(organizations == null ? {} : { "data-organizations": organizations }) },
          svg("title", {}, `${line.label} · ${labels[i]}: ${formatScore(value)}${sureness}`)),
      );
    });
    if (path) group.prepend(svg("path", { d: path, stroke: color, class: "line", "data-series": line.label }));
    if (dashed) group.prepend(svg("path", { d: dashed, stroke: color, class: "line partial", "data-series": line.label }));
    // beneath the lines and points
    if (line.bands) bandPaths(line.bands, x, y).forEach((d) => group.prepend(svg("path", { d, fill: color, class: "band", "data-series": line.label })));
    chart.append(group);
  });
  const entries = series.map((line, index) => h("li", {}, h("button", { type: "button", class: "legend-entry", "aria-pressed": "false",
    onclick: (event) => emphasize(chart, event.currentTarget, line.label) }, h("span", { class: `swatch c${index % COLORS.length}` }), line.label)));
  const legend = h("ul", { class: "legend" }, entries);
  return h("figure", { class: "figure" }, caption ? h("figcaption", {}, title) : null, chart, legend,
    partialLast ? h("p", { class: "muted note partial-note" }, t("partialMonth")) : null);
}

// one line in front, the others dimmed; the same entry again shows all alike
function emphasize(chart, button, seriesLabel) {
  const on = button.getAttribute("aria-pressed") !== "true";
  button.closest(".legend").querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(on && b === button)));
  chart.querySelectorAll("g.series").forEach((group) => {
    const chosen = group.dataset.series === seriesLabel;
    group.classList.toggle("dim", on && !chosen);
    group.classList.toggle("chosen", on && chosen);
    if (on && chosen) chart.append(group); // drawn last, so on top
  });
}

// the areas of a series' bands, one per stretch of months with a band (a lone month: a short bar)
function bandPaths(bands, x, y) {
  const paths = [];
  let run = [];
  const close = () => {
    if (run.length === 1) {
      const [i, [lo, hi]] = run[0];
      paths.push(`M${(x(i) - 3).toFixed(1)},${y(hi).toFixed(1)}H${(x(i) + 3).toFixed(1)}V${y(lo).toFixed(1)}H${(x(i) - 3).toFixed(1)}Z`);
    } else if (run.length > 1) {
      const upper = run.map(([i, [, hi]]) => `${x(i).toFixed(1)},${y(hi).toFixed(1)}`);
      const lower = run.map(([i, [lo]]) => `${x(i).toFixed(1)},${y(lo).toFixed(1)}`).reverse();
      paths.push(`M${upper.join("L")}L${lower.join("L")}Z`);
    }
    run = [];
  };
  bands.forEach((band, i) => (band ? run.push([i, band]) : close()));
  close();
  return paths;
}

// a portfolio mean rests on `responseCount` answers of about this spread (a person's noise on the 1-5 scale)
const ANSWER_SD = 0.8;

function portfolioChart(seriesList, title, labelOf) {
  const periods = [...new Set(seriesList.flatMap((s) => s.points.map((p) => p.period)))].sort();
  if (!periods.length) return h("figure", { class: "figure" }, h("figcaption", {}, title), h("p", { class: "muted" }, t("noData")));
  const series = seriesList.map((s) => {
    const byPeriod = new Map(s.points.map((p) => [p.period, p]));
    const at = periods.map((period) => byPeriod.get(period));
    return {
      label: labelOf(s),
      values: at.map((p) => p?.mean ?? null),
      organizations: at.map((p) => (p?.mean == null ? null : p.organizationCount)),
      // 95 % of the means such answers would give lie within ±1.96·σ/√n (clipped to the scale)
      bands: at.map((p) => {
        if (p?.mean == null || !p.responseCount) return null;
        const half = (1.96 * ANSWER_SD) / Math.sqrt(p.responseCount);
        return [Math.max(1, p.mean - half), Math.min(5, p.mean + half)];
      }),
    };
  });
  const now = new Date();
  const thisMonth = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, "0")}-01`;
  const chart = lineChart(periods.map(formatMonth), series, { title, partialLast: periods.at(-1) === thisMonth });
  chart.append(h("p", { class: "muted note band-note" }, t("bandNote")));
  return chart;
}

// -- views ------------------------------------------------------------------------------------------------------

function showError(error) {
  if (error instanceof SignedOut) return;
  main().replaceChildren(h("p", { class: "error", role: "alert" }, error instanceof ApiError ? error.message : `${t("error")}: ${error}`));
}

function signInView(message) {
  const input = h("input", { id: "token", type: "password", autocomplete: "off", required: true, "aria-describedby": "token-hint" });
  const form = h("form", { class: "card sign-in", onsubmit: async (event) => {
    event.preventDefault();
    state.token = input.value.trim();
    await start();
  } },
    h("h1", {}, t("signInTitle")),
    h("label", { for: "token" }, t("tokenLabel")), input,
    h("p", { id: "token-hint", class: "muted" }, t("signInHint")),
    message ? h("p", { class: "error", role: "alert" }, message) : null,
    h("button", { id: "sign-in", type: "submit" }, t("signIn")));
  main().replaceChildren(form);
  input.focus();
}

const PORTFOLIO = `query Portfolio($dimension: SatisfactionDimension!) {
  kinds: satisfactionTrends(groupBy: ORGANIZATION_KIND, dimension: $dimension) { key label points { period mean responseCount organizationCount } }
  industries: satisfactionTrends(groupBy: INDUSTRY, dimension: $dimension) { key label points { period mean responseCount organizationCount } }
}`;

// one page of the list, and how many projects are at risk by the severity of their worst open flag
const AT_RISK = `query AtRisk($language: Language!, $first: Int!, $after: String) {
  atRiskProjects(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node {
    id title phase health { score riskLevel }
    riskFlags { id reason severity explanation(language: $language) raisedAt organization { name } } } } }
  medium: atRiskProjects(minSeverity: MEDIUM, first: 0) { totalCount }
  high: atRiskProjects(minSeverity: HIGH, first: 0) { totalCount }
}`;
const PAGE = 25;

async function overviewView() {
  const dimensionSelect = h("select", { id: "dimension", onchange: async (event) => {
    state.dimension = event.target.value;
    await renderPortfolio();
  } }, DIMENSIONS.map((d) => h("option", { value: d, selected: d === state.dimension }, label(d))));
  const portfolio = h("section", { id: "portfolio", class: "card" },
    h("div", { class: "section-head" }, h("h2", {}, t("portfolio")),
      h("label", { class: "inline" }, `${t("dimension")} `, dimensionSelect)),
    h("div", { id: "portfolio-charts", class: "charts" }));
  const more = h("button", { id: "at-risk-more", type: "button", hidden: true, onclick: () => loadAtRisk(shown + PAGE).catch(showError) });
  const atRisk = h("section", { id: "at-risk", class: "card" },
    h("h2", {}, t("atRisk")), h("p", { id: "at-risk-summary" }), h("p", { class: "muted", id: "at-risk-order" }, t("atRiskHint")),
    h("ol", { id: "at-risk-list", class: "risk-list" }), h("p", { class: "more" }, more));
  main().replaceChildren(h("h1", {}, t("overview")), h("div", { class: "columns overview" }, portfolio, atRisk));

  async function renderPortfolio() {
    const data = await graphql(PORTFOLIO, { dimension: state.dimension });
    const topIndustries = [...data.industries]
      .sort((a, b) => total(b) - total(a))
      .slice(0, 8)
      .sort((a, b) => a.label.localeCompare(b.label));
    document.getElementById("portfolio-charts").replaceChildren(
      h("div", { id: "portfolio-kind" }, portfolioChart(data.kinds, `${label(state.dimension)} ${t("byKind")}`, (s) => label(s.key))),
      h("div", { id: "portfolio-industry" }, portfolioChart(topIndustries, `${label(state.dimension)} ${t("byIndustry")}`, (s) => s.label)),
    );
  }
  const total = (series) => series.points.reduce((sum, p) => sum + p.responseCount, 0);

  // the first `count` projects of the list, page by page (a live refresh keeps as many as were shown)
  let shown = PAGE;
  async function loadAtRisk(count, changedProjectIds = new Set()) {
    const nodes = [];
    let after = null;
    let data;
    do {
      data = await graphql(AT_RISK, { language: state.lang.toUpperCase(), first: Math.min(100, count - nodes.length), after });
      nodes.push(...data.atRiskProjects.edges.map((e) => e.node));
      after = data.atRiskProjects.pageInfo.endCursor;
    } while (nodes.length < count && data.atRiskProjects.pageInfo.hasNextPage);
    const list = document.getElementById("at-risk-list");
    if (!list) return; // left the overview meanwhile
    shown = Math.max(PAGE, nodes.length);
    const total = data.atRiskProjects.totalCount;
    const items = nodes.map((node) => riskItem(node, changedProjectIds.has(node.id)));
    list.replaceChildren(...(items.length ? items : [h("li", { class: "muted" }, t("noRisk"))]));
    const high = data.high.totalCount, medium = data.medium.totalCount - high, low = total - data.medium.totalCount;
    document.getElementById("at-risk-summary").replaceChildren(...(total ? [
      `${total} ${t(total === 1 ? "projectAtRisk" : "projectsAtRisk")}: `,
      ...[["HIGH", high], ["MEDIUM", medium], ["LOW", low]].flatMap(([severity, n], i) => [i ? " " : "",
        h("span", { class: `badge ${severity.toLowerCase()}`, "data-severity": severity }, `${n} ${label(severity)}`)]),
    ] : []));
    more.hidden = !data.atRiskProjects.pageInfo.hasNextPage;
    more.textContent = `${t("showMore")} (${nodes.length} ${t("of")} ${total})`;
  }
  state.refreshAtRisk = (changedProjectIds) => loadAtRisk(shown, changedProjectIds);
  await Promise.all([loadAtRisk(PAGE), renderPortfolio()]);
}

function riskItem(project, changed) {
  const worst = project.riskFlags.reduce((a, f) => (rank(f.severity) > rank(a) ? f.severity : a), "LOW");
  return h("li", { class: `risk ${worst.toLowerCase()}${changed ? " changed" : ""}`, "data-project": project.id },
    h("div", { class: "risk-head" },
      h("a", { href: `#/project/${encodeURIComponent(project.id)}` }, project.title),
      h("span", { class: `badge ${worst.toLowerCase()}` }, label(worst)),
      project.health ? h("span", { class: "muted" }, `${t("health")} ${project.health.score}`) : null),
    h("ul", { class: "reasons" }, project.riskFlags.map((flag) =>
      h("li", { "data-reason": flag.reason },
        h("strong", {}, label(flag.reason)), flag.organization ? ` (${t("concerns")} ${flag.organization.name})` : "",
        ": ", flag.explanation))));
}

const rank = (severity) => ({ LOW: 1, MEDIUM: 2, HIGH: 3 })[severity] ?? 0;

// one request: `responses` is empty unless the viewer moderates the project or is an admin (the API decides)
const PROJECT = `query Project($id: ID!, $language: Language!) { node(id: $id) { ... on CooperationProject {
  id title summary kind phase phaseChangedAt startedOn plannedEndOn viewerRole exitPlan
  partners { role joinedOn leftOn organization { id name kind } }
  goals { title status dueOn owner { name } }
  health { score riskLevel upToDate }
  OVERALL: satisfactionTrend(dimension: OVERALL) { sequence mean suppressed }
  EXPECTATIONS_MET: satisfactionTrend(dimension: EXPECTATIONS_MET) { sequence mean suppressed }
  MUTUAL_BENEFIT: satisfactionTrend(dimension: MUTUAL_BENEFIT) { sequence mean suppressed }
  DECISION_SPEED: satisfactionTrend(dimension: DECISION_SPEED) { sequence mean suppressed }
  COMMUNICATION_TRUST: satisfactionTrend(dimension: COMMUNICATION_TRUST) { sequence mean suppressed }
  riskFlags(includeResolved: true) { id reason severity explanation(language: $language) raisedAt resolvedAt acknowledgedAt
    organization { name } }
  surveyRounds(first: 12) { edges { node { id sequence status openedAt closedAt responseCount expectedResponses
    responses { overall expectationsMet mutualBenefit decisionSpeed communicationTrust
      continueLikelihood comment organization { name } } } } } } } }`;

async function projectView(id) {
  const { node: project } = await graphql(PROJECT, { id, language: state.lang.toUpperCase() });
  if (!project) return main().replaceChildren(h("p", { class: "error" }, t("notFound")), backLink());
  const individual = state.viewer.role === "ADMIN" || project.viewerRole === "MODERATOR";
  const sequences = [...new Set(DIMENSIONS.flatMap((d) => project[d].map((p) => p.sequence)))].sort((a, b) => a - b);
  const trendSeries = DIMENSIONS.map((d) => {
    const bySequence = new Map(project[d].map((p) => [p.sequence, p.mean]));
    return { label: label(d), values: sequences.map((s) => bySequence.get(s) ?? null) };
  });
  const anySuppressed = DIMENSIONS.some((d) => project[d].some((p) => p.suppressed));
  const rounds = project.surveyRounds.edges.map((e) => e.node);
  show(
    backLink(),
    h("h1", {}, project.title),
    h("p", { class: "meta" },
      h("span", { class: "badge" }, label(project.phase)), " ", label(project.kind), " · ",
      `${formatDate(project.startedOn)}${project.plannedEndOn ? ` – ${formatDate(project.plannedEndOn)}` : ""}`,
      overdue(project) ? h("span", { class: "badge high", id: "overdue" }, t("overdue")) : null,
      project.health ? h("span", { class: `badge ${project.health.riskLevel.toLowerCase()}` }, `${t("health")} ${project.health.score}`) : null),
    project.summary ? h("p", {}, project.summary) : null,
    h("div", { class: "columns" },
      h("section", { class: "card", id: "partners" }, h("h2", {}, t("partners")),
        h("ul", { class: "plain" }, project.partners.map((p) => h("li", {},
          h("a", { href: `#/organization/${encodeURIComponent(p.organization.id)}` }, p.organization.name),
          ` — ${label(p.role)}, ${label(p.organization.kind)}`, p.leftOn ? ` (${formatDate(p.leftOn)})` : "")))),
      h("section", { class: "card", id: "goals" }, h("h2", {}, t("goals")),
        project.goals.length
          ? h("ul", { class: "plain" }, project.goals.map((g) => h("li", {}, h("strong", {}, g.title),
              ` — ${label(g.status)}${g.dueOn ? `, ${t("due")} ${formatDate(g.dueOn)}` : ""} (${g.owner.name})`)))
          : h("p", { class: "muted" }, t("noData")),
        h("p", {}, h("strong", {}, `${t("exitPlan")}: `), project.exitPlan ?? t("none")))),
    h("section", { class: "card", id: "trend" }, h("h2", {}, t("trend")),
      sequences.length ? lineChart(sequences.map((s) => `${t("round")} ${s}`), trendSeries, { title: t("trend"), caption: false }) : h("p", { class: "muted" }, t("noData")),
      anySuppressed ? h("p", { class: "muted" }, t("suppressed")) : null),
    h("section", { class: "card", id: "flags" }, h("h2", {}, t("flags")),
      project.riskFlags.length
        ? h("ul", { class: "risk-list" }, project.riskFlags.map((f) => h("li", { class: `risk ${f.resolvedAt ? "resolved" : f.severity.toLowerCase()}`, "data-reason": f.reason },
            h("strong", {}, label(f.reason)), " ", h("span", { class: `badge ${f.severity.toLowerCase()}` }, label(f.severity)),
            f.organization ? ` (${t("concerns")} ${f.organization.name})` : "", h("br"), f.explanation, h("br"),
            h("span", { class: "muted" }, `${t("raised")} ${formatDate(f.raisedAt)}`,
              f.resolvedAt ? ` · ${t("resolved")} ${formatDate(f.resolvedAt)}` : ` · ${t("open")}`,
              f.acknowledgedAt ? ` · ${t("acknowledged")} ${formatDate(f.acknowledgedAt)}` : ""))))
        : h("p", { class: "muted" }, t("noData"))),
    h("section", { class: "card", id: "rounds" }, h("h2", {}, t("rounds")),
      h("div", { class: "scroll" }, h("table", {},
        h("thead", {}, h("tr", {}, [t("round"), t("status"), t("responses"), t("responseRate")].map((c) => h("th", {}, c)))),
        h("tbody", {}, rounds.map((r) => h("tr", {},
          h("td", {}, `${r.sequence} (${formatDate(r.openedAt)})`), h("td", {}, label(r.status)),
          h("td", {}, `${r.responseCount} / ${r.expectedResponses}`),
          h("td", {}, h("meter", { min: 0, max: 1, value: r.expectedResponses ? r.responseCount / r.expectedResponses : 0 }),
            r.expectedResponses ? ` ${Math.round((100 * r.responseCount) / r.expectedResponses)} %` : ""))))))),
    individual ? answersSection(rounds) : null,
  );
}

// still running after its planned end (a project that ended keeps the dates it had)
const overdue = (project) =>
  project.plannedEndOn && !["COMPLETED", "TERMINATED"].includes(project.phase) && new Date(project.plannedEndOn) < new Date(new Date().toDateString());

function answersSection(rounds) {
  const rows = rounds.flatMap((r) => (r.responses ?? []).map((a) => ({ round: r.sequence, ...a })));
  return h("section", { class: "card", id: "answers" }, h("h2", {}, t("answers")), h("p", { class: "muted" }, t("answersHint")),
    rows.length
      ? h("div", { class: "scroll" }, h("table", {},
          h("thead", {}, h("tr", {}, [t("round"), t("organization"), ...DIMENSIONS.map(label)].map((c) => h("th", {}, c)),
            h("th", { title: t("continueLikelihoodHint") }, t("continueLikelihood")), h("th", {}, t("comment")))),
          h("tbody", {}, rows.map((a) => h("tr", {}, h("td", {}, a.round), h("td", {}, a.organization.name),
            [a.overall, a.expectationsMet, a.mutualBenefit, a.decisionSpeed, a.communicationTrust, a.continueLikelihood].map((v) => h("td", { class: "number" }, v)),
            h("td", {}, a.comment ?? ""))))))
      : h("p", { class: "muted" }, t("noData")));
}

const ORGANIZATION = `query Organization($id: ID!) { node(id: $id) { ... on Organization {
  id name kind industry city country employees foundedYear description website competencies projectCount
  projects(first: 50) { edges { node { id title phase viewerRole health { score riskLevel } } } } } } }`;

async function organizationView(id) {
  const { node: organization } = await graphql(ORGANIZATION, { id });
  if (!organization) return main().replaceChildren(h("p", { class: "error" }, t("notFound")), backLink());
  const projects = organization.projects.edges.map((e) => e.node);
  show(
    backLink(),
    h("h1", {}, organization.name),
    h("p", { class: "meta" }, h("span", { class: "badge" }, label(organization.kind)), ` ${organization.industry} · ${organization.city}, ${organization.country}`,
      organization.employees ? ` · ${organization.employees} ${t("employees")}` : "",
      organization.foundedYear ? ` · ${t("founded")} ${organization.foundedYear}` : ""),
    organization.description ? h("p", {}, organization.description) : null,
    organization.competencies.length ? h("p", { class: "tags" }, organization.competencies.map((c) => h("span", { class: "tag" }, c))) : null,
    h("section", { class: "card", id: "organization-projects" }, h("h2", {}, `${t("projects")} (${organization.projectCount})`),
      projects.length
        ? h("div", { class: "scroll" }, h("table", {},
            h("thead", {}, h("tr", {}, [t("project"), t("phase"), t("health")].map((c) => h("th", {}, c)))),
            h("tbody", {}, projects.map((p) => h("tr", {},
              h("td", {}, h("a", { href: `#/project/${encodeURIComponent(p.id)}` }, p.title)),
              h("td", {}, label(p.phase)),
              h("td", {}, p.health ? h("span", { class: `badge ${p.health.riskLevel.toLowerCase()}` }, `${p.health.score} · ${label(p.health.riskLevel)}`) : "–"))))))
        : h("p", { class: "muted" }, t("noData"))),
  );
}

const backLink = () => h("p", {}, h("a", { href: "#/", class: "back" }, t("back")));

// -- live updates: graphql-transport-ws on /graphql ----------------------------------------------------------------

function subscribe() {
  closeSocket();
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
  const socket = new WebSocket(url, "graphql-transport-ws");
  state.socket = socket;
  let retry = null;
  socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${state.token}` } }));
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "connection_ack") {
      setLive(true);
      socket.send(JSON.stringify({ id: "flags", type: "subscribe", payload: {
        query: "subscription { riskFlagChanged { id reason severity resolvedAt project { id } } }" } }));
    } else if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
    } else if (message.type === "next" && message.payload?.data?.riskFlagChanged) {
      flagChanged(message.payload.data.riskFlagChanged.project.id);
    } else if (["next", "error", "complete"].includes(message.type)) {
      // the subscription ended: a revoked token signs out, anything else listens again
      const errors = message.type === "error" ? message.payload : message.payload?.errors;
      if (errors?.some((e) => e.extensions?.code === "UNAUTHENTICATED")) return signOut(t("badToken"));
      socket.close();
    }
  };
  socket.onclose = (event) => {
    setLive(false);
    if (state.socket !== socket) return; // closed on purpose
    if (event.code === 4403) return signOut(t("badToken")); // the token was revoked meanwhile
    retry = setTimeout(subscribe, 2000);
  };
  socket.retry = () => clearTimeout(retry);
}

// A recomputation of many projects sends a burst of events: one refresh of the list per burst.
const changed = { projects: new Set(), timer: null };

function flagChanged(projectId) {
  changed.projects.add(projectId);
  if (changed.timer) return;
  changed.timer = setTimeout(() => {
    const projects = changed.projects;
    changed.projects = new Set();
    changed.timer = null;
    state.refreshAtRisk?.(projects).catch(showError);
  }, 300);
}

function closeSocket() {
  const socket = state.socket;
  state.socket = null;
  if (socket) {
    socket.retry?.();
    socket.close();
  }
  setLive(false);
}

function setLive(live) {
  const badge = document.getElementById("live");
  badge.hidden = !state.viewer;
  badge.textContent = live ? `● ${t("live")}` : `○ ${t("offline")}`;
  badge.classList.toggle("on", live);
}

// -- routing and start ------------------------------------------------------------------------------------------

async function render() {
  state.refreshAtRisk = null;
  document.documentElement.lang = state.lang;
  document.getElementById("language").textContent = state.lang === "de" ? "EN" : "DE";
  const signOut = document.getElementById("sign-out");
  signOut.textContent = t("signOut");
  signOut.hidden = !state.viewer;
  document.getElementById("who").textContent = state.viewer
    ? state.viewer.organization?.name ?? t("admin")
    : "";
  if (!state.viewer) return signInView();
  const [, view, id] = location.hash.match(/^#\/(project|organization)\/(.+)$/) ?? [];
  try {
    if (view === "project") await projectView(decodeURIComponent(id));
    else if (view === "organization") await organizationView(decodeURIComponent(id));
    else await overviewView();
  } catch (error) {
    showError(error);
  }
}

async function start() {
  if (!state.token) return render();
  try {
    const { viewer } = await graphql("{ viewer { role organization { id name } } }");
    state.viewer = viewer;
    sessionStorage.setItem("partnerpulse-token", state.token);
    subscribe();
  } catch (error) {
    state.viewer = null;
    sessionStorage.removeItem("partnerpulse-token");
    return signInView(error.message);
  }
  await render();
}

document.getElementById("language").addEventListener("click", () => {
  state.lang = state.lang === "de" ? "en" : "de";
  localStorage.setItem("partnerpulse-language", state.lang);
  render();
  if (state.viewer) setLive(state.socket?.readyState === WebSocket.OPEN);
});
function signOut(message) {
  closeSocket();
  state.token = null;
  state.viewer = null;
  sessionStorage.removeItem("partnerpulse-token");
  render();
  if (message) signInView(message);
}

document.getElementById("sign-out").addEventListener("click", () => signOut());
window.addEventListener("hashchange", render);
start();
