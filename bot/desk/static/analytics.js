// Harbor & Pine support analytics: headline figures beside the previous period, charts
// (Chart.js, served from /static/vendor), tables, drill-down to the conversations behind a
// figure, CSV export. Reads /api/analytics/* with the console's session; server data
// reaches the page as text only.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const ROLES = ["admin", "lead"];
  // [key, label, unit, drill-down figure]: the order of docs/analytics.md.
  const HEADLINE = [
    ["conversations", "Conversations", "count", "conversations"],
    ["customer_messages", "Customer messages", "count", null],
    ["containment", "Containment", "share", "not_contained"],
    ["escalation_rate", "Escalation rate", "share", "escalated"],
    ["fallback_rate", "Fallback rate", "share", "fallback"],
    ["kb_answer_rate", "Knowledge base answer rate", "share", null],
    ["csat", "CSAT (4 or 5 of 5)", "share", "low_rating"],
    ["mean_rating", "Mean rating", "rating", "low_rating"],
    ["rating_response_rate", "Rating response rate", "share", null],
    ["solved_rate", "“Did I solve it?” yes", "share", "unsolved"],
    ["survey_response_rate", "Survey response rate", "share", null],
    ["median_first_response_s", "Median first response", "seconds", "escalated"],
    ["abandonment_rate", "Abandoned in the queue", "share", "abandoned"],
  ];
  // Lower is better for these: the delta's colour flips.
  const LOWER_BETTER = new Set(["escalation_rate", "fallback_rate", "median_first_response_s", "abandonment_rate"]);
  const charts = {};
  let report = null;

  const { el } = window.HarborSession;
  const session = window.HarborSession.create({ onEnded: showLogin });  // session.user: who is signed in
  const api = session.api;
  function shown(value, unit) {
    if (value === null || value === undefined) return "n/a";
    if (unit === "share") return (value * 100).toFixed(1) + "%";
    if (unit === "seconds") return value >= 60 ? (value / 60).toFixed(1) + " min" : Math.round(value) + " s";
    if (unit === "rating") return value.toFixed(2) + " / 5";
    return value.toLocaleString("en");
  }
  function problem(text) { $("analytics-error").textContent = text || ""; }

  // ---- Session -------------------------------------------------------------------------
  function showLogin(message) {
    session.user = null;
    $("analytics-main").hidden = true;
    $("login-view").hidden = false;
    $("login-error").textContent = message || "";
  }
  function enter(user) {
    if (!ROLES.includes(user.role)) {
      showLogin("The dashboard is for admins and team leads; " + user.display_name + " is an " + user.role + ".");
      return;
    }
    $("login-view").hidden = true;
    $("analytics-main").hidden = false;
    $("whoami").textContent = user.display_name + " (" + user.role + ")";
    $("console-link").hidden = user.role !== "admin";
    load();
  }
  session.bindSignInForm(enter);
  $("logout").addEventListener("click", async () => {
    try { await session.logout(); } catch (error) { /* signed out either way */ }
    showLogin("");
  });

  // ---- Filters -------------------------------------------------------------------------
  const iso = (d) => d.toISOString().slice(0, 10);
  (function defaults() {
    const today = new Date();
    $("until").value = iso(today);
    $("since").value = iso(new Date(today.getTime() - 29 * 86400000));
  })();
  function query() {
    const params = new URLSearchParams({ since: $("since").value, until: $("until").value,
      demo: $("include-demo").checked ? "include" : "exclude" });
    if ($("channel").value) params.set("channel", $("channel").value);
    return params;
  }
  function updateExports() {
    for (const table of ["headline", "trend", "agents", "channels"]) {
      const params = query();
      params.set("table", table);
      $("export-" + table).href = "/api/analytics/report.csv?" + params;
    }
  }
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); load(); });

  async function load() {
    problem("");
    updateExports();
    try {
      report = await api("GET", "/api/analytics/report?" + query());
    } catch (error) { problem(error.message); return; }
    render();
  }

  // ---- Rendering -----------------------------------------------------------------------
  function render() {
    const h = report.headline;
    const p = report.period;
    $("period-label").textContent = "(" + p.since.slice(0, 10) + " to " + new Date(Date.parse(p.until) - 1).toISOString().slice(0, 10) + ", UTC)";
    $("idle-minutes").textContent = String(p.idle_minutes);
    const select = $("channel");
    const chosen = select.value;
    select.replaceChildren(el("option", { value: "" }, "All channels"),
      ...report.channels_available.map((c) => el("option", { value: c, selected: c === chosen }, c)));
    const banner = $("demo-banner");
    banner.hidden = !h.demo_conversations;
    banner.textContent = h.demo_conversations
      ? h.demo_conversations.toLocaleString("en") + " of these " + h.conversations.toLocaleString("en") +
        " conversations are demo history (written by `assistant seed --history`). Untick “Include demo history” to see real conversations only."
      : "";
    $("headline").replaceChildren(...HEADLINE.map(([key, label, unit, drill]) => card(key, label, unit, drill)));
    renderCharts();
    renderTables();
  }

  function card(key, label, unit, drill) {
    const value = report.headline[key];
    const previous = report.previous[key];
    let delta = null;
    if (typeof value === "number" && typeof previous === "number" && value !== previous) {
      const better = (value > previous) !== LOWER_BETTER.has(key);
      const change = unit === "share" ? ((value - previous) * 100).toFixed(1) + " pts"
        : unit === "count" ? (previous ? Math.round((value - previous) / previous * 100) + "%" : "new")
        : shown(Math.abs(value - previous), unit);
      delta = el("span", { className: "delta " + (better ? "up" : "down") },
        (value > previous ? "▲ " : "▼ ") + change);
    }
    const body = [el("div", { className: "label" }, label),
      el("div", { className: "value" }, shown(value, unit)),
      el("div", { className: "previous" }, "previous: " + shown(previous, unit) + " ", delta)];
    body[1].dataset.figure = key;
    const li = el("li", { className: "card" });
    if (drill) {
      const button = el("button", { type: "button", className: "figure", title: "Show the conversations behind this figure" }, ...body);
      button.addEventListener("click", () => drillDown(drill, null, label));
      li.append(button);
    } else li.append(...body);
    return li;
  }

  function chart(id, config) {
    if (charts[id]) charts[id].destroy();
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom" } } }, config.options || {});
    charts[id] = new window.Chart($(id), config);
  }
  function renderCharts() {
    if (!window.Chart) { problem("The charting library did not load."); return; }
    const days = report.trend.map((d) => d.day.slice(5));
    chart("chart-volume", { type: "line", data: { labels: days, datasets: [
      { label: "conversations", data: report.trend.map((d) => d.conversations), borderColor: "#2f6f5e", yAxisID: "y" },
      { label: "customer messages", data: report.trend.map((d) => d.customer_messages), borderColor: "#c7893b", yAxisID: "y1" }] },
      options: { scales: { y: { beginAtZero: true, position: "left" }, y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } } } } });
    const pct = (x) => (x === null ? null : Math.round(x * 1000) / 10);
    chart("chart-quality", { type: "line", data: { labels: days, datasets: [
      { label: "containment %", data: report.trend.map((d) => pct(d.containment)), borderColor: "#2f6f5e", spanGaps: true },
      { label: "CSAT %", data: report.trend.map((d) => pct(d.csat)), borderColor: "#5b5fb0", spanGaps: true }] },
      options: { layout: { padding: { top: 8, right: 8 } }, scales: { y: { min: 0, max: 100 } } } });
    chart("chart-reasons", { type: "bar", data: { labels: report.queue.reasons.map((r) => r.reason),
      datasets: [{ label: "handoffs", data: report.queue.reasons.map((r) => r.handoffs), backgroundColor: "#c7893b" }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } },
        onClick: (_, items) => { if (items.length) drillDown("reason", report.queue.reasons[items[0].index].reason, "Escalated: " + report.queue.reasons[items[0].index].reason); } } });
    chart("chart-wait", { type: "bar", data: { labels: report.queue.wait_distribution.map((b) => b.bucket),
      datasets: [{ label: "handoffs", data: report.queue.wait_distribution.map((b) => b.handoffs), backgroundColor: "#2f6f5e" }] },
      options: { plugins: { legend: { display: false } } } });
    chart("chart-hours", { type: "bar", data: { labels: report.volume.by_hour_utc.map((_, i) => String(i).padStart(2, "0")),
      datasets: [{ label: "customer messages", data: report.volume.by_hour_utc, backgroundColor: "#5b5fb0" }] },
      options: { plugins: { legend: { display: false } } } });
    chart("chart-weekdays", { type: "bar", data: { labels: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
      datasets: [{ label: "customer messages", data: report.volume.by_weekday, backgroundColor: "#5b5fb0" }] },
      options: { plugins: { legend: { display: false } } } });
  }

  function table(id, headers, rows) {
    const head = el("tr", {}, ...headers.map(([label, numeric]) => el("th", { className: numeric ? "num" : "" }, label)));
    const body = rows.length ? rows.map((cells) => el("tr", {}, ...cells.map((cell, i) =>
      el("td", { className: headers[i][1] ? "num" : "" }, cell))))
      : [el("tr", {}, el("td", { colSpan: headers.length, className: "muted" }, "Nothing in this period."))];
    $(id).replaceChildren(el("thead", {}, head), el("tbody", {}, ...body));
  }
  function link(text, onClick) {
    const button = el("button", { type: "button", className: "link" }, text);
    button.addEventListener("click", onClick);
    return button;
  }
  function renderTables() {
    table("channels-table", [["channel"], ["conversations", 1], ["containment", 1], ["escalation", 1], ["fallback", 1], ["solved", 1]],
      report.channels.map((c) => [c.channel, shown(c.conversations, "count"), shown(c.containment, "share"),
        shown(c.escalation_rate, "share"), shown(c.fallback_rate, "share"), shown(c.solved_rate, "share")]));
    table("agents-table", [["agent"], ["handoffs", 1], ["resolved", 1], ["first response", 1], ["resolution", 1], ["CSAT", 1]],
      report.agents.map((a) => [a.agent, shown(a.handoffs, "count"), shown(a.resolved, "count"),
        shown(a.median_first_response_s, "seconds"), shown(a.median_resolution_s, "seconds"), shown(a.csat, "share")]));
    table("intents-table", [["intent"], ["conversations", 1], ["escalated", 1]],
      report.top_intents.map((t) => [link(t.intent, () => drillDown("topic", t.intent, "Topic: " + t.intent)),
        shown(t.conversations, "count"), shown(t.escalated, "count")]));
    table("escalation-intents-table", [["last intent before the handoff"], ["escalations", 1]],
      report.escalation_intents.map((t) => [link(t.intent, () => drillDown("escalation_intent", t.intent, "Escalated after: " + t.intent)),
        shown(t.escalations, "count")]));
    const kb = report.knowledge_base;
    table("kb-table", [["figure"], ["value", 1]], [
      ["questions asked", shown(kb.questions, "count")], ["answered", shown(kb.answer_rate, "share")],
      ["declined (no article)", shown(kb.decline_rate, "share")],
      ["“did that help?” yes / no", kb.helpful_yes + " / " + kb.helpful_no + " (" + shown(kb.helpful_rate, "share") + " yes)"]]);
    table("unanswered-table", [["example"], ["messages", 1]],
      report.unanswered.map((u) => [el("a", { href: u.inbox, title: "Open in the editors' review inbox" }, u.example),
        shown(u.messages, "count")]));
  }

  // ---- Drill-down ----------------------------------------------------------------------
  async function drillDown(figure, key, title) {
    const params = query();
    params.set("figure", figure);
    if (key) params.set("key", key);
    let found;
    try { found = await api("GET", "/api/analytics/conversations?" + params); } catch (error) { problem(error.message); return; }
    $("drill").hidden = false;
    $("drill-title").textContent = title + " (" + found.conversations.length + (found.conversations.length === 200 ? "+" : "") + " conversations)";
    $("drill-transcript").replaceChildren(el("p", { className: "muted" }, "Pick a conversation to read it."));
    $("drill-list").replaceChildren(...found.conversations.map((c) => {
      const button = el("button", { type: "button" },
        el("strong", {}, c.started_at.slice(0, 16).replace("T", " ")), " · " + c.channel +
        " · " + c.customer_messages + " msgs" + (c.handoffs ? " · handed to a person" : "") +
        (c.topic ? " · " + c.topic : "") + (c.demo ? " · demo" : ""));
      button.dataset.conversationId = c.conversation_id;
      button.addEventListener("click", () => openTranscript(c.conversation_id, button));
      return el("li", {}, button);
    }));
    $("drill").scrollIntoView({ block: "nearest" });
  }
  async function openTranscript(cid, button) {
    for (const other of $("drill-list").querySelectorAll("button")) other.removeAttribute("aria-current");
    button.setAttribute("aria-current", "true");
    let found;
    try { found = await api("GET", "/api/analytics/conversations/" + encodeURIComponent(cid)); } catch (error) { problem(error.message); return; }
    $("drill-transcript").replaceChildren(...found.messages.map((m) =>
      el("p", {}, el("span", { className: "who" }, m.sender + (m.intent ? " [" + m.intent + "]" : "") + ":"), m.text)));
  }
  $("drill-close").addEventListener("click", () => { $("drill").hidden = true; });

  (async function start() {
    try {
      const user = await session.restore();
      if (user) enter(user); else showLogin("");
    } catch (error) { showLogin(""); }
  })();
})();
