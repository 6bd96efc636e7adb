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
    emailLabel: "E-mail address", sendLink: "E-mail me a sign-in link", orToken: "Or, for machines and operators: an API token",
    linkSent: "If this address belongs to a contact person, a sign-in link is on its way (it works 15 minutes, once).",
    yourTurn: "Waiting for your answer", answerNow: "Answer now", invitations: "Invitations to projects",
    accept: "Accept", decline: "Decline", manage: "Manage", onboard: "Onboard an organization", name: "Name",
    kind: "Kind", industry: "Industry", city: "City", country: "Country", contactName: "Contact person",
    contactEmail: "Contact person's e-mail", language: "Language", sendSignIn: "E-mail them a sign-in link",
    onboarded: "Onboarded", newProject: "New cooperation project", title: "Title", findOrganization: "Find an organization",
    find: "Find", addAs: "add as", create: "Create", created: "Created", chosenPartners: "Partners of the new project",
    noneChosen: "None yet.", remove: "Remove", save: "Save", actions: "Run the project", advance: "Move to phase",
    addGoal: "Add a goal", owner: "Owner", dueOn: "Due on", schedule: "Survey schedule", everyWeeks: "every … weeks",
    answerWindowDays: "open for … days", noSchedule: "No schedule: rounds open and close by hand.",
    nextRound: "next round on", removeSchedule: "Remove the schedule", openRound: "Open a survey round",
    closeRound: "Close", invitePartner: "Invite a partner", role: "Role", invitedOrganizations: "Invitations and reminders",
    sent: "invited", reminded: "reminded", answered: "answered", notYet: "–", acknowledge: "Acknowledge",
    note: "Note", done: "Done.", contactPeople: "Contact persons",
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
    emailLabel: "E-Mail-Adresse", sendLink: "Anmeldelink per E-Mail senden", orToken: "Oder, für Maschinen und Betrieb: ein API-Token",
    linkSent: "Gehört die Adresse einer Kontaktperson, ist ein Anmeldelink unterwegs (er gilt 15 Minuten und einmal).",
    yourTurn: "Ihre Antwort wird erwartet", answerNow: "Jetzt antworten", invitations: "Einladungen zu Projekten",
    accept: "Annehmen", decline: "Ablehnen", manage: "Verwalten", onboard: "Organisation aufnehmen", name: "Name",
    kind: "Art", industry: "Branche", city: "Stadt", country: "Land", contactName: "Kontaktperson",
    contactEmail: "E-Mail der Kontaktperson", language: "Sprache", sendSignIn: "Ihr einen Anmeldelink senden",
    onboarded: "Aufgenommen", newProject: "Neues Kooperationsprojekt", title: "Titel", findOrganization: "Organisation suchen",
    find: "Suchen", addAs: "hinzufügen als", create: "Anlegen", created: "Angelegt", chosenPartners: "Partner des neuen Projekts",
    noneChosen: "Noch keine.", remove: "Entfernen", save: "Speichern", actions: "Projekt steuern", advance: "In Phase wechseln",
    addGoal: "Ziel hinzufügen", owner: "Verantwortlich", dueOn: "Fällig am", schedule: "Befragungsrhythmus", everyWeeks: "alle … Wochen",
    answerWindowDays: "offen für … Tage", noSchedule: "Kein Rhythmus: Runden werden von Hand geöffnet und geschlossen.",
    nextRound: "nächste Runde am", removeSchedule: "Rhythmus entfernen", openRound: "Befragungsrunde öffnen",
    closeRound: "Schließen", invitePartner: "Partner einladen", role: "Rolle", invitedOrganizations: "Einladungen und Erinnerungen",
    sent: "eingeladen", reminded: "erinnert", answered: "geantwortet", notYet: "–", acknowledge: "Zur Kenntnis nehmen",
    note: "Notiz", done: "Erledigt.", contactPeople: "Kontaktpersonen",
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
  session: false, // signed in with an e-mailed link: the HttpOnly cookie authenticates, no token in the page
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
    headers: { "content-type": "application/json", ...(state.token ? { authorization: `Bearer ${state.token}` } : {}) },
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

const REQUEST_LINK = "mutation RequestSignInLink($input: RequestSignInLinkInput!) { requestSignInLink(input: $input) { requested userErrors { field code message } } }";

function signInView(message) {
  const email = h("input", { id: "email", type: "email", autocomplete: "email", required: true });
  const emailForm = h("form", { class: "card sign-in", id: "email-sign-in", onsubmit: async (event) => {
    event.preventDefault();
    const payload = await act(emailForm, REQUEST_LINK, { email: email.value }, "requestSignInLink");
    if (payload) outcome(emailForm, t("linkSent"));
  } },
    h("h1", {}, t("signInTitle")),
    h("label", { for: "email" }, t("emailLabel")), email,
    h("button", { id: "send-link", type: "submit" }, t("sendLink")), h("p", { class: "outcome", role: "status" }));
  const input = h("input", { id: "token", type: "password", autocomplete: "off", required: true, "aria-describedby": "token-hint" });
  const form = h("form", { class: "card sign-in", onsubmit: async (event) => {
    event.preventDefault();
    state.token = input.value.trim();
    await start();
  } },
    h("h2", {}, t("orToken")),
    h("label", { for: "token" }, t("tokenLabel")), input,
    h("p", { id: "token-hint", class: "muted" }, t("signInHint")),
    message ? h("p", { class: "error", role: "alert" }, message) : null,
    h("button", { id: "sign-in", type: "submit" }, t("signIn")));
  main().replaceChildren(emailForm, form);
  (message ? input : email).focus();
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
  const turn = h("div", { id: "my-turn-slot" });
  main().replaceChildren(h("h1", {}, t("overview")), turn, h("div", { class: "columns overview" }, portfolio, atRisk));
  if (state.viewer.role !== "ADMIN") {
    myTurnSection().then((section) => section && turn.replaceWith(section)).catch(showError);
  }

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
  surveySchedule { everyWeeks answerWindowDays nextRoundOn }
  partners { role joinedOn leftOn organization { id name kind } }
  goals { title status dueOn owner { name } }
  health { score riskLevel upToDate }
  OVERALL: satisfactionTrend(dimension: OVERALL) { sequence mean suppressed }
  EXPECTATIONS_MET: satisfactionTrend(dimension: EXPECTATIONS_MET) { sequence mean suppressed }
  MUTUAL_BENEFIT: satisfactionTrend(dimension: MUTUAL_BENEFIT) { sequence mean suppressed }
  DECISION_SPEED: satisfactionTrend(dimension: DECISION_SPEED) { sequence mean suppressed }
  COMMUNICATION_TRUST: satisfactionTrend(dimension: COMMUNICATION_TRUST) { sequence mean suppressed }
  riskFlags(includeResolved: true) { id reason severity explanation(language: $language) raisedAt resolvedAt acknowledgedAt
    acknowledgementNote organization { name } }
  surveyRounds(first: 12) { edges { node { id sequence status openedAt closedAt responseCount expectedResponses
    invitations { organization { name } sentAt remindedAt answeredAt }
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
              f.acknowledgedAt ? ` · ${t("acknowledged")} ${formatDate(f.acknowledgedAt)}` : ""),
            f.acknowledgementNote ? h("p", { class: "note" }, `${t("note")}: ${f.acknowledgementNote}`) : null,
            runsProject(project) && !f.resolvedAt ? acknowledgeForm(f) : null)))
        : h("p", { class: "muted" }, t("noData"))),
    h("section", { class: "card", id: "rounds" }, h("h2", {}, t("rounds")),
      h("div", { class: "scroll" }, h("table", {},
        h("thead", {}, h("tr", {}, [t("round"), t("status"), t("responses"), t("responseRate")].map((c) => h("th", {}, c)))),
        h("tbody", {}, rounds.map((r) => h("tr", {},
          h("td", {}, `${r.sequence} (${formatDate(r.openedAt)})`), h("td", {}, label(r.status)),
          h("td", {}, `${r.responseCount} / ${r.expectedResponses}`),
          h("td", {}, h("meter", { min: 0, max: 1, value: r.expectedResponses ? r.responseCount / r.expectedResponses : 0 }),
            r.expectedResponses ? ` ${Math.round((100 * r.responseCount) / r.expectedResponses)} %` : ""))))))),
    invitationsTable(rounds),
    individual ? answersSection(rounds) : null,
    runsProject(project) ? projectActions(project, rounds) : null,
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

// -- acting: forms that call the public mutations and show their userErrors -----------------------------------------

const ERRORS = "userErrors { field code message }";

// the outcome line of a form: its userErrors (or a failure) in red, or what was done
function outcome(form, text, isError = false) {
  const line = form.querySelector(".outcome");
  line.textContent = text;
  line.classList.toggle("error", isError);
  line.setAttribute("role", isError ? "alert" : "status");
}

// Run a mutation for a form; the payload when it succeeded, null (and its userErrors shown) when refused.
async function act(form, mutation, input, field) {
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  try {
    const payload = (await graphql(mutation, { input }))[field];
    if (payload.userErrors.length) {
      outcome(form, payload.userErrors.map((e) => `${e.field ? `${e.field}: ` : ""}${e.message} (${e.code})`).join(" "), true);
      return null;
    }
    outcome(form, t("done"));
    return payload;
  } catch (error) {
    if (!(error instanceof SignedOut)) outcome(form, error.message, true);
    return null;
  } finally {
    if (button) button.disabled = false;
  }
}

const field = (id, text, control) => h("label", { class: "field", for: id }, h("span", {}, text), control);
const input = (id, attributes = {}) => h("input", { id, name: id, ...attributes });
const select = (id, values, chosen, attributes = {}) =>
  h("select", { id, name: id, ...attributes }, values.map((v) => h("option", { value: v, selected: v === chosen }, label(v))));
const actionForm = (id, title, onsubmit, ...controls) => {
  const form = h("form", { class: "action", id, onsubmit: async (event) => { event.preventDefault(); await onsubmit(form); } },
    title ? h("h3", {}, title) : null, ...controls, h("p", { class: "outcome" }));
  return form;
};

const KINDS = ["SME", "STARTUP", "CORPORATE", "RESEARCH_INSTITUTE"];
const ROLES = ["LEAD", "PARTNER", "MODERATOR"];
const COOPERATION_KINDS = ["PRODUCT_DEVELOPMENT", "TECHNOLOGY_PILOT", "CLOUD_INTEGRATION", "MARKETING", "OUTSOURCING",
  "STRATEGIC_PARTNERSHIP", "RESEARCH"];
const PHASES = ["ASSESSMENT", "GOAL_SETTING", "PARTNER_SEARCH", "INITIATION", "ACTIVE", "COMPLETED", "TERMINATED"];

// -- a member's turn: pending rounds first, then invitations to projects

const MY_TURN = `query MyTurn { viewer {
  pendingSurveyRounds { id sequence openedAt project { id title } }
  projectInvitations { id role invitedAt project { id title } invitedBy { name } } } }`;
const ACCEPT = "mutation AcceptInvitation($input: AcceptProjectInvitationInput!) { acceptProjectInvitation(input: $input) { userErrors { field code message } } }";
const DECLINE = "mutation DeclineInvitation($input: DeclineProjectInvitationInput!) { declineProjectInvitation(input: $input) { userErrors { field code message } } }";

async function myTurnSection() {
  const { viewer } = await graphql(MY_TURN);
  const rounds = viewer.pendingSurveyRounds, invitations = viewer.projectInvitations;
  if (!rounds.length && !invitations.length) return null;
  return h("section", { class: "card", id: "my-turn" },
    rounds.length ? h("h2", {}, t("yourTurn")) : null,
    rounds.length ? h("ul", { class: "plain", id: "pending-rounds" }, rounds.map((r) => h("li", { "data-round": r.id },
      h("strong", {}, r.project.title), ` — ${t("round")} ${r.sequence} (${formatDate(r.openedAt)}) `,
      h("a", { class: "button", href: `/answer/round/${encodeURIComponent(r.id)}?lang=${state.lang}` }, t("answerNow"))))) : null,
    invitations.length ? h("h2", {}, t("invitations")) : null,
    invitations.length ? h("ul", { class: "plain", id: "project-invitations" }, invitations.map((i) => {
      const form = actionForm(null, null, async () => {}, h("strong", {}, i.project.title),
        ` — ${label(i.role)}${i.invitedBy ? ` (${i.invitedBy.name})` : ""} `,
        h("button", { type: "button", class: "accept", onclick: async () => {
          if (await act(form, ACCEPT, { projectId: i.project.id }, "acceptProjectInvitation")) render();
        } }, t("accept")), " ",
        h("button", { type: "button", class: "decline", onclick: async () => {
          if (await act(form, DECLINE, { projectId: i.project.id }, "declineProjectInvitation")) render();
        } }, t("decline")));
      return h("li", { "data-invitation": i.id }, form);
    })) : null);
}

// -- the network manager's page: onboard an organization, start a project

const CREATE_ORGANIZATION = "mutation CreateOrganization($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id name } userErrors { field code message } } }";
const ADD_CONTACT = "mutation AddContactPerson($input: AddContactPersonInput!) { addContactPerson(input: $input) { contactPerson { id name email } userErrors { field code message } } }";
const FIND_ORGANIZATIONS = "query FindOrganizations($search: String!) { organizations(search: $search, first: 10) { edges { node { id name kind city } } } }";
const CREATE_PROJECT = "mutation CreateProject($input: CreateCooperationProjectInput!) { createCooperationProject(input: $input) { cooperationProject { id title } userErrors { field code message } } }";

function onboardForm() {
  const values = (form) => Object.fromEntries(new FormData(form));
  return actionForm("onboard", t("onboard"), async (form) => {
    const v = values(form);
    const created = await act(form, CREATE_ORGANIZATION,
      { name: v.name, kind: v.kind, industry: v.industry, city: v.city, country: v.country }, "createOrganization");
    if (!created) return;
    const organization = created.organization;
    let text = `${t("onboarded")}: ${organization.name}.`;
    if (v.contactEmail) {
      const person = await act(form, ADD_CONTACT, { organizationId: organization.id, name: v.contactName || v.contactEmail,
        email: v.contactEmail, language: v.language }, "addContactPerson");
      if (!person) return; // the organization exists; its userErrors say what is wrong with the person
      text += ` ${t("contactPeople")}: ${person.contactPerson.name} <${person.contactPerson.email}>.`;
      if (v.sendSignIn && await act(form, REQUEST_LINK, { email: v.contactEmail }, "requestSignInLink")) text += ` ${t("linkSent")}`;
    }
    outcome(form, text);
    form.reset();
  },
  h("div", { class: "fields" },
    field("name", t("name"), input("name", { required: true, maxlength: 200 })),
    field("kind", t("kind"), select("kind", KINDS, "SME")),
    field("industry", t("industry"), input("industry", { required: true })),
    field("city", t("city"), input("city", { required: true })),
    field("country", t("country"), input("country", { value: "DE", required: true, maxlength: 2, size: 3 })),
    field("contactName", t("contactName"), input("contactName")),
    field("contactEmail", t("contactEmail"), input("contactEmail", { type: "email" })),
    field("language", t("language"), h("select", { id: "language-of-contact", name: "language" },
      h("option", { value: "DE" }, "Deutsch"), h("option", { value: "EN" }, "English"))),
    h("label", { class: "check" }, input("sendSignIn", { type: "checkbox", checked: true }), ` ${t("sendSignIn")}`)),
  h("button", { type: "submit", id: "onboard-submit" }, t("onboard")));
}

// a search box whose results can be picked with a role (the new project's partners, a partner to invite)
function organizationPicker(id, onPick) {
  const search = input(`${id}-search`, { type: "search", placeholder: t("findOrganization"), "aria-label": t("findOrganization") });
  const results = h("ul", { class: "plain results", id: `${id}-results` });
  const find = async () => {
    const data = await graphql(FIND_ORGANIZATIONS, { search: search.value.trim() });
    results.replaceChildren(...data.organizations.edges.map(({ node }) => h("li", { "data-organization": node.name },
      `${node.name} (${label(node.kind)}, ${node.city}) — ${t("addAs")} `,
      ROLES.map((role) => h("button", { type: "button", "data-role": role, onclick: () => onPick(node, role) }, label(role))))));
  };
  search.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); find().catch(showError); } });
  return h("div", { class: "picker" }, search, " ", h("button", { type: "button", id: `${id}-find`, onclick: () => find().catch(showError) }, t("find")), results);
}

function newProjectForm() {
  const chosen = new Map(); // organization id -> { name, role }
  const list = h("ul", { class: "plain", id: "new-project-partners" });
  const showChosen = () => list.replaceChildren(...(chosen.size ? [...chosen].map(([id, p]) => h("li", { "data-partner": p.name },
    `${p.name} — ${label(p.role)} `, h("button", { type: "button", onclick: () => { chosen.delete(id); showChosen(); } }, t("remove"))))
    : [h("li", { class: "muted" }, t("noneChosen"))]));
  showChosen();
  return actionForm("new-project", t("newProject"), async (form) => {
    const v = Object.fromEntries(new FormData(form));
    const partners = [...chosen].map(([organizationId, p]) => ({ organizationId, role: p.role }));
    const created = await act(form, CREATE_PROJECT, { title: v.title, kind: v.projectKind, partners }, "createCooperationProject");
    if (created) location.hash = `#/project/${encodeURIComponent(created.cooperationProject.id)}`;
  },
  h("div", { class: "fields" },
    field("title", t("title"), input("title", { required: true, maxlength: 200 })),
    field("projectKind", t("kind"), select("projectKind", COOPERATION_KINDS, "TECHNOLOGY_PILOT"))),
  h("p", {}, h("strong", {}, t("chosenPartners"))), list,
  organizationPicker("partner", (organization, role) => { chosen.set(organization.id, { name: organization.name, role }); showChosen(); }),
  h("button", { type: "submit", id: "new-project-submit" }, t("create")));
}

function manageView() {
  show(backLink(), h("h1", {}, t("manage")),
    h("div", { class: "columns" },
      state.viewer.role === "ADMIN" ? h("section", { class: "card" }, onboardForm()) : null,
      h("section", { class: "card" }, newProjectForm())));
}

// -- a project's actions, for those who run it (the API refuses everyone else with FORBIDDEN anyway)

const ADVANCE = "mutation AdvancePhase($input: AdvanceProjectPhaseInput!) { advanceProjectPhase(input: $input) { userErrors { field code message } } }";
const ADD_GOAL = "mutation AddGoal($input: AddProjectGoalInput!) { addProjectGoal(input: $input) { userErrors { field code message } } }";
const SET_EXIT_PLAN = "mutation SetExitPlan($input: SetExitPlanInput!) { setExitPlan(input: $input) { userErrors { field code message } } }";
const SET_SCHEDULE = "mutation SetSchedule($input: SetSurveyScheduleInput!) { setSurveySchedule(input: $input) { userErrors { field code message } } }";
const REMOVE_SCHEDULE = "mutation RemoveSchedule($input: RemoveSurveyScheduleInput!) { removeSurveySchedule(input: $input) { userErrors { field code message } } }";
const OPEN_ROUND = "mutation OpenRound($input: OpenSurveyRoundInput!) { openSurveyRound(input: $input) { userErrors { field code message } } }";
const CLOSE_ROUND = "mutation CloseRound($input: CloseSurveyRoundInput!) { closeSurveyRound(input: $input) { userErrors { field code message } } }";
const INVITE_PARTNER = "mutation InvitePartner($input: AddProjectPartnerInput!) { addProjectPartner(input: $input) { userErrors { field code message } } }";
const ACKNOWLEDGE = "mutation AcknowledgeFlag($input: AcknowledgeRiskFlagInput!) { acknowledgeRiskFlag(input: $input) { userErrors { field code message } } }";

const runsProject = (project) => state.viewer.role === "ADMIN" || ["LEAD", "MODERATOR"].includes(project.viewerRole);
const again = (payload) => payload && render(); // done: show the project as it is now

function projectActions(project, rounds) {
  const id = project.id;
  const later = PHASES.slice(PHASES.indexOf(project.phase) + 1);
  const next = later.length ? [later[0], ...(later.includes("TERMINATED") && later[0] !== "TERMINATED" ? ["TERMINATED"] : [])] : [];
  const open = rounds.find((r) => r.status === "OPEN");
  const members = project.partners.filter((p) => !p.leftOn);
  const forms = [
    next.length ? actionForm("advance", t("advance"), async (form) =>
      again(await act(form, ADVANCE, { projectId: id, to: form.elements.to.value }, "advanceProjectPhase")),
    select("to", next, next[0], { "aria-label": t("advance") }), " ", h("button", { type: "submit" }, t("advance"))) : null,
    actionForm("add-goal", t("addGoal"), async (form) => {
      const v = Object.fromEntries(new FormData(form));
      again(await act(form, ADD_GOAL, { projectId: id, title: v.goalTitle, ownerOrganizationId: v.owner, dueOn: v.dueOn || null }, "addProjectGoal"));
    },
    h("div", { class: "fields" }, field("goalTitle", t("title"), input("goalTitle", { required: true, maxlength: 200 })),
      field("owner", t("owner"), h("select", { id: "owner", name: "owner" }, members.map((p) => h("option", { value: p.organization.id }, p.organization.name)))),
      field("dueOn", t("dueOn"), input("dueOn", { type: "date" }))),
    h("button", { type: "submit" }, t("addGoal"))),
    actionForm("exit-plan", t("exitPlan"), async (form) =>
      again(await act(form, SET_EXIT_PLAN, { projectId: id, exitPlan: form.elements.exitPlanText.value.trim() || null }, "setExitPlan")),
    h("textarea", { id: "exitPlanText", name: "exitPlanText", rows: 3, maxlength: 5000, "aria-label": t("exitPlan") }, project.exitPlan ?? ""),
    h("button", { type: "submit" }, t("save"))),
    actionForm("schedule", t("schedule"), async (form) => {
      const v = Object.fromEntries(new FormData(form));
      again(await act(form, SET_SCHEDULE, { projectId: id, everyWeeks: Number(v.everyWeeks), answerWindowDays: Number(v.answerWindowDays) }, "setSurveySchedule"));
    },
    h("p", { class: "muted", id: "schedule-now" }, project.surveySchedule
      ? `${t("everyWeeks").replace("…", project.surveySchedule.everyWeeks)}, ${t("answerWindowDays").replace("…", project.surveySchedule.answerWindowDays)}, ${t("nextRound")} ${formatDate(project.surveySchedule.nextRoundOn)}`
      : t("noSchedule")),
    h("div", { class: "fields" },
      field("everyWeeks", t("everyWeeks"), input("everyWeeks", { type: "number", min: 1, max: 52, required: true, value: project.surveySchedule?.everyWeeks ?? 4 })),
      field("answerWindowDays", t("answerWindowDays"), input("answerWindowDays", { type: "number", min: 1, required: true, value: project.surveySchedule?.answerWindowDays ?? 7 }))),
    h("button", { type: "submit" }, t("save")), " ",
    project.surveySchedule ? h("button", { type: "button", id: "remove-schedule", onclick: async (event) =>
      again(await act(event.target.form, REMOVE_SCHEDULE, { projectId: id }, "removeSurveySchedule")) }, t("removeSchedule")) : null),
    actionForm("rounds-action", null, async (form) => again(open
      ? await act(form, CLOSE_ROUND, { roundId: open.id }, "closeSurveyRound")
      : await act(form, OPEN_ROUND, { projectId: id }, "openSurveyRound")),
    h("button", { type: "submit", id: open ? "close-round" : "open-round" }, open ? `${t("closeRound")}: ${t("round")} ${open.sequence}` : t("openRound"))),
    actionForm("invite-partner", t("invitePartner"), async () => {},
      // an invitation changes nothing on this page until it is accepted: the outcome line says what happened
      organizationPicker("invite", (organization, role) =>
        act(document.getElementById("invite-partner"), INVITE_PARTNER, { projectId: id, organizationId: organization.id, role }, "addProjectPartner"))),
  ];
  return h("section", { class: "card", id: "actions" }, h("h2", {}, t("actions")), h("div", { class: "actions" }, forms));
}

function acknowledgeForm(flag) {
  return actionForm(`acknowledge-${flag.id}`, null, async (form) =>
    again(await act(form, ACKNOWLEDGE, { id: flag.id, note: form.elements.note.value.trim() || null }, "acknowledgeRiskFlag")),
  input(`note-${flag.id}`, { name: "note", placeholder: t("note"), "aria-label": t("note"), maxlength: 2000, value: flag.acknowledgementNote ?? "" }), " ",
  h("button", { type: "submit" }, t("acknowledge")));
}

function invitationsTable(rounds) {
  const withInvitations = rounds.filter((r) => r.invitations?.length);
  if (!withInvitations.length) return null;
  const when = (value) => (value ? formatDate(value) : t("notYet"));
  return h("section", { class: "card", id: "round-invitations" }, h("h2", {}, t("invitedOrganizations")),
    h("div", { class: "scroll" }, h("table", {},
      h("thead", {}, h("tr", {}, [t("round"), t("organization"), t("sent"), t("reminded"), t("answered")].map((c) => h("th", {}, c)))),
      h("tbody", {}, withInvitations.flatMap((r) => r.invitations.map((i) => h("tr", {},
        h("td", {}, r.sequence), h("td", {}, i.organization.name), h("td", {}, when(i.sentAt)),
        h("td", {}, when(i.remindedAt)), h("td", {}, when(i.answeredAt)))))))));
}

// -- live updates: graphql-transport-ws on /graphql ----------------------------------------------------------------

function subscribe() {
  closeSocket();
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
  const socket = new WebSocket(url, "graphql-transport-ws");
  state.socket = socket;
  let retry = null;
  // a session is sent as its cookie with the handshake; a token in connection_init
  const payload = state.token ? { Authorization: `Bearer ${state.token}` } : {};
  socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload }));
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
  const manage = document.getElementById("manage");
  manage.textContent = t("manage");
  manage.hidden = !state.viewer;
  const [, view, id] = location.hash.match(/^#\/(project|organization)\/(.+)$/) ?? [];
  try {
    if (location.hash === "#/manage") manageView();
    else if (view === "project") await projectView(decodeURIComponent(id));
    else if (view === "organization") await organizationView(decodeURIComponent(id));
    else await overviewView();
  } catch (error) {
    showError(error);
  }
}

async function start() {
  try {
    // without a token the session cookie answers, if the person signed in with an e-mailed link
    const { viewer } = await graphql("{ viewer { role organization { id name } } }");
    state.viewer = viewer;
    state.session = !state.token;
    if (state.token) sessionStorage.setItem("partnerpulse-token", state.token);
    subscribe();
  } catch (error) {
    state.viewer = null;
    if (!state.token) return render(); // not signed in: the sign-in form, without a complaint
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
const SIGN_OUT = "mutation SignOut { signOut { signedOut userErrors { code message } } }";

function signOut(message) {
  closeSocket();
  if (state.session && !message) graphql(SIGN_OUT).catch(() => {}); // ends the session and clears its cookie
  state.token = null;
  state.session = false;
  state.viewer = null;
  sessionStorage.removeItem("partnerpulse-token");
  render();
  if (message) signInView(message);
}

document.getElementById("sign-out").addEventListener("click", () => signOut());
window.addEventListener("hashchange", render);
start();
