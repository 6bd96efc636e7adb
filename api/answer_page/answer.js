// The answer page: the token of the mailed link is the bearer token of every request it makes. Opened from the
// dashboard (/answer/round/<round id>) it asks as the signed-in viewer instead: the session cookie, or the
// dashboard's token of this tab.
const token = decodeURIComponent(location.pathname.split("/").pop() || "");
const state = document.querySelector('meta[name="answer-state"]').content;
const signedInRound = state === "signed-in" ? token : null;
const $ = (id) => document.getElementById(id);

const TEXTS = {
  de: {
    questions: {
      overall: "Wie zufrieden ist Ihre Organisation insgesamt mit der Kooperation?",
      expectationsMet: "Erfüllt die Kooperation Ihre Erwartungen?",
      mutualBenefit: "Profitieren beide Seiten (Win-win)?",
      decisionSpeed: "Passt das Entscheidungstempo zu Ihrem?",
      communicationTrust: "Wie offen und vertrauensvoll ist die Kommunikation?",
      continueLikelihood: "Wie wahrscheinlich setzen Sie die Zusammenarbeit fort?",
    },
    low: "gar nicht", high: "voll und ganz", unlikely: "unwahrscheinlich", likely: "sehr wahrscheinlich",
    comment: "Kommentar (freiwillig, höchstens 2.000 Zeichen)",
    submit: "Antwort senden",
    intro: (p) => `Pulsbefragung Nr. ${p.sequence} zu „${p.projectTitle}“. Sie antworten für ${p.organizationName}. Partner: ${p.partnerNames.join(", ")}.`,
    privacy: "Wer Ihre Antwort sieht: einzeln nur die Moderation des Projekts und das Netzwerkmanagement. Die Partner sehen nur zusammengefasste Werte, und erst wenn mindestens drei Organisationen geantwortet haben.",
    missing: "Bitte beantworten Sie alle sechs Fragen.",
    sending: "Wird gesendet …",
    thanks: "Danke! Ihre Antwort ist gespeichert.",
    already: "Ihre Organisation hat diese Befragung bereits beantwortet. Ihre Antwort:",
    closed: "Diese Befragung ist geschlossen; Antworten werden nicht mehr angenommen.",
    expired: "Dieser Link ist nicht mehr gültig. Bitte wenden Sie sich an Ihr Netzwerkmanagement.",
    failed: "Die Antwort konnte nicht gesendet werden. Bitte versuchen Sie es erneut.",
    comment_label: "Kommentar",
  },
  en: {
    questions: {
      overall: "Overall, how satisfied is your organization with the cooperation?",
      expectationsMet: "Does the cooperation meet your expectations?",
      mutualBenefit: "Do both sides benefit (win-win)?",
      decisionSpeed: "Does the speed of decisions fit yours?",
      communicationTrust: "How open and trustful is the communication?",
      continueLikelihood: "How likely are you to continue the cooperation?",
    },
    low: "not at all", high: "fully", unlikely: "unlikely", likely: "very likely",
    comment: "Comment (optional, at most 2,000 characters)",
    submit: "Send answer",
    intro: (p) => `Pulse survey no. ${p.sequence} of “${p.projectTitle}”. You answer for ${p.organizationName}. Partners: ${p.partnerNames.join(", ")}.`,
    privacy: "Who sees your answer: individually only the project's moderator and the network management. Partners see combined figures only, and only once at least three organizations have answered.",
    missing: "Please answer all six questions.",
    sending: "Sending …",
    thanks: "Thank you! Your answer is stored.",
    already: "Your organization has already answered this survey. Its answer:",
    closed: "This survey is closed; answers are no longer taken.",
    expired: "This link is no longer valid. Please contact your network management.",
    failed: "The answer could not be sent. Please try again.",
    comment_label: "Comment",
  },
};
const ORDER = ["overall", "expectationsMet", "mutualBenefit", "decisionSpeed", "communicationTrust", "continueLikelihood"];
const PAGE = `query AnswerPage { answerLink { roundId sequence status projectTitle organizationName partnerNames
  myResponse { overall expectationsMet mutualBenefit decisionSpeed communicationTrust continueLikelihood comment } } }`;
const ROUND_PAGE = `query AnswerRound($id: ID!) { viewer { organization { name } } node(id: $id) { ... on SurveyRound {
  id sequence status project { title partners { organization { name } } }
  myResponse { overall expectationsMet mutualBenefit decisionSpeed communicationTrust continueLikelihood comment } } } }`;
const SUBMIT = `mutation AnswerSubmit($input: SubmitSurveyResponseInput!) { submitSurveyResponse(input: $input) {
  surveyResponse { overall expectationsMet mutualBenefit decisionSpeed communicationTrust continueLikelihood comment }
  userErrors { field code message } } }`;

let lang = TEXTS[document.documentElement.lang] ? document.documentElement.lang : "de";
let page = null;
let outcome = null; // null, "thanks", "already", "closed", "expired"
let response = null;

function bearer() {
  const credential = signedInRound ? sessionStorage.getItem("partnerpulse-token") : token;
  return credential ? { authorization: `Bearer ${credential}` } : {};
}

// what the page shows, from the answer link or, signed in, from the round itself; null when not available
async function loadPage() {
  if (!signedInRound) {
    const data = await api(PAGE);
    return data.expired ? null : data.answerLink;
  }
  const data = await api(ROUND_PAGE, { id: signedInRound });
  const round = data.node;
  if (data.expired || !round) return null;
  return {
    roundId: round.id, sequence: round.sequence, status: round.status, projectTitle: round.project.title,
    organizationName: data.viewer.organization?.name ?? "", myResponse: round.myResponse,
    partnerNames: round.project.partners.map((p) => p.organization.name).sort(),
  };
}

async function api(query, variables = {}) {
  const reply = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...bearer() },
    body: JSON.stringify({ query, variables }),
  });
  if (reply.status === 401) return { expired: true };
  const body = await reply.json();
  if (body.errors) throw new Error(body.errors[0].message);
  return body.data;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function scale(name, low, high, lowText, highText, checked) {
  const set = el("fieldset", { id: `q-${name}` }, el("legend", {}, TEXTS[lang].questions[name]));
  const row = el("div", { class: "scale" });
  for (let value = low; value <= high; value++) {
    const input = el("input", { type: "radio", name, value: String(value), required: "" });
    if (checked === value) input.checked = true;
    row.append(el("label", {}, input, el("span", {}, String(value))));
  }
  set.append(row, el("div", { class: "ends", "aria-hidden": "true" }, el("span", {}, lowText), el("span", {}, highText)));
  return set;
}

function chosen(form) {
  const values = {};
  for (const name of ORDER) {
    const input = form.querySelector(`input[name="${name}"]:checked`);
    values[name] = input ? Number(input.value) : null;
  }
  return values;
}

function renderForm(previous = {}) {
  const t = TEXTS[lang];
  const form = $("answer");
  form.replaceChildren();
  for (const name of ORDER.slice(0, 5)) form.append(scale(name, 1, 5, t.low, t.high, previous[name]));
  form.append(scale("continueLikelihood", 0, 10, t.unlikely, t.likely, previous.continueLikelihood));
  const comment = el("textarea", { id: "comment", name: "comment", maxlength: "2000" });
  comment.value = previous.comment || "";
  form.append(el("p", {}, el("label", { for: "comment" }, t.comment), el("br"), comment));
  form.append(el("p", { class: "error", id: "form-error", role: "alert" }));
  form.append(el("button", { type: "submit" }, t.submit));
  form.hidden = false;
}

function renderAnswer(section, values) {
  const t = TEXTS[lang];
  const list = el("dl", { id: "my-answer" });
  for (const name of ORDER) list.append(el("dt", {}, t.questions[name]), el("dd", {}, String(values[name])));
  if (values.comment) list.append(el("dt", {}, t.comment_label), el("dd", {}, values.comment));
  section.append(list);
}

function render() {
  const t = TEXTS[lang];
  document.documentElement.lang = lang;
  for (const code of Object.keys(TEXTS)) $(`lang-${code}`).setAttribute("aria-pressed", String(code === lang));
  $("status").textContent = "";
  $("status").className = "";
  const intro = $("intro");
  intro.replaceChildren();
  if (page) {
    intro.append(el("p", {}, t.intro(page)), el("p", { class: "privacy", id: "privacy" }, t.privacy));
    intro.hidden = false;
  }
  const done = $("done");
  done.replaceChildren();
  done.hidden = true;
  if (outcome === "closed" || outcome === "expired") {
    $("status").textContent = t[outcome];
    $("status").className = "error";
    $("answer").hidden = true;
    return;
  }
  if (outcome === "thanks" || outcome === "already") {
    $("answer").hidden = true;
    done.append(el("p", { id: "outcome" }, outcome === "thanks" ? t.thanks : t.already));
    renderAnswer(done, response);
    done.hidden = false;
    return;
  }
  // switching the language keeps what was chosen and written
  if (page) renderForm({ ...chosen($("answer")), comment: $("comment")?.value });
}

function idempotencyKey() {
  // one key per intended answer, kept across reloads of this link: a retry never answers twice
  const name = `pp-answer-${token.slice(-16)}`;
  let key = sessionStorage.getItem(name);
  if (!key) {
    key = crypto.randomUUID();
    sessionStorage.setItem(name, key);
  }
  return key;
}

async function submit(event) {
  event.preventDefault();
  const t = TEXTS[lang];
  const form = $("answer");
  const values = chosen(form);
  const missing = ORDER.find((name) => values[name] === null);
  if (missing) {
    $("form-error").textContent = t.missing;
    form.querySelector(`input[name="${missing}"]`).focus();
    return;
  }
  const comment = $("comment").value.trim();
  $("status").textContent = t.sending;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const data = await api(SUBMIT, { input: { roundId: page.roundId, ...values, comment: comment || null, idempotencyKey: idempotencyKey() } });
    if (data.expired) {
      outcome = "expired";
    } else {
      const payload = data.submitSurveyResponse;
      const codes = payload.userErrors.map((e) => e.code);
      if (codes.includes("ROUND_CLOSED")) outcome = "closed";
      else if (codes.includes("ALREADY_ANSWERED")) {
        const again = await loadPage();
        outcome = "already";
        response = again && again.myResponse;
      } else if (codes.length) {
        $("form-error").textContent = payload.userErrors.map((e) => e.message).join(" ");
        $("status").textContent = "";
        button.disabled = false;
        return;
      } else {
        outcome = "thanks";
        response = payload.surveyResponse;
      }
    }
  } catch {
    $("status").textContent = t.failed;
    $("status").className = "error";
    button.disabled = false;
    return;
  }
  render();
  $("done").hidden || $("outcome").focus?.();
}

async function start() {
  $("answer").addEventListener("submit", submit);
  for (const button of document.querySelectorAll("nav button")) {
    button.addEventListener("click", () => {
      lang = button.dataset.lang;
      render();
    });
  }
  if (state !== "open" && state !== "signed-in") {
    outcome = state === "closed" ? "closed" : "expired";
    render();
    return;
  }
  const loaded = await loadPage();
  if (!loaded) {
    outcome = "expired";
  } else if (loaded.status !== "OPEN" && !loaded.myResponse) {
    outcome = "closed";
  } else {
    page = loaded;
    $("title").textContent = page.projectTitle;
    if (page.myResponse) {
      outcome = "already";
      response = page.myResponse;
    }
  }
  render();
}

start();
