// The customer portal: a plain page over /v1/portal. The token comes from ?token= (then it is
// moved out of the address bar, so it stays out of the history) or from the sign-in form, and
// lives in sessionStorage for the tab's lifetime. Every value from the server is set as text,
// never as HTML.
"use strict";

const TOKEN_KEY = "cpty-portal-token";
const TYPES = { quote: "Quote", order: "Order", proforma: "Pro-forma", invoice: "Invoice", credit_note: "Credit note" };
const KINDS = { invoice: "Invoice", fee: "Fee", interest: "Interest" };
const state = { token: null, currency: "", request: null };

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function fill(tbody, rows, columns, empty) {
  tbody.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { class: "empty", colspan: columns }, empty))]));
}

function status(value) {
  return el("span", { class: `status ${value}` }, value.replace(/_/g, " "));
}

function notify(message, isError) {
  const notice = $("notice");
  notice.textContent = message;
  notice.className = isError ? "notice error" : "notice";
  notice.hidden = false;
}

function report(error) {
  // A 401 has signed the customer out with its own message already.
  if (error.status !== 401) notify(error.message, true);
}

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${state.token}`, ...(options.headers || {}) };
  if (options.json !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/v1/portal${path}`, {
    method: options.method || "GET",
    headers,
    body: options.json !== undefined ? JSON.stringify(options.json) : undefined,
  });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      detail = (await response.json()).detail || detail;
    } catch (ignored) {
      // not a problem+json body: the status text says enough
    }
    if (response.status === 401) signOut("Your access token is not valid (any more). Please ask us for a new one.");
    throw new ApiError(response.status, detail);
  }
  return options.raw ? response : response.json();
}

// -- signing in and out ----------------------------------------------------------------------

function signOut(message) {
  state.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $("app").hidden = true;
  $("who").hidden = true;
  $("sign-in").hidden = false;
  if (message) notify(message, true);
  else $("notice").hidden = true;
}

async function signIn(token) {
  state.token = token;
  sessionStorage.setItem(TOKEN_KEY, token);
  const profile = await api("/profile");
  $("sign-in").hidden = true;
  $("app").hidden = false;
  $("who").hidden = false;
  $("who-partner").textContent = profile.partner.name;
  $("who-contact").textContent = profile.contact.name;
  showProfile(profile);
  show(location.hash.slice(1) || "overview");
}

// -- views -----------------------------------------------------------------------------------

const loaders = {
  overview: loadOverview,
  documents: loadDocuments,
  payments: loadPayments,
  deliveries: loadDeliveries,
  confirmations: loadConfirmations,
  requests: loadRequests,
};

function show(view) {
  if (!loaders[view]) view = "overview";
  $("notice").hidden = true;  // a notice belongs to the view it was given in
  for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== `view-${view}`;
  for (const tab of document.querySelectorAll(".tabs a")) tab.classList.toggle("active", tab.dataset.view === view);
  loaders[view]().catch((error) => report(error));
}

function formatAddress(address) {
  return [address.street, `${address.postal_code || ""} ${address.city || ""}`.trim(), address.country]
    .filter(Boolean).join(", ");
}

function showProfile(profile) {
  const p = profile.partner;
  const address = p.addresses.find((a) => a.usage.includes("billing")) || p.addresses[0];
  const pairs = [
    ["Customer", `${p.name} (${p.code})`],
    ["Contact", `${profile.contact.name}${profile.contact.email ? ` <${profile.contact.email}>` : ""}`],
    ["E-mail", p.email],
    ["Tax id", p.tax_id],
    ["Address", address ? formatAddress(address) : null],
    ["Payment terms", `${p.payment_terms_days} days`],
  ];
  $("profile").replaceChildren(
    ...pairs.filter(([, value]) => value).flatMap(([label, value]) => [el("dt", {}, label), el("dd", {}, value)])
  );
}

async function loadOverview() {
  const balance = await api("/balance");
  state.currency = balance.currency;
  $("balance-figure").textContent = balance.balance;
  $("balance-currency").textContent = balance.currency;
  $("balance-credit").textContent = `${balance.unapplied_credit} ${balance.currency}`;
  const rows = balance.open_items.map((item) =>
    el("tr", {},
      el("td", {}, item.number || "—"),
      el("td", {}, KINDS[item.kind] || item.kind),
      el("td", { class: "date" }, item.due_date || ""),
      el("td", { class: "num" }, item.amount),
      el("td", { class: "num" }, item.open_amount))
  );
  fill($("open-items"), rows, 5, "Nothing is open. Thank you!");
}

async function downloadPdf(doc, button) {
  button.disabled = true;
  try {
    const response = await api(`/documents/${doc.id}/pdf`, { raw: true });
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: `${doc.number}.pdf` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (error) {
    report(error);
  } finally {
    button.disabled = false;
  }
}

function acceptButton(doc) {
  // Two clicks, so that a quote is never accepted by accident.
  const button = el("button", { type: "button", class: "small", "data-accept": doc.number }, "Accept");
  button.addEventListener("click", async () => {
    if (!button.classList.contains("confirm")) {
      button.classList.add("confirm");
      button.textContent = "Confirm acceptance";
      return;
    }
    button.disabled = true;
    try {
      const accepted = await api(`/documents/${doc.id}/accept`, { method: "POST" });
      notify(`Thank you: quote ${accepted.number} is accepted.`);
      await loadDocuments();
    } catch (error) {
      report(error);
      button.disabled = false;
    }
  });
  return button;
}

async function loadDocuments() {
  const found = await api("/documents?limit=500");
  const rows = found.items.map((doc) => {
    const pdf = el("button", { type: "button", class: "small secondary", "data-pdf": doc.number }, "PDF");
    pdf.addEventListener("click", () => downloadPdf(doc, pdf));
    const actions = el("td", {}, pdf, doc.type === "quote" && doc.status === "sent" ? acceptButton(doc) : null);
    return el("tr", { "data-number": doc.number },
      el("td", {}, doc.number),
      el("td", {}, TYPES[doc.type] || doc.type),
      el("td", { class: "date" }, doc.issue_date || ""),
      el("td", { class: "date" }, doc.due_date || doc.valid_until || ""),
      el("td", { class: "num" }, `${doc.total} ${doc.currency}`),
      el("td", { class: "num" }, doc.open_amount ?? ""),
      el("td", {}, status(doc.status)),
      actions);
  });
  fill($("documents"), rows, 8, "No documents yet.");
}

async function loadPayments() {
  const found = await api("/payments?limit=500");
  const rows = found.items.map((payment) =>
    el("tr", {},
      el("td", {}, payment.number),
      el("td", { class: "date" }, payment.date),
      el("td", {}, payment.reference),
      el("td", { class: "num" }, `${payment.amount} ${payment.currency}`),
      el("td", { class: "num" }, payment.unapplied))
  );
  fill($("payments"), rows, 5, "No payments yet.");
}

async function loadDeliveries() {
  const found = await api("/deliveries?limit=500");
  const rows = found.items.map((delivery) => {
    const pdf = el("button", { type: "button", class: "small secondary", "data-pdf": delivery.number }, "PDF");
    pdf.addEventListener("click", () => downloadPdf(delivery, pdf));
    return el("tr", { "data-delivery": delivery.number },
      el("td", {}, delivery.number),
      el("td", {}, status(delivery.status)),
      el("td", { class: "date" }, delivery.planned_date || ""),
      el("td", { class: "date" }, delivery.shipped_date || ""),
      el("td", { class: "date" }, delivery.delivered_date || ""),
      el("td", {}, delivery.address ? formatAddress(delivery.address) : ""),
      el("td", {}, pdf));
  });
  fill($("deliveries"), rows, 7, "No deliveries yet.");
}

function answerCell(confirmation) {
  if (confirmation.status !== "pending") {
    return el("td", {}, `${confirmation.answered_on || ""}${confirmation.comment ? ` · ${confirmation.comment}` : ""}`);
  }
  const comment = el("input", {
    "data-comment": confirmation.number, maxlength: "2000", placeholder: "Comment (what differs?)",
    "aria-label": `Comment on ${confirmation.number}`,
  });
  const answer = (reply) => async (event) => {
    const buttons = event.target.parentElement.querySelectorAll("button");
    for (const button of buttons) button.disabled = true;
    try {
      const answered = await api(`/balance-confirmations/${confirmation.id}/reply`, {
        method: "POST",
        json: { status: reply, comment: comment.value.trim() },
      });
      await loadConfirmations();
      notify(`Thank you: balance confirmation ${answered.number} is ${answered.status}.`);
    } catch (error) {
      report(error);
      for (const button of buttons) button.disabled = false;
    }
  };
  return el("td", { class: "answer" }, comment,
    el("button", { type: "button", class: "small", "data-confirm": confirmation.number, onclick: answer("confirmed") },
      "Confirm"),
    el("button", { type: "button", class: "small secondary", "data-dispute": confirmation.number,
      onclick: answer("disputed") }, "Dispute"));
}

async function loadConfirmations() {
  const found = await api("/balance-confirmations?limit=500");
  const rows = found.items.map((confirmation) =>
    el("tr", { "data-confirmation": confirmation.number },
      el("td", {}, confirmation.number),
      el("td", { class: "date" }, confirmation.as_of),
      // one total per currency owed: amounts of two currencies never add up
      el("td", { class: "num" }, confirmation.totals.map((t) => `${t.total} ${t.currency}`).join(", ")),
      el("td", {}, status(confirmation.status)),
      answerCell(confirmation))
  );
  fill($("confirmations"), rows, 5, "No balance confirmations yet.");
}

async function loadRequests() {
  const found = await api("/requests?limit=500");
  const rows = found.items.map((request) => {
    const row = el("tr", { class: "clickable", "data-request": request.number },
      el("td", {}, request.number),
      el("td", {}, request.subject),
      el("td", {}, status(request.status)),
      el("td", { class: "date" }, (request.created_at || "").slice(0, 10)));
    if (state.request === request.id) row.classList.add("selected");
    row.addEventListener("click", () => openRequest(request.id));
    return row;
  });
  fill($("requests"), rows, 4, "No requests yet.");
  if (state.request) await openRequest(state.request);
}

async function openRequest(id) {
  const request = await api(`/requests/${id}`);
  state.request = request.id;
  for (const row of $("requests").querySelectorAll("tr")) {
    row.classList.toggle("selected", row.dataset.request === request.number);
  }
  $("request-detail").hidden = false;
  $("request-title").textContent = `${request.number} · ${request.subject}`;
  $("request-meta").textContent = `Status ${request.status.replace(/_/g, " ")} · priority ${request.priority}`;
  $("request-description-text").textContent = request.description;
  const comments = request.comments.map((comment) =>
    el("li", {},
      el("div", { class: "meta" }, `${comment.author} · ${comment.at.replace("T", " ").slice(0, 16)}`),
      el("div", { class: "pre" }, comment.text))
  );
  $("comments").replaceChildren(...(comments.length ? comments : [el("li", { class: "muted" }, "No comments yet.")]));
}

// -- wiring ----------------------------------------------------------------------------------

function wire() {
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token-input").value.trim();
    if (token) signIn(token).catch((error) => report(error));
  });
  $("sign-out").addEventListener("click", () => signOut());
  window.addEventListener("hashchange", () => state.token && show(location.hash.slice(1)));

  $("request-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const created = await api("/requests", {
        method: "POST",
        json: {
          subject: form.subject.value.trim(),
          description: form.description.value,
          priority: form.priority.value,
        },
      });
      form.reset();
      state.request = created.id;
      notify(`Thank you: your request ${created.number} is registered.`);
      await loadRequests();
    } catch (error) {
      report(error);
    } finally {
      button.disabled = false;
    }
  });

  $("comment-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      await api(`/requests/${state.request}/comments`, { method: "POST", json: { text: form.text.value } });
      form.reset();
      notify("Your comment is sent.");
      await openRequest(state.request);
    } catch (error) {
      report(error);
    } finally {
      button.disabled = false;
    }
  });
}

function start() {
  wire();
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get("token");
  if (fromUrl) {
    params.delete("token");
    const query = params.toString();
    history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
  }
  const token = fromUrl || sessionStorage.getItem(TOKEN_KEY);
  if (token) signIn(token).catch((error) => report(error));
  else signOut();
}

start();
