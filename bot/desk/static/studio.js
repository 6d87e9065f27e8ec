// Harbor & Pine editors' studio: review inbox, training data, responses, articles, train and
// publish, audit. REST under /api/studio/* with the console's session (every change sends
// X-CSRF-Token); training progress arrives as server-sent events. Server data reaches the page
// as text only, except the article preview, which the server renders with raw HTML disabled.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let intents = [];
  let currentIntent = null;
  let events = null;
  let intentsReady = Promise.resolve();
  const chatSession = Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");

  const { el } = window.HarborSession;
  const session = window.HarborSession.create({ onEnded: showLogin });  // session.user: who is signed in
  const api = session.api;
  const pct = (x) => (typeof x === "number" ? (x * 100).toFixed(1) + "%" : "-");
  const when = (iso) => (iso ? new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(iso) ? iso : iso + "Z").toLocaleString() : "");

  function problem(text) { $("studio-error").textContent = text || ""; }
  function notice(text) { $("studio-notice").textContent = text || ""; }
  async function run(work) {
    problem("");
    try { return await work(); } catch (error) { problem(error.message); return undefined; }
  }

  // ---- Session -------------------------------------------------------------------------
  function showLogin(message) {
    session.user = null;
    $("studio-main").hidden = true;
    $("login-view").hidden = false;
    $("login-error").textContent = message || "";
  }
  function enter(user) {
    if (user.role !== "editor" && user.role !== "admin") {
      showLogin("The studio is for editors and admins; " + user.display_name + " is an " + user.role + ".");
      return;
    }
    $("login-view").hidden = true;
    $("studio-main").hidden = false;
    $("whoami").textContent = user.display_name + " (" + user.role + ")";
    $("git-box").hidden = user.role !== "admin";
    intentsReady = loadIntents();  // the inbox offers these intents
    show("inbox");
    followTraining();
  }
  session.bindSignInForm(enter);
  $("logout").addEventListener("click", async () => {
    await run(() => session.logout());
    showLogin("");
  });

  // ---- Tabs ----------------------------------------------------------------------------
  const loaders = { inbox: loadInbox, intents: loadIntents, responses: loadResponses, articles: loadArticles,
    publish: loadReleases, audit: loadAudit };
  function show(name) {
    document.querySelectorAll("[role=tab]").forEach((tab) => tab.setAttribute("aria-selected", String(tab.dataset.tab === name)));
    document.querySelectorAll(".tab").forEach((panel) => { panel.hidden = panel.id !== "tab-" + name; });
    notice("");
    loaders[name]();
  }
  document.querySelectorAll("[role=tab]").forEach((tab) => tab.addEventListener("click", () => show(tab.dataset.tab)));

  // ---- Review inbox --------------------------------------------------------------------
  async function loadInbox() {
    await intentsReady;
    const state = $("inbox-state").value;
    const page = await run(() => api("GET", "/api/studio/inbox?state=" + state));
    if (!page) return;
    $("inbox-count").textContent = page.counts.pending || "";
    $("inbox-summary").textContent = page.total_items + " " + state + " messages in " + page.total_groups + " groups.";
    $("inbox-groups").replaceChildren(...page.groups.map((g) => groupCard(g, state)));
  }
  $("inbox-state").addEventListener("change", loadInbox);
  $("inbox-refresh").addEventListener("click", loadInbox);

  function groupCard(group, state) {
    const predicted = group.intents.map((i) => (i.name || "none") + " " + (i.confidence === null ? "" : pct(i.confidence)) + " ×" + i.count).join(", ");
    const reasons = Object.entries(group.reasons).map(([r, n]) => r.replace(/_/g, " ") + " " + n).join(", ");
    const examples = el("ul", { className: "examples" }, ...group.examples.map((item) => el("li", {},
      el("span", { className: "text" }, item.text),
      el("span", { className: "muted" }, item.intent ? item.intent + " " + pct(item.confidence) : "no intent"),
      item.acted_by ? el("span", { className: "muted" }, item.action + " by " + item.acted_by + " " + when(item.acted_at)) : null)));
    const transcript = el("div", { className: "transcript" });
    const conversations = el("p", { className: "muted" }, "Conversations: ",
      ...group.conversations.slice(0, 5).map((cid, i) => button("#" + (i + 1), "link", () => showConversation(cid, transcript))),
      group.conversations.length > 5 ? " and more" : "");
    const card = el("li", { className: "group", id: "group-" + group.id },
      el("h3", {}, "“" + (group.examples[0] ? group.examples[0].text : "") + "” and similar (" + group.size + ")"),
      el("p", { className: "muted" }, "Predicted: " + predicted + ". Why: " + reasons + "."),
      examples, conversations, transcript);
    if (state === "pending") card.append(groupControls(group));
    if (state === "ignored") card.append(el("div", { className: "controls" },
      button("Undo ignore", "secondary", () => inboxAction({ group_id: group.id, action: "undo" }, "Back in the inbox."))));
    return card;
  }
  async function showConversation(cid, box) {
    const data = await run(() => api("GET", "/api/studio/conversations/" + encodeURIComponent(cid)));
    if (data) box.replaceChildren(...data.messages.map((m) => el("p", { className: "line " + m.sender },
      el("strong", {}, m.sender + ": "), m.text, m.intent ? el("span", { className: "muted" }, "  (" + m.intent.name + " " + pct(m.intent.confidence) + ")") : null)));
  }
  function groupControls(group) {
    const select = el("select", { ariaLabel: "Intent for this group" },
      ...intents.map((i) => el("option", { value: i.name, selected: group.intents[0] && group.intents[0].name === i.name }, i.name)));
    const newName = el("input", { placeholder: "new_intent_name", ariaLabel: "New intent name", maxLength: 64 });
    const newAnswer = el("input", { placeholder: "The bot's answer", ariaLabel: "Answer for the new intent", maxLength: 2000 });
    return el("div", { className: "controls" },
      select,
      button("Add to intent", "", () => inboxAction({ group_id: group.id, action: "add_to_intent", intent: select.value },
        "Added to " + select.value + ". Train and publish to teach the bot.")),
      button("Mark as correct", "secondary", () => inboxAction({ group_id: group.id, action: "correct" }, "Confirmed as predicted.")),
      button("Ignore", "secondary", () => inboxAction({ group_id: group.id, action: "ignore" }, "Ignored (undo under “ignored”).")),
      button("Draft an article", "secondary", () => inboxAction({ group_id: group.id, action: "draft_article" }, "Draft article written: see Articles.")),
      newName, newAnswer,
      button("New intent", "secondary", () => inboxAction({ group_id: group.id, action: "new_intent", intent: newName.value.trim(), response: newAnswer.value.trim() },
        "Intent " + newName.value.trim() + " created.")));
  }
  function button(label, cls, onClick) {
    const b = el("button", { type: "button", className: cls }, label);
    b.addEventListener("click", async () => { b.disabled = true; try { await onClick(); } finally { b.disabled = false; } });
    return b;
  }
  async function inboxAction(body, done) {
    const result = await run(() => api("POST", "/api/studio/inbox/actions", body));
    if (!result) return;
    const errors = result.results.filter((r) => r.error).map((r) => r.error);
    notice(done + (errors.length ? " Some were refused: " + errors.join("; ") : ""));
    await loadInbox();
  }

  // ---- Training data -------------------------------------------------------------------
  async function loadIntents() {
    const data = await run(() => api("GET", "/api/studio/intents"));
    if (!data) return;
    intents = data.items;
    $("intent-list").replaceChildren(...intents.map((i) => el("li", {}, button(i.name + " (" + i.examples + ")", "", () => openIntent(i.name)))));
    if (currentIntent) openIntent(currentIntent);
  }
  async function openIntent(name) {
    const intent = await run(() => api("GET", "/api/studio/intents/" + encodeURIComponent(name)));
    if (!intent) return;
    currentIntent = name;
    $("intent-title").textContent = name;
    $("intent-file").textContent = intent.file ? intent.examples.length + " examples in " + intent.file : "no examples yet";
    $("add-example-form").hidden = false;
    $("example-list").replaceChildren(...intent.examples.map((text) => exampleRow(name, text)));
  }
  function exampleRow(intent, text) {
    const move = el("select", { ariaLabel: "Move to intent" }, el("option", { value: "" }, "move to…"),
      ...intents.filter((i) => i.name !== intent).map((i) => el("option", { value: i.name }, i.name)));
    move.addEventListener("change", () => move.value && change(() => api("POST", "/api/studio/examples/move",
      { text, source: intent, target: move.value }), "Moved to " + move.value + "."));
    return el("li", {}, el("span", { className: "text" }, text),
      button("Edit", "secondary", () => {
        const updated = prompt("Edit the example (keep [value](entity) annotations):", text);
        if (updated && updated !== text) return change(() => api("PUT", "/api/studio/intents/" + intent + "/examples", { old: text, new: updated }), "Saved.");
      }),
      button("Delete", "secondary", () => change(() => api("POST", "/api/studio/intents/" + intent + "/examples/delete", { text }), "Deleted.")),
      move);
  }
  async function change(work, done) {
    if ((await run(work)) !== undefined) { notice(done); await loadIntents(); }
  }
  $("add-example-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("add-example-text").value.trim();
    if (!text || !currentIntent) return;
    await change(() => api("POST", "/api/studio/intents/" + currentIntent + "/examples", { text }), "Added.");
    if (!$("studio-error").textContent) $("add-example-text").value = "";
  });
  $("new-intent-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = $("new-intent-name").value.trim();
    await change(() => api("POST", "/api/studio/intents", { name,
      examples: $("new-intent-examples").value.split("\n").map((s) => s.trim()).filter(Boolean),
      response: $("new-intent-response").value.trim() }), "Intent " + name + " created.");
  });

  // ---- Responses -----------------------------------------------------------------------
  async function loadResponses() {
    const data = await run(() => api("GET", "/api/studio/responses"));
    if (!data) return;
    $("response-list").replaceChildren(...Object.entries(data.items).map(([name, texts]) => {
      const area = el("textarea", { rows: Math.max(2, texts.length + 1), value: texts.join("\n"), ariaLabel: name });
      return el("li", { className: "card" }, el("h3", {}, name), el("p", { className: "muted" }, "One variation per line."), area,
        button("Save", "", async () => {
          const lines = area.value.split("\n").map((s) => s.trim()).filter(Boolean);
          if ((await run(() => api("PUT", "/api/studio/responses/" + name, { texts: lines }))) !== undefined) notice(name + " saved.");
        }));
    }));
  }

  // ---- Articles ------------------------------------------------------------------------
  let checkTimer = null;
  async function loadArticles() {
    const data = await run(() => api("GET", "/api/studio/articles"));
    if (!data) return;
    $("article-list").replaceChildren(...data.items.map((a) => el("li", {},
      button((a.draft ? "[draft] " : "") + (a.title || a.filename) + (a.error ? " ⚠" : ""), "", () => openArticle(a.filename, a.draft)))));
  }
  async function openArticle(filename, draft) {
    const data = await run(() => api("GET", "/api/studio/articles/" + encodeURIComponent(filename) + "?draft=" + draft));
    if (!data) return;
    $("article-filename").value = filename;
    $("article-draft").checked = draft;
    $("article-publish").hidden = $("article-delete").hidden = !draft;
    $("article-text").value = data.text;
    checkArticle();
  }
  async function checkArticle() {
    const checked = await run(() => api("POST", "/api/studio/articles/check",
      { text: $("article-text").value, filename: $("article-filename").value.trim() || null, draft: $("article-draft").checked }));
    if (!checked) return;
    $("article-errors").replaceChildren(...checked.errors.map((e) => el("li", {}, "Line " + e.line + ": " + e.message)));
    $("article-preview").innerHTML = checked.html;  // rendered by the server with raw HTML disabled
  }
  $("article-text").addEventListener("input", () => { clearTimeout(checkTimer); checkTimer = setTimeout(checkArticle, 300); });
  $("article-new").addEventListener("click", () => {
    $("article-filename").value = "new-article.md";
    $("article-draft").checked = true;
    $("article-publish").hidden = $("article-delete").hidden = true;
    $("article-text").value = "---\nid: new-article\ntitle: A customer's question\ntags: [help]\nquestions:\n  - another way to ask it\n---\nThe answer.\n";
    checkArticle();
  });
  $("article-save").addEventListener("click", async () => {
    const filename = $("article-filename").value.trim();
    const draft = $("article-draft").checked;
    const saved = await run(() => api("PUT", "/api/studio/articles/" + encodeURIComponent(filename), { text: $("article-text").value, draft }));
    if (!saved) return;
    notice(filename + (draft ? " saved as a draft." : " saved; the bot answers from it now."));
    $("article-publish").hidden = $("article-delete").hidden = !draft;
    loadArticles();
  });
  $("article-publish").addEventListener("click", async () => {
    const filename = $("article-filename").value.trim();
    if (!(await run(() => api("POST", "/api/studio/articles/" + encodeURIComponent(filename) + "/publish")))) return;
    notice(filename + " published; the bot answers from it now.");
    $("article-draft").checked = false;
    $("article-publish").hidden = $("article-delete").hidden = true;
    loadArticles();
  });
  $("article-delete").addEventListener("click", async () => {
    const filename = $("article-filename").value.trim();
    if (!confirm("Delete the draft " + filename + "?")) return;
    if (!(await run(() => api("POST", "/api/studio/articles/" + encodeURIComponent(filename) + "/delete-draft")))) return;
    notice("Draft " + filename + " deleted.");
    $("article-text").value = "";
    $("article-publish").hidden = $("article-delete").hidden = true;
    loadArticles();
  });
  $("try-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const result = await run(() => api("POST", "/api/studio/try", { question: $("try-question").value }));
    if (!result) return;
    $("try-verdict").textContent = result.answers
      ? "The bot would answer from “" + result.article_id + "” (best score ≥ " + result.threshold + ")."
      : "The bot would decline: no passage scores " + result.threshold + " or more.";
    $("try-hits").replaceChildren(...result.hits.map((h) => el("li", {},
      el("strong", {}, h.score.toFixed(3) + " "), h.title + (h.heading ? " › " + h.heading : "") + ": ",
      el("span", { className: "muted" }, h.text.slice(0, 200)))));
  });

  // ---- Train and publish ---------------------------------------------------------------
  function renderJob(job) {
    $("train").disabled = !!job && job.state === "running";
    if (!job) { $("train-steps").replaceChildren(); $("scores").hidden = true; $("publish-box").hidden = true; $("try-candidate").hidden = true; return; }
    $("train-steps").replaceChildren(...job.steps.map((s) => el("li", { className: s.status },
      el("strong", {}, s.label), " — " + s.status + (s.elapsed_s !== null ? " (" + s.elapsed_s.toFixed(1) + " s)" : "") + (s.detail ? ": " + s.detail : ""))));
    $("train-log").textContent = job.log.join("\n");
    $("scores").hidden = !job.candidate;
    $("score-candidate").textContent = job.candidate ? pct(job.candidate.accuracy) + " (" + job.candidate.correct + "/" + job.candidate.total + ")" : "";
    $("score-active").textContent = job.active ? pct(job.active.accuracy) + " (" + job.active.correct + "/" + job.active.total + ")" : "";
    $("score-stories").textContent = job.stories ? (job.stories.passed ? "all " + job.stories.total + " pass" : job.stories.failed + " of " + job.stories.total + " fail") : "";
    const ready = job.state === "ready";
    $("verdict").textContent = job.state === "failed" ? "Training failed: " + job.error
      : job.state === "published" ? "Published." : ready ? (job.verdict.publishable ? "Ready to publish: " : "Not publishable as is: ") + job.verdict.why : "";
    $("publish-box").hidden = !ready;
    const override = ready && !job.verdict.publishable && session.user && session.user.role === "admin";
    $("override-label").hidden = !override;
    $("override-reason").hidden = !override;
    $("publish").disabled = ready && !job.verdict.publishable && !override;
    $("try-candidate").hidden = !job.can_chat;
  }
  function followTraining() {
    if (events) events.close();
    events = new EventSource("/api/studio/train/events");
    events.onmessage = (event) => {
      const job = JSON.parse(event.data).job;
      renderJob(job);
      if (!job || job.state !== "running") { events.close(); events = null; }
    };
    events.onerror = () => { if (events) { events.close(); events = null; } };
  }
  $("train").addEventListener("click", async () => {
    if (!(await run(() => api("POST", "/api/studio/train")))) return;
    $("chat-log").replaceChildren();
    followTraining();
  });
  $("publish").addEventListener("click", async () => {
    const reason = $("override-reason").hidden ? null : $("override-reason").value.trim() || null;
    const done = await run(() => api("POST", "/api/studio/publish", { reason }));
    if (!done) return;
    notice("Release " + done.release.id + " is live: customers are answered by the new model.");
    renderJob((await api("GET", "/api/studio/train")).job);
    loadReleases();
  });
  $("discard").addEventListener("click", async () => {
    const data = await run(() => api("POST", "/api/studio/discard"));
    if (data) renderJob(data.job);
  });
  $("chat-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("chat-text").value.trim();
    if (!text) return;
    $("chat-text").value = "";
    $("chat-log").append(el("p", { className: "you" }, text));
    const data = await run(() => api("POST", "/api/studio/candidate/messages", { text, session: chatSession }));
    if (data) $("chat-log").append(...data.replies.map((r) => el("p", {}, r.text || JSON.stringify(r.custom || r))));
  });
  async function loadReleases() {
    const data = await run(() => api("GET", "/api/studio/releases"));
    const job = await run(() => api("GET", "/api/studio/train"));
    if (job) renderJob(job.job);
    if (!data) return;
    $("releases").replaceChildren(...data.items.map((r) => el("tr", {},
      el("td", {}, String(r.id)), el("td", {}, when(r.published_at)), el("td", {}, r.published_by || "-"),
      el("td", {}, pct(r.accuracy)), el("td", {}, pct(r.previous_accuracy)),
      el("td", {}, r.stories_passed === null ? "-" : r.stories_passed ? "pass" : "fail"),
      el("td", { className: "clip" }, [r.note, r.override_reason && "override: " + r.override_reason].filter(Boolean).join("; ")),
      el("td", {}, r.active ? el("strong", {}, "serving") : button("Roll back to this", "secondary", async () => {
        notice("Starting release " + r.id + " on a second server…");
        const done = await run(() => api("POST", "/api/studio/releases/" + r.id + "/rollback"));
        if (done) notice("Rolled back: release " + done.release.id + " serves release " + r.id + "'s model.");
        loadReleases();
      })))));
  }

  // ---- Audit ---------------------------------------------------------------------------
  async function loadAudit() {
    const data = await run(() => api("GET", "/api/studio/audit"));
    if (data) $("audit-rows").replaceChildren(...data.items.map((c) => el("tr", {},
      el("td", {}, when(c.at)), el("td", {}, c.who), el("td", {}, c.kind.replace(/_/g, " ")), el("td", {}, c.target),
      el("td", { className: "clip" }, (c.before || "").slice(0, 400)), el("td", { className: "clip" }, (c.after || "").slice(0, 400)))));
    if (session.user && session.user.role === "admin") {
      const git = await run(() => api("GET", "/api/studio/git"));
      if (git) $("git-status").textContent = git.available ? (git.changed.length ? "Changed: " + git.changed.join(", ") : "Nothing to commit.") : git.reason;
    }
  }
  $("git-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = await run(() => api("POST", "/api/studio/git/commit", { message: $("git-message").value.trim() }));
    if (done) { notice("Committed " + done.commit + "."); $("git-message").value = ""; loadAudit(); }
  });

  session.restore().then((user) => (user ? enter(user) : showLogin("")), () => showLogin(""));
})();
