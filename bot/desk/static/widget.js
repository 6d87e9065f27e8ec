// Harbor & Pine chat widget: keeps one conversation per browser and customer (localStorage)
// and talks to the desk over a WebSocket. Protocol: send {"text"}; receive "ack",
// "message", "error". "message" frames also arrive unasked: an agent's reply, a rating question;
// while waiting for a person, "queue" frames give the customer's place in the queue.
// A logged-in customer's page sets window.HarborChat.identity to the store backend's
// signed identity ({customer_id, expires, signature}) before this loads.
(function () {
  "use strict";
  const MAX_CHARS = 4000;
  const config = (window.HarborChat = window.HarborChat || {});
  let socket = null;
  let conversation = null;
  let who = "online";  // or "waiting for a person: ...", "chatting with <agent>"
  let lastSent = "";  // the last text typed, handed back if the desk did not take it

  function storageKey() {
    return "hp-conversation:" + (config.identity ? config.identity.customer_id : "guest");
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.assign(node, attrs || {});
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const launcher = el("button", { id: "hp-chat-launcher", type: "button" }, "Chat with us");
  const panel = el("section", { id: "hp-chat" });
  panel.setAttribute("aria-label", "Customer support chat");
  panel.innerHTML =
    '<header><div>Harbor &amp; Pine support<div class="status">connecting…</div></div>' +
    '<button type="button" aria-label="Close chat">×</button></header>' +
    '<div class="log" role="log" aria-live="polite"></div>' +
    '<form><textarea placeholder="Type your message…" aria-label="Message" maxlength="' + MAX_CHARS + '"></textarea>' +
    '<button type="submit">Send</button></form>';
  document.body.append(launcher, panel);
  const log = panel.querySelector(".log");
  const status = panel.querySelector(".status");
  const form = panel.querySelector("form");
  const input = panel.querySelector("textarea");
  const sendButton = form.querySelector("button");

  // The desk marks its handoff notices; the header says who is answering.
  const waiting = (h) => "waiting for a person: " +
    (h.agents_online ? "number " + h.position + " in the queue" : "our team is offline");
  const WHO = { queued: waiting, claimed: (h) => "chatting with " + h.agent,
                resolved: () => "online", returned: () => "online" };

  function show(message) {
    if (!message.text) return;
    const handoff = message.custom && message.custom.handoff;
    if (handoff && WHO[handoff.status]) {
      who = WHO[handoff.status](handoff);
      if (socket && socket.readyState === WebSocket.OPEN) status.textContent = who;
    }
    const bubble = el("div", { className: "msg " + message.sender }, message.text);
    bubble.dataset.sender = message.sender;
    if (message.author) bubble.prepend(el("span", { className: "author" }, message.author));
    log.append(bubble);
    if (message.buttons && message.buttons.length) {
      const row = el("div", { className: "buttons" });
      for (const b of message.buttons) {
        const button = el("button", { type: "button" }, b.title);
        button.addEventListener("click", () => { row.remove(); send(b.payload, b.title); });
        row.append(button);
      }
      log.append(row);
    }
    log.scrollTop = log.scrollHeight;
  }

  function showError(text) {
    log.append(el("div", { className: "msg error" }, text));
    log.scrollTop = log.scrollHeight;
  }

  function showNotice(text) {
    log.append(el("div", { className: "msg notice" }, text));
    log.scrollTop = log.scrollHeight;
  }

  // Over the desk's rate limit the message was not taken: say so calmly, hand the text
  // back, and let the customer send again once the wait is over.
  function slowDown(seconds) {
    const bubbles = log.querySelectorAll(".msg.customer");
    const last = bubbles[bubbles.length - 1];
    if (last) last.classList.add("unsent");
    if (!input.value && lastSent) input.value = lastSent;
    showNotice("You're writing faster than I can keep up, so that last message didn't reach me. " +
      "Please send it again in " + seconds + " seconds.");
    sendButton.disabled = true;
    setTimeout(() => { if (socket && socket.readyState === WebSocket.OPEN) sendButton.disabled = false; },
      seconds * 1000);
  }

  async function startConversation() {
    const saved = JSON.parse(localStorage.getItem(storageKey()) || "null");
    if (saved) {
      const res = await fetch("/api/conversations/" + saved.id + "/messages", {
        headers: { "X-Conversation-Token": saved.token },
      });
      if (res.ok) {
        conversation = saved;
        (await res.json()).messages.forEach(show);
        return;
      }
    }
    const res = await fetch("/api/conversations", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(config.identity ? { identity: config.identity } : {}),
    });
    if (!res.ok) {
      const detail = await res.json().catch(() => ({}));
      if (res.status === 429) throw new Error("we're very busy, please try again in " + detail.retry_after_s + " seconds");
      throw new Error(detail.error || "could not start a conversation");
    }
    conversation = await res.json();
    localStorage.setItem(storageKey(), JSON.stringify(conversation));
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/conversations/" + conversation.id +
      "?token=" + encodeURIComponent(conversation.token));
    socket.addEventListener("open", () => { status.textContent = who; sendButton.disabled = false; });
    const thisSocket = socket;
    socket.addEventListener("close", () => {
      if (socket !== thisSocket) return;  // replaced by restart()
      status.textContent = "reconnecting…";
      sendButton.disabled = true;
      setTimeout(connect, 2000);
    });
    socket.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "message") show(frame.message);
      else if (frame.type === "ack") showAsStored(frame.message);
      else if (frame.type === "queue") status.textContent = who = waiting(frame);
      else if (frame.type === "error" && frame.code === "rate_limited") slowDown(frame.retry_after_s);
      else if (frame.type === "error" && frame.code === "bot_unavailable") showNotice(
        "I can't answer right now, but your message is saved. I'll reply here as soon as I can.");
      else if (frame.type === "error") showError(frame.error);
    });
  }

  // The desk masks card numbers and passwords before storing a message: the bubble then
  // shows what was kept, so the number does not stay on screen either.
  function showAsStored(message) {
    const bubbles = log.querySelectorAll(".msg.customer");
    const last = bubbles[bubbles.length - 1];
    if (last && lastSent && last.textContent === lastSent && message.text && message.text !== lastSent.trim()) {
      last.textContent = message.text;
    }
  }

  // A button shows its title in the transcript bubble while its payload goes to the bot.
  function send(text, label) {
    if (!socket || socket.readyState !== WebSocket.OPEN) { showError("Not connected yet, please try again."); return; }
    if (!text.trim()) return;
    if (text.length > MAX_CHARS) { showError("Messages can be at most " + MAX_CHARS + " characters."); return; }
    show({ sender: "customer", text: label || text });
    lastSent = label ? "" : text;
    socket.send(JSON.stringify({ text: text }));
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(input.value);
    input.value = "";
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });

  async function open() {
    launcher.style.display = "none";
    panel.classList.add("open");
    input.focus();
    if (conversation) return;
    sendButton.disabled = true;
    try {
      await startConversation();
      connect();
    } catch (error) {
      status.textContent = "offline";
      showError("Chat is unavailable right now: " + error.message);
    }
  }

  // Called by the page when the signed-in customer changes.
  config.restart = function () {
    const old = socket;
    socket = null;
    conversation = null;
    who = "online";
    if (old) old.close();
    log.replaceChildren();
    if (panel.classList.contains("open")) { panel.classList.remove("open"); open(); }
  };
  launcher.addEventListener("click", open);
  panel.querySelector("header button").addEventListener("click", () => {
    panel.classList.remove("open");
    launcher.style.display = "";
  });
})();
