/* kefu console — a small single-page app, vanilla JS, no build step.
 * Views (hash routes): #/queue, #/conversations, #/conv/ID, #/review, #/kb, #/analytics, #/webhooks.
 * Talks to /console/api/* with the session cookie; a 401 anywhere shows the login form.
 */
(function () {
  "use strict";
  var me = null, timer = null, stream = null;
  var $ = function (s, el) { return (el || document).querySelector(s); };
  var main = $("#main");

  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; }); }
  function when(iso) { if (!iso) return ""; var d = new Date(iso); return d.toLocaleString(); }
  function ago(iso) {
    var s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    return s < 60 ? Math.round(s) + "s ago" : s < 3600 ? Math.round(s / 60) + " min ago" : s < 86400 ? Math.round(s / 3600) + " h ago" : Math.round(s / 86400) + " d ago";
  }
  function pill(s) { return "<span class='pill " + esc(s) + "'>" + esc(s) + "</span>"; }
  function toast(msg, bad) {
    var t = $("#toast"); t.textContent = msg; t.className = "toast show" + (bad ? " bad" : "");
    clearTimeout(toast.t); toast.t = setTimeout(function () { t.className = "toast"; }, 2600);
  }
  function api(path, opts) {
    opts = opts || {};
    var init = { method: opts.method || (opts.body !== undefined || opts.form ? "POST" : "GET"), credentials: "same-origin", headers: {} };
    if (opts.form) init.body = opts.form;
    else if (opts.body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(opts.body); }
    return fetch("/console/api" + path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.status === 401 && path !== "/login") { showLogin(); }
        if (!r.ok) { var e = new Error((j.error && j.error.message) || ("HTTP " + r.status)); e.status = r.status; throw e; }
        return j;
      });
    });
  }
  function fail(e) { if (e.status !== 401) toast(e.message, true); }

  // ---- session ---------------------------------------------------------------------------
  function showLogin() { me = null; stop(); $("#app").classList.add("hidden"); $("#login").classList.remove("hidden"); }
  function showApp(agent) {
    me = agent;
    $("#login").classList.add("hidden"); $("#app").classList.remove("hidden");
    $("#me").textContent = (agent.display_name || agent.username) + " · " + agent.role;
    document.querySelectorAll(".admin-only").forEach(function (el) { el.classList.toggle("hidden", agent.role !== "admin"); });
    route();
  }
  $("#login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target;
    api("/login", { body: { username: f.username.value, password: f.password.value } })
      .then(function (r) { $("#login-error").textContent = ""; f.password.value = ""; showApp(r.agent); })
      .catch(function (err) { $("#login-error").textContent = err.message; });
  });
  $("#logout").addEventListener("click", function () { api("/logout", { body: {} }).then(showLogin); });

  function stop() { if (timer) clearInterval(timer); timer = null; if (stream) stream.close(); stream = null; }
  function every(ms, fn) { fn(); timer = setInterval(fn, ms); }
  function page(title, sub, body) { main.innerHTML = "<h1>" + esc(title) + "</h1><p class='sub'>" + esc(sub) + "</p>" + body; }

  // ---- router ------------------------------------------------------------------------------
  function route() {
    if (!me) return;
    stop();
    var parts = (location.hash || "#/queue").slice(2).split("/");
    var view = parts[0] || "queue";
    badge();
    document.querySelectorAll("#nav a").forEach(function (a) { a.classList.toggle("active", a.dataset.view === (view === "conv" ? "conversations" : view)); });
    ({ queue: queueView, conversations: listView, conv: function () { convView(decodeURIComponent(parts[1])); },
      review: reviewView, kb: kbView, analytics: analyticsView, webhooks: webhooksView, agents: agentsView }[view] || queueView)();
  }
  window.addEventListener("hashchange", route);
  function badge() { if (me) api("/queue").then(function (q) { $("#queue-count").textContent = q.data.filter(function (t) { return t.status === "queued"; }).length || ""; }).catch(function () {}); }
  setInterval(badge, 5000);

  // ---- queue -------------------------------------------------------------------------------
  function queueView() {
    page("Handoff queue", "Customers waiting for a person, longest wait first. Refreshes every 3 seconds.", "<div class='card' id='q'></div>");
    every(3000, function () {
      api("/queue").then(function (q) {
        $("#queue-count").textContent = q.data.filter(function (t) { return t.status === "queued"; }).length || "";
        var box = $("#q"); if (!box) return;
        if (!q.data.length) { box.innerHTML = "<div class='empty'>No one is waiting. 🎉</div>"; return; }
        box.innerHTML = "<table><tr><th>Ticket</th><th>Customer asked</th><th>Reason</th><th>Waiting</th><th>Status</th><th></th></tr>" +
          q.data.map(function (t) {
            return "<tr><td>#" + t.id + "</td><td>" + esc(t.last_customer_text) + "<div class='muted'>" + t.messages + " messages · " + esc(t.conversation.language || "") + "</div></td><td>" +
              esc(t.reason) + "</td><td>" + ago(t.created_at) + "</td><td>" + pill(t.status) + (t.agent_name ? "<div class='muted'>" + esc(t.agent_name) + "</div>" : "") +
              "</td><td><button class='btn primary small take' data-t='" + t.id + "' data-c='" + esc(t.conversation_id) + "'>" + (t.status === "queued" ? "Take over" : "Open") + "</button></td></tr>";
          }).join("") + "</table>";
        box.querySelectorAll(".take").forEach(function (b) {
          b.onclick = function () {
            var go = function () { location.hash = "#/conv/" + b.dataset.c; };
            if (b.textContent === "Open") return go();
            api("/tickets/" + b.dataset.t + "/take", { body: {} }).then(go).catch(fail);
          };
        });
      }).catch(fail);
    });
  }

  // ---- conversations -------------------------------------------------------------------------
  function listView() {
    page("Conversations", "Every conversation, newest activity first. Open one to see the prompt and sources behind each answer.",
      "<div class='card'><form class='row' id='f'><input class='grow' name='search' placeholder='Search message text…'>" +
      "<select name='status'><option value=''>Any status</option><option>open</option><option>handoff</option><option>agent</option><option>closed</option></select>" +
      "<button class='btn primary'>Search</button></form></div><div class='card' id='list'></div>");
    var load = function () {
      var f = $("#f");
      var qs = "?limit=100&search=" + encodeURIComponent(f.search.value) + "&status=" + encodeURIComponent(f.status.value);
      api("/conversations" + qs).then(function (r) {
        $("#list").innerHTML = r.data.length ? "<table><tr><th>Last customer message</th><th>Messages</th><th>Status</th><th>Rating</th><th>Updated</th></tr>" +
          r.data.map(function (c) {
            return "<tr class='click' data-id='" + esc(c.id) + "'><td>" + (esc(c.last_customer_text) || "<span class='muted'>(no messages)</span>") + "</td><td>" + c.messages + "</td><td>" +
              pill(c.status) + "</td><td>" + (c.satisfaction ? "★".repeat(c.satisfaction) : "") + "</td><td>" + ago(c.updated_at) + "</td></tr>";
          }).join("") + "</table>" : "<div class='empty'>No conversations match.</div>";
        $("#list").querySelectorAll("tr.click").forEach(function (tr) { tr.onclick = function () { location.hash = "#/conv/" + tr.dataset.id; }; });
      }).catch(fail);
    };
    $("#f").onsubmit = function (e) { e.preventDefault(); load(); };
    load();
  }

  function sourcesHtml(m) {
    return (m.sources || []).map(function (s) { return "<div><b>[" + esc(s.n) + "] " + esc(s.title) + "</b> <span class='muted'>" + esc(s.source) + "</span><br>" + esc(s.text) + "</div>"; }).join("");
  }
  function messageHtml(m) {
    var who = m.role === "agent" ? "agent" + (m.agent_name ? " · " + m.agent_name : "") : m.role;
    var h = "<div class='m " + esc(m.role) + "' data-id='" + m.id + "'>" + (m.role !== "system" ? "<div class='who'>" + esc(who) + "</div>" : "") + esc(m.text);
    if (m.role === "customer" && (m.intent || m.slots)) {
      h += "<div class='meta'>" + (m.intent ? "intent " + pill(m.intent) : "") + (m.slots && Object.keys(m.slots).length ? " slots " + esc(JSON.stringify(m.slots)) : "") + "</div>";
    }
    if (m.role === "assistant") {
      h += "<div class='meta'>" + [m.policy && "policy " + pill(m.policy), m.intent && "intent " + esc(m.intent), m.model && "model " + esc(m.model),
        m.latency_ms != null && m.latency_ms + " ms", m.status !== "complete" && pill(m.status), m.feedback && pill(m.feedback) + (m.feedback_comment ? " “" + esc(m.feedback_comment) + "”" : "")]
        .filter(Boolean).join(" · ") + "</div>";
      if (m.sources && m.sources.length) h += "<details><summary>Sources (" + m.sources.length + ")</summary><div class='srcs'>" + sourcesHtml(m) + "</div></details>";
      if (m.prompt) h += "<details><summary>Prompt sent to the model</summary><pre>" + esc(promptText(m.prompt)) + "</pre></details>";
      (m.corrections || []).forEach(function (c) { h += "<div class='meta'>✏️ corrected: “" + esc(c.corrected_text) + "”" + (c.added_to_faq ? " " + pill("in FAQ") : "") + "</div>"; });
      h += "<div class='fix'><button class='btn small mark' data-id='" + m.id + "'>Mark wrong…</button></div>";
    }
    return h + "</div>";
  }
  function promptText(p) {
    if (Array.isArray(p)) return p.map(function (x) { return "── " + (x.role || "") + " ──\n" + (x.content != null ? x.content : JSON.stringify(x)); }).join("\n\n");
    return typeof p === "string" ? p : JSON.stringify(p, null, 2);
  }

  function convView(id) {
    page("Conversation", id, "<div class='conv'><div class='card'><div class='thread' id='thread'></div><div id='composer'></div></div><div class='card' id='info'></div></div>");
    var seen = {};
    var add = function (m) {
      var th = $("#thread"); if (!th) return;
      var html = messageHtml(m), old = th.querySelector(".m[data-id='" + m.id + "']");
      if (old) old.outerHTML = html; else th.insertAdjacentHTML("beforeend", html);
      seen[m.id] = true; wireMarks(); th.scrollTop = th.scrollHeight;
    };
    var load = function () {
      return api("/conversations/" + encodeURIComponent(id)).then(function (c) {
        $("#thread").innerHTML = ""; c.messages.forEach(add);
        var t = c.ticket, mine = t && t.status === "assigned";
        $("#info").innerHTML = "<h2>Details</h2><p>" + pill(c.status) + "</p><p class='muted'>Channel " + esc(c.channel) + " · language " + esc(c.language || "?") +
          "<br>Started " + when(c.created_at) + (c.satisfaction ? "<br>Rating " + "★".repeat(c.satisfaction) + " " + esc(c.satisfaction_comment || "") : "") + "</p>" +
          (t ? "<h2>Ticket #" + t.id + " " + pill(t.status) + "</h2><p class='muted'>Reason: " + esc(t.reason) + "</p><div class='row'>" +
            (t.status === "queued" ? "<button class='btn primary' id='take'>Take over</button>" : "") +
            "<button class='btn' id='return'>Hand back to bot</button><button class='btn' id='resolve'>Resolve</button></div>" : "<p class='muted'>No open handoff ticket.</p>");
        $("#composer").innerHTML = t ? "<form class='reply' id='reply'><textarea name='text' placeholder='" + (mine ? "Reply to the customer…" : "Replying takes over the conversation…") + "' required></textarea><button class='btn primary'>Send</button></form>" : "";
        var act = function (sel, path, msg) { var b = $(sel); if (b) b.onclick = function () { api("/tickets/" + t.id + path, { body: {} }).then(function () { toast(msg); load(); }).catch(fail); }; };
        act("#take", "/take", "You are now talking to the customer"); act("#return", "/return", "Handed back to the assistant"); act("#resolve", "/resolve", "Resolved");
        var f = $("#reply");
        if (f) {
          f.onsubmit = function (e) {
            e.preventDefault();
            var text = f.text.value.trim(); if (!text) return;
            api("/conversations/" + encodeURIComponent(id) + "/reply", { body: { text: text } }).then(function (r) { f.text.value = ""; add(r.message); if (!mine) load(); }).catch(fail);
          };
          f.text.onkeydown = function (e) { if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); f.requestSubmit(); } };
        }
      }).catch(fail);
    };
    load().then(function () {
      if (!window.EventSource) return;
      stream = new EventSource("/console/api/conversations/" + encodeURIComponent(id) + "/events");
      var on = function (e) { try { var d = JSON.parse(e.data); if (d.message) add(d.message); if (d.status) load(); } catch (err) { /* ping */ } };
      stream.addEventListener("message", on); stream.addEventListener("status", on);
    });
  }
  function wireMarks() {
    document.querySelectorAll(".mark").forEach(function (b) {
      b.onclick = function () {
        var box = b.parentNode;
        box.innerHTML = "<textarea rows='3' placeholder='The right answer…'></textarea><div class='row'><button class='btn primary small save'>Save correction</button><button class='btn small faq'>Save + add to FAQ</button></div>";
        var save = function (toFaq) {
          var text = box.querySelector("textarea").value.trim(); if (!text) return;
          api("/messages/" + b.dataset.id + "/correction", { body: { text: text } }).then(function (r) {
            return toFaq ? api("/corrections/" + r.correction.id + "/faq", { body: {} }).then(function () { return "Correction saved and added to the FAQ"; }) : "Correction saved";
          }).then(function (msg) { toast(msg); box.innerHTML = "<span class='muted'>✏️ " + esc(text) + "</span>"; }).catch(fail);
        };
        box.querySelector(".save").onclick = function () { save(false); };
        box.querySelector(".faq").onclick = function () { save(true); };
      };
    });
  }

  // ---- review ------------------------------------------------------------------------------
  function reviewView() {
    page("Review", "Answers agents marked wrong, with the right answer. Corrections are training data; add good ones to the FAQ with one click.", "<div class='card' id='corr'></div>");
    var load = function () {
      api("/corrections").then(function (r) {
        $("#corr").innerHTML = r.data.length ? "<table><tr><th>Customer asked</th><th>Bot answered</th><th>Correct answer</th><th></th></tr>" + r.data.map(function (c) {
          return "<tr><td>" + esc(c.question) + "<div><a href='#/conv/" + esc(c.conversation_id) + "'>open conversation</a></div></td><td class='muted'>" + esc(c.bot_answer) + "</td><td>" + esc(c.corrected_text) +
            "</td><td>" + (c.added_to_faq ? pill("in FAQ") : "<button class='btn primary small add' data-id='" + c.id + "'>Add to FAQ</button>") + "</td></tr>";
        }).join("") + "</table>" : "<div class='empty'>No corrections yet. Open a conversation and use “Mark wrong…” on an answer.</div>";
        $("#corr").querySelectorAll(".add").forEach(function (b) { b.onclick = function () { b.disabled = true; api("/corrections/" + b.dataset.id + "/faq", { body: {} }).then(function () { toast("Added to the FAQ"); load(); }).catch(function (e) { b.disabled = false; fail(e); }); }; });
      }).catch(fail);
    };
    load();
  }

  // ---- knowledge base ------------------------------------------------------------------------
  function kbView() {
    var admin = me.role === "admin";
    page("Knowledge base", "What the assistant answers from. Upload documents (PDF, Word, Markdown, HTML, text, CSV/XLSX FAQ tables), re-ingest changed files, and test retrieval.",
      "<div class='card'><h2>Search test</h2><form class='row' id='s'><input class='grow' name='q' placeholder='Ask what a customer would ask…' required><button class='btn primary'>Search</button></form><div id='hits'></div></div>" +
      (admin ? "<div class='card'><h2>Add documents</h2><form class='row' id='up'><input type='file' name='files' multiple required class='grow'><button class='btn primary'>Upload &amp; ingest</button><button type='button' class='btn' id='re'>Re-ingest all</button></form><p class='muted' id='upres'></p></div>" : "") +
      "<div class='card' id='docs'></div>");
    var load = function () {
      api("/kb").then(function (k) {
        var s = k.stats || {};
        $("#docs").innerHTML = "<h2>" + esc(k.name) + " · " + k.documents.length + " documents · " + esc(s.chunks != null ? s.chunks : "?") + " chunks · " + esc(s.faq_questions != null ? s.faq_questions : "?") + " FAQ questions</h2>" +
          "<table><tr><th>Document</th><th>Kind</th><th>Chunks</th><th>Added</th></tr>" + k.documents.map(function (d) {
            return "<tr><td title='" + esc(d.source) + "'>" + esc(d.name) + "</td><td>" + pill(d.kind) + "</td><td>" + d.chunks + "</td><td>" + when(d.added_at) + "</td></tr>";
          }).join("") + "</table>";
      }).catch(fail);
    };
    $("#s").onsubmit = function (e) {
      e.preventDefault();
      api("/kb/search?q=" + encodeURIComponent(e.target.q.value)).then(function (r) {
        $("#hits").innerHTML = (r.faq ? "<div class='hit'><b>FAQ match</b> (" + r.faq.score.toFixed(2) + ")<br>" + esc(r.faq.faq_answer || r.faq.text) + "</div>" : "") +
          (r.data.length ? r.data.map(function (h, i) { return "<div class='hit'><b>[" + (i + 1) + "]</b> <span class='cit'>" + esc(h.citation) + " · " + esc(h.reason) + " · " + h.score.toFixed(3) + "</span><br>" + esc(h.text) + "</div>"; }).join("") : "<div class='empty'>Nothing found.</div>");
      }).catch(fail);
    };
    if (admin) {
      $("#up").onsubmit = function (e) {
        e.preventDefault();
        var fd = new FormData(); Array.prototype.forEach.call(e.target.files.files, function (f) { fd.append("files", f); });
        $("#upres").textContent = "Ingesting…";
        api("/kb/upload", { form: fd }).then(function (r) { $("#upres").textContent = summary(r); e.target.reset(); load(); }).catch(function (err) { $("#upres").textContent = ""; fail(err); });
      };
      $("#re").onclick = function () {
        $("#upres").textContent = "Re-ingesting…";
        api("/kb/reingest", { body: {} }).then(function (r) { $("#upres").textContent = summary(r) + (r.missing.length ? " · missing files: " + r.missing.join(", ") : ""); load(); }).catch(fail);
      };
    }
    load();
  }
  function summary(r) {
    return "added " + r.added + ", replaced " + r.replaced + ", unchanged " + r.skipped + ", chunks " + r.chunks + ", errors " + r.errors.length +
      (r.errors.length ? " (" + r.errors.map(function (e) { return e.source + ": " + e.reason; }).join("; ") + ")" : "") + " · " + r.seconds + " s";
  }

  // ---- analytics (hand-drawn SVG: a few bars need no chart library) -------------------------
  function analyticsView() {
    page("Analytics", "Volume, resolution and handoff rates, feedback and the questions the assistant could not answer.",
      "<div class='row' style='margin-bottom:14px'><select id='days'><option value='7'>Last 7 days</option><option value='14' selected>Last 14 days</option><option value='30'>Last 30 days</option><option value='90'>Last 90 days</option></select></div><div id='an'></div>");
    var load = function () {
      api("/analytics?days=" + $("#days").value).then(function (a) {
        var s = a.summary, pct = function (x) { return Math.round(x * 100) + "%"; };
        $("#an").innerHTML = "<div class='stats'>" + [["Conversations", s.conversations], ["Customer messages", s.customer_messages], ["Resolution rate", pct(s.resolution_rate)],
          ["Handoff rate", pct(s.handoff_rate)], ["👍 / 👎", s.thumbs_up + " / " + s.thumbs_down], ["Satisfaction", s.avg_satisfaction != null ? s.avg_satisfaction.toFixed(1) + " / 5" : "–"]]
          .map(function (x) { return "<div class='stat'><b>" + esc(x[1]) + "</b><span>" + esc(x[0]) + "</span></div>"; }).join("") + "</div>" +
          "<div class='charts'><div class='card'><h2>Conversations per day</h2>" + columns(a.volume.map(function (d) { return [d.day.slice(5), d.conversations]; })) + "</div>" +
          "<div class='card'><h2>Feedback</h2>" + hbars([["👍 helpful", s.thumbs_up, "#059669"], ["👎 not helpful", s.thumbs_down, "#dc2626"]]) + "</div></div>" +
          "<div class='charts'><div class='card'><h2>Intents</h2>" + (a.intents.length ? hbars(a.intents.map(function (i) { return [i.intent, i.count, "#4f46e5"]; }), 640) : "<div class='empty'>No data.</div>") + "</div>" +
          "<div class='card'><h2>Top unanswered</h2>" + (a.unanswered.length ? "<table>" + a.unanswered.map(function (u) { return "<tr><td><a href='#/conv/" + esc(u.conversation_id) + "'>" + esc(u.text) + "</a></td><td>" + u.count + "×</td></tr>"; }).join("") + "</table>" : "<div class='empty'>Nothing unanswered.</div>") + "</div></div>";
      }).catch(fail);
    };
    $("#days").onchange = load;
    load();
  }
  function columns(data) {
    var w = 640, h = 200, pad = 24, max = Math.max(1, Math.max.apply(null, data.map(function (d) { return d[1]; })));
    var bw = (w - pad) / data.length;
    var bars = data.map(function (d, i) {
      var bh = (h - 40) * d[1] / max, x = pad + i * bw + bw * 0.15, y = h - 20 - bh;
      return "<rect x='" + x.toFixed(1) + "' y='" + y.toFixed(1) + "' width='" + (bw * 0.7).toFixed(1) + "' height='" + bh.toFixed(1) + "' rx='3' fill='#6366f1'><title>" + esc(d[0]) + ": " + d[1] + "</title></rect>" +
        (d[1] ? "<text x='" + (x + bw * 0.35).toFixed(1) + "' y='" + (y - 4).toFixed(1) + "' text-anchor='middle'>" + d[1] + "</text>" : "") +
        (data.length <= 16 || i % Math.ceil(data.length / 12) === 0 ? "<text x='" + (x + bw * 0.35).toFixed(1) + "' y='" + (h - 6) + "' text-anchor='middle'>" + esc(d[0]) + "</text>" : "");
    }).join("");
    return "<svg viewBox='0 0 " + w + " " + h + "' width='100%' role='img' aria-label='conversations per day'><line x1='" + pad + "' x2='" + w + "' y1='" + (h - 20) + "' y2='" + (h - 20) + "' stroke='#e5e7eb'/>" + bars + "</svg>";
  }
  function hbars(data, w) {  // w: viewBox width, about the column's width in px so text stays ~11px
    var max = Math.max(1, Math.max.apply(null, data.map(function (d) { return d[1]; }))), row = 26;
    w = w || 320;
    return "<svg viewBox='0 0 " + w + " " + data.length * row + "' width='100%' role='img'>" + data.map(function (d, i) {
      var bw = (w - 150) * d[1] / max;
      return "<text x='0' y='" + (i * row + 16) + "' style='font-size:11px'>" + esc(d[0]) + "</text><rect x='110' y='" + (i * row + 5) + "' width='" + Math.max(bw, 1).toFixed(1) + "' height='15' rx='3' fill='" + d[2] + "'/>" +
        "<text x='" + (114 + bw).toFixed(1) + "' y='" + (i * row + 16) + "'>" + d[1] + "</text>";
    }).join("") + "</svg>";
  }

  // ---- webhooks ------------------------------------------------------------------------------
  function webhooksView() {
    page("Webhooks", "Signed POSTs (X-Kefu-Signature: sha256=HMAC of the body) on handoff, feedback and closed conversations, retried with backoff.",
      "<div class='card'><h2>Add a webhook</h2><form class='row' id='wf'><input class='grow' name='url' type='url' placeholder='https://crm.example.com/kefu-hook' required><span id='evs'></span><button class='btn primary'>Add</button></form><div id='secret'></div></div><div class='card' id='wl'></div>");
    var load = function () {
      api("/webhooks").then(function (r) {
        $("#evs").innerHTML = $("#evs").innerHTML || r.events.map(function (e) { return "<label class='row' style='flex-direction:row'><input type='checkbox' name='ev' value='" + e + "' checked> " + e + "</label>"; }).join("");
        $("#wl").innerHTML = r.data.length ? "<table><tr><th>URL</th><th>Events</th><th>Secret</th><th>Added</th><th></th></tr>" + r.data.map(function (w) {
          return "<tr><td>" + esc(w.url) + "</td><td>" + w.events.map(pill).join(" ") + "</td><td><code>" + esc(w.secret_hint) + "</code></td><td>" + when(w.created_at) + "</td><td><button class='btn danger small del' data-id='" + w.id + "'>Delete</button></td></tr>";
        }).join("") + "</table>" : "<div class='empty'>No webhooks yet.</div>";
        $("#wl").querySelectorAll(".del").forEach(function (b) { b.onclick = function () { if (confirm("Delete this webhook?")) api("/webhooks/" + b.dataset.id, { method: "DELETE" }).then(load).catch(fail); }; });
      }).catch(fail);
    };
    $("#wf").onsubmit = function (e) {
      e.preventDefault();
      var evs = Array.prototype.map.call(document.querySelectorAll("input[name=ev]:checked"), function (c) { return c.value; });
      api("/webhooks", { body: { url: e.target.url.value, events: evs } }).then(function (r) {
        $("#secret").innerHTML = "<p>Signing secret (shown once — store it in the receiver):</p><div class='secret'>" + esc(r.webhook.secret) + "</div>";
        e.target.url.value = ""; load();
      }).catch(fail);
    };
    load();
  }

  // ---- agents (admin) ---------------------------------------------------------------------------
  function agentsView() {
    page("Agents", "Console accounts. Agents answer customers and review answers; admins also manage the knowledge base, webhooks and accounts.",
      "<div class='card'><h2>Add an account</h2><form class='row' id='af'><input name='username' placeholder='username' required minlength='2'>" +
      "<input name='display_name' placeholder='display name'><input name='password' type='password' placeholder='password (8+ characters)' required minlength='8'>" +
      "<select name='role'><option>agent</option><option>admin</option></select><button class='btn primary'>Add</button></form></div><div class='card' id='al'></div>");
    var load = function () {
      api("/agents").then(function (r) {
        $("#al").innerHTML = "<table><tr><th>Username</th><th>Name</th><th>Role</th><th>Active</th><th>Last login</th></tr>" + r.data.map(function (a) {
          return "<tr><td>" + esc(a.username) + "</td><td>" + esc(a.display_name || "") + "</td><td>" + pill(a.role) + "</td><td>" + (a.active ? "yes" : "no") + "</td><td>" + when(a.last_login_at) + "</td></tr>";
        }).join("") + "</table>";
      }).catch(fail);
    };
    $("#af").onsubmit = function (e) {
      e.preventDefault();
      var f = e.target;
      api("/agents", { body: { username: f.username.value, password: f.password.value, role: f.role.value, display_name: f.display_name.value || null } })
        .then(function () { toast("Account added"); f.reset(); load(); }).catch(fail);
    };
    load();
  }

  api("/me").then(function (r) { showApp(r.agent); }).catch(function () { showLogin(); });
})();
