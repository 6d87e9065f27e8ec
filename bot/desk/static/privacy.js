// Harbor & Pine privacy page (admins only): look a customer up, export their data (a link to
// the export, which the desk serves as a download), erase it after the id is typed again,
// and read the requests served and the access log. Reads /api/admin/privacy/* with the
// console's session; server data reaches the page as text only.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const BASE = "/api/admin/privacy";
  let customer = null;  // the customer looked up last: {id, name, email, conversations, orders, erased}
  let requestsSeq = 0;
  let accessSeq = 0;

  const { el } = window.HarborSession;
  const session = window.HarborSession.create({ onEnded: showLogin });  // session.user: who is signed in
  const api = session.api;
  const an = (word) => (/^[aeiou]/i.test(word) ? "an " : "a ") + word;
  const human = (key) => String(key).replace(/_/g, " ");
  // Timestamps without a zone are taken as UTC; shown in UTC to the second.
  function when(iso) {
    if (!iso) return "";
    const date = new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(iso) ? iso : iso + "Z");
    return isNaN(date) ? String(iso) : date.toISOString().slice(0, 19).replace("T", " ") + " UTC";
  }
  function counted(counts) {
    if (!counts || typeof counts !== "object") return "";
    return Object.entries(counts).map(([key, value]) =>
      human(key) + ": " + (Array.isArray(value) ? (value.length ? value.join(", ") : "none") : String(value))).join(" · ");
  }

  // ---- Session -------------------------------------------------------------------------
  function showLogin(message) {
    session.user = null;
    customer = null;
    $("privacy-main").hidden = true;
    $("customer-card").hidden = true;
    for (const id of ["requests-table", "access-table", "removed-table"]) $(id).replaceChildren();
    for (const id of ["customer-error", "requests-error", "access-error"]) $(id).textContent = "";
    $("login-view").hidden = false;
    $("login-error").textContent = message || "";
  }
  function enter(user) {
    if (user.role !== "admin") {
      showLogin("The privacy page is for admins only; " + user.display_name + " is " + an(user.role) + ".");
      return;
    }
    $("login-view").hidden = true;
    $("privacy-main").hidden = false;
    $("whoami").textContent = user.display_name + " (" + user.role + ")";
    loadRequests();
    loadAccess();
  }
  session.bindSignInForm(enter);
  $("logout").addEventListener("click", async () => {
    try { await session.logout(); } catch (error) { /* signed out either way */ }
    showLogin("");
  });

  // ---- Customer request ----------------------------------------------------------------
  const customerPath = (id) => BASE + "/customers/" + encodeURIComponent(id);

  function closeConfirm() {
    $("erase-confirm").hidden = true;
    $("erase-typed").value = "";
    $("erase-go").disabled = true;
  }
  function renderCustomer(found) {
    customer = found;
    $("customer-card").hidden = false;
    $("customer-shown-id").textContent = found.id;
    $("customer-name").textContent = found.name || "(none held)";
    $("customer-email").textContent = found.email || "(none held)";
    $("customer-conversations").textContent = String(found.conversations);
    $("customer-orders").textContent = String(found.orders);
    $("customer-status").textContent = found.erased
      ? "Erased: only what the store must keep by law is left"
      : "Active";
    $("customer-status").className = found.erased ? "erased" : "";
    const link = $("export-link");
    link.hidden = false;
    link.href = customerPath(found.id) + "/export";
    link.setAttribute("download", "harbor-export-" + found.id + ".json");
    $("erase-start").hidden = false;
    $("erase-start").disabled = !!found.erased;
    $("erase-start").title = found.erased ? "Already erased" : "";
  }

  $("lookup-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = $("customer-id").value.trim();
    if (!id) return;
    const button = event.target.querySelector("button");
    $("customer-error").textContent = "";
    closeConfirm();
    $("erase-result").hidden = true;
    button.disabled = true;
    try {
      renderCustomer(await api("GET", customerPath(id)));
    } catch (error) {
      customer = null;
      $("customer-card").hidden = true;
      $("customer-error").textContent = error.message;
    } finally {
      button.disabled = false;
    }
  });

  $("export-link").addEventListener("click", (event) => {
    if (!customer) { event.preventDefault(); return; }
    // The download is the browser's; the desk records the export: show it once it has.
    setTimeout(loadRequests, 1500);
  });

  $("erase-start").addEventListener("click", () => {
    if (!customer || customer.erased) return;
    $("customer-error").textContent = "";
    $("erase-result").hidden = true;
    $("erase-expected").textContent = customer.id;
    $("erase-typed").value = "";
    $("erase-go").disabled = true;
    $("erase-confirm").hidden = false;
    $("erase-typed").focus();
  });
  $("erase-typed").addEventListener("input", () => {
    $("erase-go").disabled = !customer || $("erase-typed").value.trim() !== customer.id;
  });
  $("erase-cancel").addEventListener("click", closeConfirm);

  $("erase-confirm").addEventListener("submit", async (event) => {
    event.preventDefault();
    const typed = $("erase-typed").value.trim();
    if (!customer || typed !== customer.id) return;
    const erasing = customer;
    $("customer-error").textContent = "";
    $("erase-go").disabled = true;
    $("erase-cancel").disabled = true;
    let outcome;
    try {
      outcome = await api("POST", customerPath(erasing.id) + "/erase", { confirm: typed });
    } catch (error) {
      $("customer-error").textContent = error.message;
      $("erase-go").disabled = false;
      return;
    } finally {
      $("erase-cancel").disabled = false;
    }
    closeConfirm();
    renderErased(erasing, outcome);
    loadRequests();
    if (outcome.customer === "deleted") {
      customer = Object.assign({}, erasing, { erased: true });
      $("customer-status").textContent = "Erased: the customer record was deleted";
      $("customer-status").className = "erased";
      $("export-link").hidden = true;
      $("erase-start").hidden = true;
    } else {
      try { if (customer && customer.id === erasing.id) renderCustomer(await api("GET", customerPath(erasing.id))); }
      catch (error) { $("customer-error").textContent = error.message; }
    }
  });

  function renderErased(erased, outcome) {
    const removed = Object.entries(outcome.removed || {});
    const record = outcome.customer === "deleted" ? "the customer record was deleted"
      : outcome.customer === "anonymised" ? "the customer record keeps only its id" : null;
    $("erase-summary").textContent = "Erased " + (outcome.customer_id || erased.id) +
      (outcome.request_id !== undefined ? " (request #" + outcome.request_id + ")" : "") +
      (record ? ": " + record + "." : ".");
    const rows = removed.length ? removed.map(([kind, count]) => {
      const row = el("tr", {}, el("td", {}, human(kind)), el("td", { className: "num" }, String(count)));
      row.dataset.removed = kind;
      return row;
    }) : [el("tr", {}, el("td", { colSpan: 2, className: "muted" }, "Nothing was held."))];
    $("removed-table").replaceChildren(
      el("thead", {}, el("tr", {}, el("th", {}, "removed"), el("th", { className: "num" }, "count"))),
      el("tbody", {}, ...rows));
    const kept = outcome.kept || [];
    $("erase-kept").textContent = kept.length
      ? "Kept, as the law requires: " + kept.map(human).join(", ") + "."
      : "Nothing was kept.";
    $("erase-result").hidden = false;
  }

  // ---- Tables --------------------------------------------------------------------------
  function table(id, headers, rows, empty) {
    const head = el("tr", {}, ...headers.map(([label, numeric]) => el("th", { className: numeric ? "num" : "" }, label)));
    const body = rows.length ? rows.map(({ cells, data }) => {
      const row = el("tr", {}, ...cells.map((cell, i) => el("td", { className: headers[i][1] ? "num" : "" }, cell)));
      Object.assign(row.dataset, data || {});
      return row;
    }) : [el("tr", {}, el("td", { colSpan: headers.length, className: "muted" }, empty))];
    $(id).replaceChildren(el("thead", {}, head), el("tbody", {}, ...body));
  }

  async function loadRequests() {
    if (!session.user) return;
    const seq = ++requestsSeq;
    let found;
    try {
      found = await api("GET", BASE + "/requests?limit=50");
    } catch (error) {
      if (seq === requestsSeq && session.user) $("requests-error").textContent = error.message;
      return;
    }
    if (seq !== requestsSeq || !session.user) return;
    $("requests-error").textContent = "";
    table("requests-table", [["when"], ["kind"], ["customer"], ["by"], ["counts"]],
      found.items.map((r) => ({
        cells: [el("time", { dateTime: r.at, title: r.at }, when(r.at)), r.kind, r.customer_id || "-",
          r.requested_by, counted(r.counts)],
        data: { requestId: String(r.id), kind: r.kind, customerId: r.customer_id || "" },
      })), "No requests served yet.");
  }
  $("requests-refresh").addEventListener("click", loadRequests);

  async function loadAccess() {
    if (!session.user) return;
    const seq = ++accessSeq;
    const params = new URLSearchParams({ limit: "100" });
    const username = $("access-username").value.trim();
    const subject = $("access-subject").value.trim();
    if (username) params.set("username", username);
    if (subject) params.set("subject", subject);
    let found;
    try {
      found = await api("GET", BASE + "/access-log?" + params);
    } catch (error) {
      if (seq === accessSeq && session.user) $("access-error").textContent = error.message;
      return;
    }
    if (seq !== accessSeq || !session.user) return;
    $("access-error").textContent = "";
    table("access-table", [["when"], ["user"], ["role"], ["opened"], ["subject"], ["via"]],
      found.items.map((e) => ({
        cells: [el("time", { dateTime: e.at, title: e.at }, when(e.at)), e.username, e.role, e.what, e.subject,
          human(e.via)],
        data: { username: e.username, subject: e.subject, what: e.what, via: e.via },
      })), username || subject ? "Nothing recorded that matches." : "Nothing recorded yet.");
  }
  $("access-filters").addEventListener("submit", (event) => { event.preventDefault(); loadAccess(); });

  (async function start() {
    try {
      const user = await session.restore();
      if (user) enter(user); else showLogin("");
    } catch (error) { showLogin(""); }
  })();
})();
