/* kefu chat widget — one script tag, no build step, no dependencies.
 *
 *   <script src="http://127.0.0.1:8000/widget.js" data-kefu-title="Lumo Home" data-kefu-lang="zh"></script>
 *
 * data-kefu-title: header title; data-kefu-lang: "zh" | "en" (default: navigator.language);
 * data-kefu-base: server URL (default: where this script came from); data-kefu-open: "true" opens it.
 * Answers stream from POST /v1/conversations/{id}/messages (SSE read with fetch + a stream reader,
 * since EventSource cannot POST); agent messages and status changes arrive on
 * GET /v1/conversations/{id}/events (EventSource). The conversation id is kept in localStorage.
 * Everything renders in a shadow root, so the host page's CSS cannot break it (and vice versa).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var cfg = script ? script.dataset : {};
  var BASE = (cfg.kefuBase || (script && script.src ? new URL(script.src).origin : location.origin)).replace(/\/$/, "");
  var LANG = (cfg.kefuLang || navigator.language || "en").toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  var KEY = "kefu.conversation." + BASE;
  var T = {
    en: { title: "Customer service", bot: "Assistant · usually answers at once", open: "Chat with us",
      placeholder: "Type your question…", send: "Send", human: "Talk to a human", close: "Close",
      hello: "Hi! Ask me about products, orders, shipping or returns.", sources: "Sources",
      helpful: "Helpful", unhelpful: "Not helpful", comment: "What was wrong? (optional)", submit: "Send",
      thanks: "Thanks for the feedback!", waiting: "Waiting for an agent…", agent: "Agent {name} is here",
      agentShort: "Human agent", closed: "Conversation closed", error: "Something went wrong — please try again.",
      handoffAsked: "Connecting you to a human agent…", newChat: "New conversation",
      rate: "How did we do?", rated: "Thank you for rating us!" },
    zh: { title: "在线客服", bot: "智能助手 · 即时回复", open: "联系客服", placeholder: "请输入您的问题…", send: "发送",
      human: "转人工", close: "关闭", hello: "您好！可以问我商品、订单、配送或退换货的问题。", sources: "参考来源",
      helpful: "有帮助", unhelpful: "没帮助", comment: "哪里不对？（可选）", submit: "提交", thanks: "感谢您的反馈！",
      waiting: "正在为您转接人工客服…", agent: "人工客服 {name} 为您服务", agentShort: "人工客服", closed: "会话已结束",
      error: "出错了，请稍后再试。", handoffAsked: "正在为您转接人工客服…", newChat: "新会话",
      rate: "请为本次服务评分", rated: "感谢您的评价！" }
  }[LANG];
  var TITLE = cfg.kefuTitle || T.title;
  var THUMB = "<svg viewBox='0 0 24 24' width='14' height='14' fill='none' stroke='currentColor' stroke-width='2' stroke-linecap='round' stroke-linejoin='round'><path d='M7 10v12M15 5.88 14 10h5.83a2 2 0 0 1 1.92 2.56l-2.33 8A2 2 0 0 1 17.5 22H4a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2h2.76a2 2 0 0 0 1.79-1.11L12 2a3.13 3.13 0 0 1 3 3.88Z'/></svg>";

  var CSS = ":host{all:initial;font:14px/1.5 -apple-system,BlinkMacSystemFont,'Segoe UI','PingFang SC','Microsoft YaHei',sans-serif;color:#1f2937}" +
    "*{box-sizing:border-box}" +
    ".launcher{position:fixed;right:24px;bottom:24px;width:60px;height:60px;border-radius:50%;border:0;background:var(--c);color:#fff;cursor:pointer;box-shadow:0 8px 24px rgba(15,23,42,.25);display:flex;align-items:center;justify-content:center;z-index:2147483000;transition:transform .15s}" +
    ".launcher:hover{transform:scale(1.06)}.launcher svg{width:28px;height:28px}" +
    ".panel{position:fixed;right:24px;bottom:96px;width:380px;max-width:calc(100vw - 32px);height:600px;max-height:calc(100vh - 120px);background:#fff;border-radius:16px;box-shadow:0 20px 50px rgba(15,23,42,.28);display:none;flex-direction:column;overflow:hidden;z-index:2147483000}" +
    ".panel.open{display:flex}" +
    "@media (max-width:480px){.panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100vh;max-height:100vh;border-radius:0}}" +
    ".head{background:var(--c);color:#fff;padding:14px 16px;display:flex;align-items:center;gap:10px}" +
    ".avatar{width:36px;height:36px;border-radius:50%;background:rgba(255,255,255,.2);display:flex;align-items:center;justify-content:center;font-weight:700}" +
    ".who{flex:1;min-width:0}.who b{display:block;font-size:15px}.who span{font-size:12px;opacity:.85}" +
    ".hbtn{background:rgba(255,255,255,.18);color:#fff;border:0;border-radius:999px;padding:6px 10px;font-size:12px;cursor:pointer;white-space:nowrap}" +
    ".hbtn:hover{background:rgba(255,255,255,.3)}.x{background:none;border:0;color:#fff;font-size:22px;cursor:pointer;line-height:1;padding:0 4px}" +
    ".log{flex:1;overflow-y:auto;padding:16px;background:#f6f7fb;display:flex;flex-direction:column;gap:10px}" +
    ".msg{max-width:86%;padding:9px 12px;border-radius:14px;white-space:pre-wrap;word-wrap:break-word}" +
    ".customer{align-self:flex-end;background:var(--c);color:#fff;border-bottom-right-radius:4px}" +
    ".assistant,.agent{align-self:flex-start;background:#fff;border:1px solid #e5e7eb;border-bottom-left-radius:4px}" +
    ".agent{border-color:#f59e0b;background:#fffbeb}.agent .tag{color:#b45309;font-size:11px;font-weight:600;display:block;margin-bottom:2px}" +
    ".system{align-self:center;background:none;color:#6b7280;font-size:12px;text-align:center;padding:2px 8px}" +
    ".typing:after{content:'▍';animation:blink 1s steps(2) infinite;color:#9ca3af}@keyframes blink{50%{opacity:0}}" +
    ".cite{display:inline-block;background:#eef2ff;color:#4338ca;border:0;border-radius:6px;padding:0 5px;margin:0 1px;font-size:11px;font-weight:600;cursor:pointer;vertical-align:1px}" +
    ".cite:hover{background:#c7d2fe}" +
    ".src{margin-top:8px;border-top:1px dashed #e5e7eb;padding-top:6px;font-size:12px;color:#6b7280;white-space:normal}" +
    ".src .pass{margin-top:6px;background:#f9fafb;border-left:3px solid #6366f1;padding:6px 8px;color:#374151;border-radius:4px;white-space:pre-wrap}" +
    ".src .pass b{display:block;color:#111827;margin-bottom:2px}" +
    ".fb{display:flex;gap:6px;margin-top:6px;align-items:center;white-space:normal}" +
    ".fb button{border:1px solid #e5e7eb;background:#fff;color:#6b7280;border-radius:999px;padding:3px 9px;cursor:pointer;display:inline-flex;align-items:center}.fb button:hover{color:#111827}" +
    ".fb button.on{background:#eef2ff;border-color:#6366f1;color:#4338ca}.fb small{color:#6b7280;font-size:12px}" +
    ".fbc{display:flex;gap:6px;margin-top:6px}.fbc input{flex:1;border:1px solid #d1d5db;border-radius:8px;padding:4px 8px;font:inherit;font-size:12px}" +
    ".fbc button{border:0;background:var(--c);color:#fff;border-radius:8px;padding:4px 10px;cursor:pointer;font-size:12px}" +
    ".stars{margin-top:4px}.stars button{background:none;border:0;font-size:24px;color:#d1d5db;cursor:pointer;padding:0 2px}.stars button.on{color:#f59e0b}" +
    ".foot{display:flex;gap:8px;padding:10px;border-top:1px solid #e5e7eb;background:#fff}" +
    ".foot textarea{flex:1;resize:none;border:1px solid #d1d5db;border-radius:10px;padding:8px 10px;font:inherit;height:40px;outline:none}" +
    ".foot textarea:focus{border-color:var(--c);box-shadow:0 0 0 3px rgba(79,70,229,.15)}" +
    ".foot button{border:0;background:var(--c);color:#fff;border-radius:10px;padding:0 16px;font-weight:600;cursor:pointer}" +
    ".foot button:disabled{opacity:.5;cursor:default}";

  var host = document.createElement("div");
  host.id = "kefu-widget";
  host.style.setProperty("--c", cfg.kefuColor || "#4f46e5");
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML = "<style>" + CSS + "</style>" +
    "<button class='launcher' aria-label='" + T.open + "' title='" + T.open + "'><svg viewBox='0 0 24 24' fill='none' stroke='currentColor' stroke-width='2'><path d='M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z'/></svg></button>" +
    "<section class='panel' role='dialog' aria-label='" + esc(TITLE) + "'>" +
    "<div class='head'><div class='avatar'>" + esc(TITLE.charAt(0)) + "</div><div class='who'><b>" + esc(TITLE) + "</b><span class='sub'>" + T.bot + "</span></div>" +
    "<button class='hbtn human'>" + T.human + "</button><button class='x' aria-label='" + T.close + "'>×</button></div>" +
    "<div class='log' aria-live='polite'></div>" +
    "<form class='foot'><textarea placeholder='" + T.placeholder + "' rows='1'></textarea><button type='submit'>" + T.send + "</button></form></section>";
  (document.body || document.documentElement).appendChild(host);

  var $ = function (s) { return root.querySelector(s); };
  var panel = $(".panel"), log = $(".log"), input = $("textarea"), sendBtn = $(".foot button"), sub = $(".sub");
  var convId = localStorage.getItem(KEY), events = null, busy = false, started = false;

  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function api(path, body, method) {
    return fetch(BASE + path, { method: method || (body ? "POST" : "GET"), headers: { "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined }).then(function (r) {
      if (!r.ok) { var e = new Error("HTTP " + r.status); e.status = r.status; throw e; }
      return r.json();
    });
  }
  // "/srv/kb/docs/kettle.md > Warranty" -> "kettle.md > Warranty": paths mean nothing to customers
  function niceTitle(s) { return String(s.title || s.source || "").replace(/(^|\s)[^\s>]*[\/\\]([^\s\/\\>]+)/g, "$1$2"); }
  function scroll() { log.scrollTop = log.scrollHeight; }
  function setStatus(st, name) {
    if (st === "closed" && convId) { askRating(convId); finish(); }
    sub.textContent = st === "agent" ? (name ? T.agent.replace("{name}", name) : T.agentShort) :
      st === "handoff" ? T.waiting : st === "closed" ? T.closed : T.bot;
    $(".human").style.display = st === "open" || !st ? "" : "none";
  }

  // a closed conversation: rate it, and start a new one on the next question
  function finish() { localStorage.removeItem(KEY); convId = null; if (events) events.close(); events = null; }
  function askRating(id) {
    var box = bubble("system");
    box.classList.add("rating");
    box.innerHTML = esc(T.rate) + "<div class='stars'>" + [1, 2, 3, 4, 5].map(function (n) {
      return "<button data-n='" + n + "' aria-label='" + n + "/5'>★</button>"; }).join("") + "</div>";
    box.querySelectorAll("button").forEach(function (b) {
      b.onmouseenter = function () { box.querySelectorAll("button").forEach(function (x) { x.classList.toggle("on", +x.dataset.n <= +b.dataset.n); }); };
      b.onclick = function () {
        api("/v1/conversations/" + id + "/rating", { rating: +b.dataset.n }).then(function () { box.textContent = T.rated; })
          .catch(function () { box.textContent = T.error; });
      };
    });
    scroll();
  }
  function bubble(role, id) {
    var el = document.createElement("div");
    el.className = "msg " + role;
    if (id != null) el.dataset.id = id;
    log.appendChild(el);
    return el;
  }
  function find(id) { return id == null ? null : log.querySelector(".msg[data-id='" + id + "']"); }

  // answer text with [n] turned into buttons that open the numbered source's passage
  function render(el, m) {
    el.classList.remove("typing");
    el.className = "msg " + m.role;
    if (m.id != null) el.dataset.id = m.id;
    var srcs = m.sources || [];
    var html = (m.role === "agent" ? "<span class='tag'>" + T.agentShort + "</span>" : "") +
      esc(m.text).replace(/\[(\d+)\]/g, function (all, n) {
        return srcs.some(function (s) { return String(s.n) === n; }) ? "<button class='cite' data-n='" + n + "'>" + n + "</button>" : all;
      });
    el.innerHTML = html;
    if (srcs.length) {
      var box = document.createElement("div");
      box.className = "src";
      box.innerHTML = T.sources + ": " + srcs.map(function (s) {
        return "<button class='cite' data-n='" + esc(s.n) + "' title='" + esc(niceTitle(s)) + "'>" + esc(s.n) + "</button>";
      }).join("");
      el.appendChild(box);
    }
    el.querySelectorAll(".cite").forEach(function (b) {
      b.addEventListener("click", function () { showSource(el, srcs, b.dataset.n); });
    });
    if (m.role === "assistant" && m.id != null && m.status !== "streaming") feedbackBar(el, m);
    scroll();
  }
  function showSource(el, srcs, n) {
    var s = srcs.filter(function (x) { return String(x.n) === String(n); })[0];
    var box = el.querySelector(".src");
    if (!s || !box) return;
    var old = box.querySelector(".pass");
    if (old && old.dataset.n === String(n)) { old.remove(); return; }
    if (old) old.remove();
    var p = document.createElement("div");
    p.className = "pass"; p.dataset.n = n;
    p.innerHTML = "<b>[" + esc(n) + "] " + esc(niceTitle(s)) + "</b>" + esc(s.text) +
      (s.url ? "<br><a href='" + esc(s.url) + "' target='_blank' rel='noopener'>" + esc(s.url) + "</a>" : "");
    box.appendChild(p);
    scroll();
  }
  function feedbackBar(el, m) {
    var bar = document.createElement("div");
    bar.className = "fb";
    bar.innerHTML = "<button class='up' title='" + T.helpful + "' aria-label='" + T.helpful + "'>" + THUMB + "</button>" +
      "<button class='down' title='" + T.unhelpful + "' aria-label='" + T.unhelpful + "'>" + THUMB.replace("<svg ", "<svg style='transform:rotate(180deg)' ") + "</button><small></small>";
    el.appendChild(bar);
    var mark = function (t) { bar.querySelectorAll("button").forEach(function (b) { b.classList.toggle("on", b.className.indexOf(t) === 0); }); };
    if (m.feedback) mark(m.feedback);
    var send = function (thumb, comment) {
      return api("/v1/messages/" + m.id + "/feedback", { thumb: thumb, comment: comment || null }).then(function () {
        mark(thumb); bar.querySelector("small").textContent = T.thanks;
      });
    };
    bar.querySelector(".up").onclick = function () { send("up"); var c = el.querySelector(".fbc"); if (c) c.remove(); };
    bar.querySelector(".down").onclick = function () {
      send("down");
      if (el.querySelector(".fbc")) return;
      var f = document.createElement("form");
      f.className = "fbc";
      f.innerHTML = "<input placeholder='" + T.comment + "' maxlength='500'><button type='submit'>" + T.submit + "</button>";
      f.onsubmit = function (e) { e.preventDefault(); send("down", f.querySelector("input").value).then(function () { f.remove(); }); };
      el.appendChild(f);
      f.querySelector("input").focus();
      scroll();
    };
  }

  // one message from the event stream or history: update the bubble with that id, or claim
  // our optimistic customer bubble, or add a new one
  function upsert(m) {
    var el = find(m.id);
    if (!el && m.role === "customer") {
      el = Array.prototype.filter.call(log.querySelectorAll(".msg.customer:not([data-id])"), function (x) { return x.dataset.text === m.text; })[0];
    }
    if (el && el.classList.contains("typing") && m.status === "streaming") return;
    render(el || bubble(m.role, m.id), m);
  }

  function ensureConversation() {
    if (convId) return Promise.resolve(convId);
    return api("/v1/conversations", { channel: "web", language: LANG }).then(function (c) {
      convId = c.id; localStorage.setItem(KEY, convId); listen(); setStatus(c.status); return convId;
    });
  }
  function listen() {
    if (events || !convId || !window.EventSource) return;
    events = new EventSource(BASE + "/v1/conversations/" + convId + "/events");
    var onMessage = function (e) { try { var d = JSON.parse(e.data); if (d.message) upsert(d.message); if (d.status) setStatus(d.status, d.agent); } catch (err) { /* keep-alive */ } };
    events.addEventListener("message", onMessage);
    events.addEventListener("status", onMessage);
  }
  function load() {
    if (!convId) { render(bubble("system"), { role: "system", text: T.hello }); return; }
    api("/v1/conversations/" + convId).then(function (c) {
      (c.messages || []).forEach(upsert);
      if (c.status === "closed") finish(); else { setStatus(c.status); listen(); }
      if (!(c.messages || []).length) render(bubble("system"), { role: "system", text: T.hello });
    }).catch(function () { localStorage.removeItem(KEY); convId = null; render(bubble("system"), { role: "system", text: T.hello }); });
  }

  // POST the question and read the SSE answer: "event: NAME\ndata: JSON\n\n" frames
  function ask(text) {
    busy = true; sendBtn.disabled = true;
    var mine = bubble("customer");
    mine.dataset.text = text; mine.textContent = text;
    var bot = bubble("assistant");
    bot.classList.add("typing");
    var answer = "";
    scroll();
    ensureConversation().then(function (id) {
      return fetch(BASE + "/v1/conversations/" + id + "/messages", { method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" }, body: JSON.stringify({ text: text, stream: true }) });
    }).then(function (r) {
      if (!r.ok || !r.body) throw new Error("HTTP " + r.status);
      var reader = r.body.getReader(), dec = new TextDecoder(), buf = "";
      function frame(raw) {
        var ev = "message", data = "";
        raw.split("\n").forEach(function (line) {
          if (line.indexOf("event:") === 0) ev = line.slice(6).trim();
          else if (line.indexOf("data:") === 0) data += line.slice(5).replace(/^ /, "");
        });
        if (!data) return;
        var d = JSON.parse(data);
        if (ev === "meta") {
          if (d.customer_message) { mine.dataset.id = d.customer_message.id; }
          if (d.assistant_message_id != null) { var dup = find(d.assistant_message_id); if (dup && dup !== bot) dup.remove(); bot.dataset.id = d.assistant_message_id; }
        } else if (ev === "token") {
          answer += d.text; bot.textContent = answer; scroll();
        } else if (ev === "done") {
          if (d.message) { var other = find(d.message.id); if (other && other !== bot) other.remove(); render(bot, d.message); }
          else bot.remove();
          if (d.handoff) setStatus("handoff");
        } else if (ev === "error") {
          throw new Error((d.error && d.error.message) || "error");
        }
      }
      function pump() {
        return reader.read().then(function (res) {
          if (res.done) return;
          buf += dec.decode(res.value, { stream: true });
          var parts = buf.split("\n\n");
          buf = parts.pop();
          parts.forEach(frame);
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      bot.classList.remove("typing"); bot.className = "msg system"; bot.textContent = T.error;
    }).then(function () {
      if (bot.classList.contains("typing")) bot.remove();
      busy = false; sendBtn.disabled = false; input.focus();
    });
  }

  $(".launcher").addEventListener("click", function () {
    panel.classList.toggle("open");
    if (panel.classList.contains("open")) { if (!started) { started = true; load(); } input.focus(); }
  });
  $(".x").addEventListener("click", function () { panel.classList.remove("open"); });
  $(".human").addEventListener("click", function () {
    ensureConversation().then(function (id) {
      render(bubble("system"), { role: "system", text: T.handoffAsked });
      return api("/v1/conversations/" + id + "/handoff", { reason: "asked" });
    }).then(function (t) { setStatus(t.status === "assigned" ? "agent" : "handoff"); })
      .catch(function () { render(bubble("system"), { role: "system", text: T.error }); });
  });
  $("form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    ask(text);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); $("form").requestSubmit(); }
  });
  window.kefu = { open: function () { if (!panel.classList.contains("open")) $(".launcher").click(); },
    reset: function () { localStorage.removeItem(KEY); convId = null; if (events) events.close(); events = null; log.innerHTML = ""; load(); } };
  if (cfg.kefuOpen === "true") window.kefu.open();
})();
