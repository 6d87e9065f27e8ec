// Harbor & Pine agent console: sign-in, the live handoff queue and one open conversation.
// REST under /api/console/* (session cookie; every POST but login sends X-CSRF-Token) and
// pushes over /ws/console: {"type":"queue"} and {"type":"conversation"}. Server data only
// ever reaches the page as text (textContent / text nodes), never as markup.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const STATUS = { queued: "Queued", resolved: "Resolved", returned: "Returned to the bot" };
  let socket = null;
  let retry = null;
  let queue = null;         // last queue object and when it arrived (waiting times tick locally)
  let queueAt = 0;
  let current = null;       // id of the open conversation
  let conv = null;          // its last rendered state
  let loadSeq = 0;

  const { el } = window.HarborSession;
  const session = window.HarborSession.create({ onEnded: showLogin });  // session.user: who is signed in
  const api = session.api;

  // Timestamps without a zone are taken as UTC; shown as local HH:MM.
  function hhmm(iso) {
    if (!iso) return "";
    const date = new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(iso) ? iso : iso + "Z");
    return isNaN(date) ? "" : date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });
  }
  const minutes = (s) => (s < 60 ? "<1 min" : Math.floor(s / 60) + " min");
  const num = (n) => (typeof n === "number" ? n.toFixed(2) : "-");
  const cap = (s) => (s ? s.charAt(0).toUpperCase() + s.slice(1) : "");
  const money = (v) => (v !== null && v !== "" && isFinite(Number(v)) ? "$" + Number(v).toFixed(2) : String(v ?? ""));
  const orderId = (id) => String(id).replace(/^#?/, "#");
  const muted = (text) => el("p", { className: "muted" }, text);

  function showError(text) { $("conversation-error").textContent = text; }
  function clearError() { $("conversation-error").textContent = ""; }

  // ---- Session -------------------------------------------------------------------------
  function showLogin(message) {
    session.user = null;
    clearTimeout(retry);
    const old = socket;
    socket = null;
    if (old) old.close();
    closeConversation();
    queue = null;
    $("queue").replaceChildren();
    $("staff-panel").replaceChildren();
    $("console-main").hidden = true;
    $("login-view").hidden = false;
    $("login-error").textContent = message || "";
    $("username").focus();
  }

  function enter(user) {
    if (user.role === "lead") {  // leads read the analytics; the queue and accounts are not theirs
      session.user = null;
      window.location.assign("/console/analytics");
      return;
    }
    $("login-view").hidden = true;
    $("console-main").hidden = false;
    $("whoami").textContent = user.display_name + " (" + user.role + ")";
    $("studio-link").hidden = user.role !== "editor" && user.role !== "admin";
    $("analytics-link").hidden = user.role !== "admin";
    $("privacy-link").hidden = user.role !== "admin";
    clearError();
    loadStaffPanel();
    if (user.role === "editor") {  // editors keep content; the queue is for agents and admins
      $("queue").replaceChildren(el("li", { className: "muted" }, "The queue is for agents."));
      return;
    }
    connect();
    // The socket sends the queue on connect; this is only a fallback and must not overwrite a newer push.
    api("GET", "/api/console/queue").then((data) => { if (session.user && !queue) renderQueue(data); }, (e) => showError(e.message));
  }

  session.bindSignInForm(enter);

  $("logout").addEventListener("click", async () => {
    let problem = "";
    try { await session.logout(); } catch (error) { problem = "Sign-out failed on the server: " + error.message; }
    showLogin(problem);
  });

  // ---- Live updates --------------------------------------------------------------------
  function connect() {
    clearTimeout(retry);
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/ws/console");
    socket = ws;
    ws.addEventListener("open", () => {
      $("connection").textContent = "live";
      if (current) refresh();  // catch up on anything missed while disconnected
    });
    ws.addEventListener("message", (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch (_) { return; }
      if (frame.type === "queue") renderQueue(frame.queue);
      else if (frame.type === "conversation" && frame.conversation_id === current) refresh();
    });
    ws.addEventListener("close", (event) => {
      if (socket !== ws) return;  // replaced, or signed out
      socket = null;
      if (event.code === 4401) { showLogin(window.HarborSession.ENDED); return; }
      if (event.code === 4403) { $("connection").textContent = "no queue access"; return; }
      $("connection").textContent = "reconnecting…";
      retry = setTimeout(() => { if (session.user && !socket) connect(); }, 2000);
    });
  }

  // ---- Queue ---------------------------------------------------------------------------
  function renderQueue(data) {
    if (data) { queue = data; queueAt = Date.now(); }
    if (!queue) return;
    $("agents-online").textContent = String(queue.agents_online);
    const elapsed = Math.floor((Date.now() - queueAt) / 1000);
    const items = queue.items || [];
    $("queue").replaceChildren(...(items.length ? items.map((item) => queueItem(item, elapsed))
      : [el("li", { className: "queue-empty" }, "No one is waiting.")]));
  }

  function queueItem(item, elapsed) {
    const waited = item.waiting_s + (item.status === "queued" ? elapsed : 0);
    const li = el("li", { className: "queue-item priority-" + item.priority + " " + item.status },
      el("div", { className: "row" },
        el("span", { className: "badge " + item.priority }, item.priority === "high" ? "High" : "Normal"),
        el("button", { type: "button", className: "open" }, item.issue || "(no summary)"),
        el("span", { className: "wait", title: "Waiting time" }, minutes(waited))),
      el("div", { className: "customer" }, (item.customer_name || "Guest") + (item.tier ? " · " + item.tier : "")),
      el("div", { className: "chips" }, ...(item.reasons || []).map((r) => el("span", { className: "chip", title: r.detail || "" }, r.code))),
      el("div", { className: "claim" }, item.claimed_by ? "Claimed by " + item.claimed_by : "Unclaimed"),
      item.last_message ? el("div", { className: "last", title: item.last_message }, "“" + item.last_message + "”") : null);
    li.dataset.conversationId = item.conversation_id;
    li.dataset.handoffId = String(item.handoff_id);
    if (item.conversation_id === current) li.setAttribute("aria-current", "true");
    return li;
  }

  $("queue").addEventListener("click", (event) => {
    const item = event.target.closest(".queue-item");
    if (item) openConversation(item.dataset.conversationId);
  });
  setInterval(() => { if (session.user) renderQueue(); }, 30000);

  // ---- Conversation --------------------------------------------------------------------
  async function openConversation(cid) {
    if (cid !== current) { $("reply-text").value = ""; $("note-text").value = ""; }
    current = cid;
    clearError();
    for (const li of $("queue").children) {
      if (li.dataset.conversationId === cid) li.setAttribute("aria-current", "true");
      else li.removeAttribute("aria-current");
    }
    $("conversation-placeholder").hidden = true;
    $("conversation-view").hidden = false;
    await refresh();
  }

  function closeConversation() {
    current = null;
    conv = null;
    loadSeq++;
    $("conversation-view").hidden = true;
    $("conversation-placeholder").hidden = false;
    $("reply-text").value = "";
    $("note-text").value = "";
  }

  async function refresh() {
    if (!current) return;
    const seq = ++loadSeq;
    const cid = current;
    try {
      const data = await api("GET", "/api/console/conversations/" + encodeURIComponent(cid));
      if (seq === loadSeq && cid === current) render(data);
    } catch (error) {
      if (seq === loadSeq) showError(error.message);
    }
  }

  function statusText(c) {
    const h = c.handoff;
    if (!h) return c.mode === "bot" ? "With the bot" : cap(c.mode);
    if (h.status === "claimed") return "Claimed by " + (h.claimed_by || "another agent") + (h.mine ? " (you)" : "");
    return STATUS[h.status] || cap(h.status);
  }

  function render(c) {
    const fresh = !conv || conv.conversation_id !== c.conversation_id;
    conv = c;
    const h = c.handoff;
    const mine = Boolean(h && h.mine && h.status === "claimed");
    $("conversation-title").textContent = "Conversation " + c.conversation_id;
    const m = c.messaging;
    $("conversation-meta").textContent = [m && m.contact ? c.channel + " (" + m.contact + ")" : c.channel,
      "mode: " + c.mode, c.contact_email,
      h ? cap(h.priority) + " priority" + (h.created_at ? ", handed off " + hhmm(h.created_at) : "") : ""]
      .filter(Boolean).join(" · ");
    $("conversation-status").textContent = statusText(c);
    $("delivery-warning").textContent = (m && m.undelivered.length ? m.undelivered.length + " message(s) could not be delivered on "
      + c.channel + ": " + m.undelivered[m.undelivered.length - 1].error : "");
    $("claim").hidden = !(h && h.status === "queued");
    $("resolve").hidden = !mine;
    $("hand-back").hidden = !mine;
    $("reply-text").disabled = !mine;
    $("reply-send").disabled = !mine;
    $("reply-text").placeholder = mine ? "Reply to the customer (Enter sends, Shift+Enter for a new line)"
      : "Claim this conversation to reply";
    renderSummary(c.summary);
    renderTranscript(c.transcript || [], fresh);
    renderProfile(c.profile, c.contact_email, c.other_conversations || []);
    renderTimeline(c.transcript || []);
    renderSuggestions(c.suggestions || []);
    renderNotes(c.notes || []);
  }

  function sentimentTrend(scores) {
    if (!scores || !scores.length) return "No scores yet";
    const recent = scores.slice(-8);
    const parts = [];
    recent.forEach((s, i) => {
      if (i) parts.push(" → ");
      parts.push(el("span", { className: "sent " + s.label, title: "negative " + num(s.negative) + ", anger " + num(s.anger) }, s.label));
    });
    const peak = Math.max(...scores.map((s) => s.anger || 0));
    return el("span", {}, ...(scores.length > recent.length ? ["… "] : []), ...parts, " (peak anger " + num(peak) + ")");
  }

  function renderSummary(s) {
    if (!s) { $("summary").replaceChildren(muted("No summary yet.")); return; }
    const dl = el("dl");
    const row = (term, ...content) => dl.append(el("dt", {}, term), el("dd", {}, ...content));
    const list = (items, make) => el("ul", {}, ...items.map((x) => el("li", {}, ...make(x))));
    const cust = s.customer;
    if (cust) {
      const orders = cust.open_orders || [];
      row("Customer", [cust.name, cust.tier, cust.verified ? "verified" : "unverified"].filter(Boolean).join(" · "),
        el("div", { className: "muted" }, orders.length ? "Open orders: " + orders.map((o) =>
          orderId(o.id) + " " + o.status + " (" + [o.placed_on, money(o.total)].filter(Boolean).join(", ") + ")").join("; ")
          : "No open orders"));
    } else {
      row("Customer", "Guest (not identified)");
    }
    const wants = s.wants || { intents: [], entities: {} };
    const intents = (wants.intents || []).map((i) => i.name + (i.count > 1 ? " ×" + i.count : "") + " (" + num(i.confidence) + ")");
    const entities = Object.entries(wants.entities || {}).map(([name, values]) => name + ": " + [].concat(values).join(", "));
    row("Wants", intents.join(", ") || "-", entities.length ? el("div", { className: "muted" }, entities.join(" · ")) : null);
    const tried = s.tried || [];
    row("Bot tried", tried.length ? list(tried, (t) => [t.what, t.reaction ? " → " + t.reaction : ""]) : "Nothing yet");
    if (s.escalation) {
      row("Escalation", cap(s.escalation.priority) + " priority",
        list(s.escalation.reasons || [], (r) => [el("code", {}, r.code), r.detail ? " " + r.detail : ""]));
    }
    row("Sentiment", sentimentTrend(s.sentiment));
    if (s.last_messages && s.last_messages.length) {
      row("Last messages", list(s.last_messages, (m) => [el("b", {}, cap(m.sender) + ": "), m.text]));
    }
    $("summary").replaceChildren(
      el("p", { className: "issue" }, el("strong", {}, s.issue || "(no issue)"), s.topic ? el("span", { className: "muted" }, " · " + s.topic) : null),
      dl);
  }

  function renderTranscript(messages, jump) {
    const box = $("transcript");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    box.replaceChildren(...messages.map((m) => {
      const who = m.sender === "agent" ? m.agent || "Agent" : cap(m.sender);
      const s = m.sentiment;
      const node = el("div", { className: "msg" },
        el("div", { className: "meta" }, who + " · " + hhmm(m.created_at),
          m.sender === "customer" && s ? el("span", { className: "sent " + s.label,
            title: "negative " + num(s.negative) + ", anger " + num(s.anger) }, s.label) : null),
        el("div", { className: "text" }, m.text));
      node.dataset.sender = m.sender;
      return node;
    }));
    if (!messages.length) box.append(muted("No messages yet."));
    if (jump || atBottom) box.scrollTop = box.scrollHeight;
  }

  function renderProfile(p, contactEmail, others) {
    if (!p) { $("profile").replaceChildren(muted("Guest, no customer profile" + (contactEmail ? " · " + contactEmail : "") + ".")); return; }
    const facts = [["Name", p.name], ["Customer", p.id], ["Email", p.email], ["Tier", p.tier], ["Language", p.language],
      ["Payment", (p.payment_methods || []).join("; ")]]  // masked, as the customer sees them
      .filter(([, v]) => v !== null && v !== undefined && v !== "");
    const dl = el("dl", {}, ...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]));
    const orders = p.orders || [];
    $("profile").replaceChildren(...[dl, orders.length ? el("table", { className: "orders" },
      el("caption", {}, "Orders"),
      el("thead", {}, el("tr", {}, ...["Order", "Status", "Placed", "Total"].map((t) => el("th", { scope: "col" }, t)))),
      el("tbody", {}, ...orders.map((o) => el("tr", {}, el("td", {}, orderId(o.id)), el("td", {}, o.status),
        el("td", {}, o.placed_on || ""), el("td", {}, money(o.total))))))
      : muted("No orders."),
      others.length ? el("div", { className: "others" }, el("h4", {}, "Other conversations"),
        el("ul", {}, ...others.map((o) => el("li", {}, el("strong", {}, o.channel + " "),
          el("span", { className: "muted" }, hhmm(o.created_at) + " " + new Date(o.created_at.endsWith("Z") ? o.created_at : o.created_at + "Z").toLocaleDateString() + ": "),
          o.last_message)))) : null].filter(Boolean));
  }

  // One bar per customer message; height = negative score (CSSOM style, allowed by the CSP).
  function renderTimeline(messages) {
    const customer = messages.filter((m) => m.sender === "customer");
    $("sentiment-timeline").replaceChildren(...customer.map((m) => {
      const s = m.sentiment;
      const title = hhmm(m.created_at) + " " + (s ? s.label + ": negative " + num(s.negative) + ", neutral " +
        num(s.neutral) + ", positive " + num(s.positive) + ", anger " + num(s.anger) : "not scored");
      const bar = el("div", { className: "bar " + (s ? s.label : "none"), title });
      bar.setAttribute("role", "listitem");
      bar.setAttribute("aria-label", title);
      bar.style.height = Math.max(4, Math.round((s ? s.negative : 0) * 100)) + "%";
      return bar;
    }));
  }

  function renderSuggestions(items) {
    $("suggestions").replaceChildren(...items.map((a) => {
      const text = a.text || "";
      const insert = el("button", { type: "button", title: "Put this article's text into the reply box" }, "Insert");
      insert.addEventListener("click", () => {
        const box = $("reply-text");
        box.value = box.value.trim() ? box.value.replace(/\s*$/, "\n\n") + text : text;
        box.focus();
      });
      return el("li", {}, el("strong", {}, a.title), el("p", {}, text.length > 200 ? text.slice(0, 200).trimEnd() + "…" : text), insert);
    }));
    if (!items.length) $("suggestions").append(el("li", { className: "muted" }, "No suggestions."));
  }

  function renderNotes(notes) {
    $("notes").replaceChildren(...notes.map((n) => el("li", {},
      el("div", { className: "meta" }, n.author + " · " + hhmm(n.created_at)), el("div", { className: "text" }, n.text))));
    if (!notes.length) $("notes").append(el("li", { className: "muted" }, "No notes yet."));
  }

  // ---- Actions -------------------------------------------------------------------------
  async function act(button, request) {
    clearError();
    button.disabled = true;
    try { await request(); } catch (error) { showError(error.message); } finally { button.disabled = false; }
    await refresh();
  }
  const convPath = (suffix) => "/api/console/conversations/" + encodeURIComponent(current) + suffix;

  $("claim").addEventListener("click", () => act($("claim"),
    () => api("POST", "/api/console/handoffs/" + encodeURIComponent(conv.handoff.id) + "/claim")));
  $("resolve").addEventListener("click", () => act($("resolve"), () => api("POST", convPath("/resolve"))));
  $("hand-back").addEventListener("click", () => act($("hand-back"), () => api("POST", convPath("/hand-back"))));

  function textForm(form, box, button, suffix) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = box.value.trim();
      if (!text || !current) return;
      act(button, async () => {
        await api("POST", convPath(suffix), { text });
        if (box.value.trim() === text) box.value = "";
      });
    });
  }
  textForm($("reply-form"), $("reply-text"), $("reply-send"), "/messages");
  textForm($("note-form"), $("note-text"), $("note-form").querySelector("button"), "/notes");
  $("reply-text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("reply-form").requestSubmit();
    }
  });

  // ---- Editors and admins: knowledge-base questions and accounts (read-only lists) ------
  async function loadStaffPanel() {
    const panel = $("staff-panel");
    panel.hidden = true;
    const role = session.user && session.user.role;
    if (role !== "editor" && role !== "admin") return;
    const parts = [];
    try {
      const kb = (await api("GET", "/api/editor/kb/questions")).items || [];
      const open = kb.filter((q) => !q.answered).length;
      parts.push(el("details", { open: true }, el("summary", {}, "Customer questions (" + open + " unanswered)"),
        el("ul", {}, ...kb.map((q) => el("li", {}, q.question, " ",
          el("span", { className: "muted" }, (q.answered ? "answered" : "unanswered") + " · " + hhmm(q.asked_at)))))));
      if (session.user.role === "admin") {
        const accounts = (await api("GET", "/api/admin/accounts")).items || [];
        parts.push(el("details", {}, el("summary", {}, "Accounts (" + accounts.length + ")"),
          el("ul", {}, ...accounts.map((a) => el("li", {}, a.display_name + " ",
            el("span", { className: "muted" }, a.username + " · " + a.role))))));
      }
    } catch (error) {
      showError(error.message);
    }
    if (!session.user) return;
    panel.replaceChildren(el("h2", {}, session.user.role === "admin" ? "Admin" : "Editor"), ...parts);
    panel.hidden = false;
  }

  session.restore().then((user) => (user ? enter(user) : showLogin("")),
    (error) => showLogin("Could not reach the desk: " + error.message));
})();
