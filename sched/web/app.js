"use strict";
// The dashboard page: it draws each snapshot the server pushes.
(function () {
  const palette = ["#3b7dd8", "#e08a2c", "#2f9e6e", "#9b59b6", "#d64545", "#17a2b8",
    "#8c6d3f", "#e75fa8", "#6c7a89", "#b5b82b"];
  const colours = new Map();
  function colour(kind) {
    if (!colours.has(kind)) colours.set(kind, palette[colours.size % palette.length]);
    return colours.get(kind);
  }
  const $ = (id) => document.getElementById(id);
  let updates = 0;

  function fmtBytes(n) {
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (Math.abs(n) >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : n.toFixed(0)) + " " + u[i];
  }
  function fmtDur(s) {
    if (s < 0) return "–";
    if (s < 1) return "<1 s";
    if (s < 90) return s.toFixed(0) + " s";
    if (s < 5400) return (s / 60).toFixed(1) + " min";
    return (s / 3600).toFixed(1) + " h";
  }
  function fmtRate(r) { return r >= 100 ? r.toFixed(0) + "/s" : r.toFixed(1) + "/s"; }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function sizeCanvas(cv, h) {
    const dpr = window.devicePixelRatio || 1;
    const w = cv.clientWidth || 600;
    if (cv.width !== Math.round(w * dpr) || cv.height !== Math.round(h * dpr)) {
      cv.width = Math.round(w * dpr);
      cv.height = Math.round(h * dpr);
      cv.style.height = h + "px";
    }
    const ctx = cv.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    return [ctx, w];
  }

  function drawStream(s) {
    const cv = $("stream");
    const workers = s.workers;
    const cpu = workers.filter((w) => w.kind === "cpu");
    const dev = workers.filter((w) => w.kind !== "cpu");
    const rowH = Math.max(6, Math.min(18, Math.floor(360 / Math.max(1, workers.length))));
    const labelW = 92, axisH = 18, groupGap = dev.length && cpu.length ? 10 : 0;
    const h = workers.length * rowH + groupGap + axisH + 4;
    const [ctx, w] = sizeCanvas(cv, h);
    const plotW = w - labelW - 6;
    // Early on, stretch the short history over the whole width.
    const winS = Math.min(s.stream.window_s, Math.max(10, Math.ceil(s.uptime_s * 1.1)));
    const win = winS * 1000;
    const row = new Map();
    let y = 2;
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    for (const [group, ws] of [["cpu", cpu], ["dev", dev]]) {
      for (const wk of ws) {
        row.set(wk.id, y);
        ctx.fillStyle = group === "cpu" ? "#f3f5f8" : "#fbf4ea";
        ctx.fillRect(labelW, y, plotW, rowH - 1);
        if (rowH >= 9) {
          ctx.fillStyle = "#6b7385";
          const name = group === "cpu" ? "cpu " + wk.id : (wk.device || wk.kind) + " (" + wk.id + ")";
          ctx.fillText(name, 4, y + rowH / 2);
        }
        y += rowH;
      }
      if (group === "cpu") y += groupGap;
    }
    const names = s.stream.kind_names;
    for (const sp of s.stream.spans) {
      const ry = row.get(sp[0]);
      if (ry === undefined) continue;
      if (sp[3] < -win) continue;
      const x0 = labelW + plotW * (1 + Math.max(sp[2], -win) / win);
      const x1 = labelW + plotW * (1 + sp[3] / win);
      ctx.fillStyle = sp[4] ? "#d64545" : colour(names[sp[1]]);
      ctx.fillRect(x0, ry + 1, Math.max(1, x1 - x0), rowH - 3);
    }
    // Running tasks, drawn up to now.
    for (const wk of workers) {
      if (!wk.current_kind) continue;
      const ry = row.get(wk.id);
      const x0 = labelW + plotW * (1 - Math.min(win, wk.running_for_s * 1000) / win);
      ctx.fillStyle = colour(wk.current_kind);
      ctx.globalAlpha = 0.55;
      ctx.fillRect(x0, ry + 1, Math.max(1, labelW + plotW - x0), rowH - 3);
      ctx.globalAlpha = 1;
    }
    ctx.fillStyle = "#6b7385";
    ctx.textBaseline = "top";
    const step = winS > 30 ? 10 : winS > 12 ? 5 : 2;
    for (let t = 0; t <= winS; t += step) {
      const x = labelW + plotW * (1 - t / winS);
      ctx.fillRect(x, y + 1, 1, 4);
      ctx.fillText(t === 0 ? "now" : "-" + t + " s", Math.min(x - 8, w - 26), y + 5);
    }
    cv.dataset.spans = String(s.stream.spans.length);
    cv.dataset.tasks = String(s.stream.tasks);
    $("stream-note").textContent = "last " + winS + " s · " + s.stream.tasks + " tasks" +
      (s.stream.truncated ? " (oldest left out)" : "");
  }

  function drawLegend(s) {
    $("legend").innerHTML = s.kinds.map((k) =>
      '<span><i class="swatch" style="background:' + colour(k.kind) + '"></i>' + esc(k.kind) + "</span>").join("") +
      '<span><i class="swatch" style="background:#d64545"></i>failed</span>';
  }

  function drawProgress(s) {
    const rows = s.kinds.map((k) => {
      const total = Math.max(1, k.planned + k.submitted);
      const pct = (n) => (100 * n / total).toFixed(2) + "%";
      const c = colour(k.kind);
      return '<tr data-kind="' + esc(k.kind) + '" data-done="' + k.done + '" data-running="' + k.running +
        '" data-waiting="' + k.waiting + '" data-planned="' + k.planned + '" data-failed="' + k.failed + '">' +
        '<td><i class="swatch" style="background:' + c + '"></i>' + esc(k.kind) + "</td>" +
        '<td><div class="bar">' +
        '<span style="width:' + pct(k.done) + ';background:' + c + '"></span>' +
        '<span style="width:' + pct(k.failed) + ';background:#d64545"></span>' +
        '<span style="width:' + pct(k.running) + ';background:' + c + ';opacity:.55"></span>' +
        '<span style="width:' + pct(k.waiting) + ';background:' + c + ';opacity:.25"></span>' +
        '<span style="width:' + pct(k.planned) + ';background:#c9cfdb;opacity:.5"></span>' +
        "</div></td>" +
        '<td class="num">' + k.done + " / " + (k.planned + k.submitted) + "</td>" +
        '<td class="num">' + k.failed + (k.retried ? " (" + k.retried + " retried)" : "") + "</td>" +
        '<td class="num">' + fmtRate(k.rate) + "</td>" +
        '<td class="num">' + (k.eta_s === 0 ? "done" : fmtDur(k.eta_s)) + "</td></tr>";
    });
    $("progress").tBodies[0].innerHTML = rows.join("");
    const total = s.kinds.reduce((a, k) => a + k.planned + k.submitted, 0);
    $("graph-summary").textContent = total + " tasks in " + s.kinds.length + " kind" + (s.kinds.length === 1 ? "" : "s");
  }

  function drawWorkers(s) {
    $("workers").tBodies[0].innerHTML = s.workers.map((w) => {
      const name = w.kind === "cpu" ? "cpu " + w.id : esc(w.device || w.kind) + " (" + w.id + ")";
      const pct = (100 * w.busy_fraction).toFixed(0);
      return '<tr data-worker="' + w.id + '" data-tasks="' + w.tasks + '"><td>' + name + "</td>" +
        '<td><div class="bar"><span style="width:' + pct + '%;background:' + (w.kind === "cpu" ? "#3b7dd8" : "#e08a2c") +
        '"></span></div></td><td class="num">' + w.tasks + '</td><td class="num">' + w.failed + "</td>" +
        '<td class="current">' + (w.current_kind ? esc(w.current_kind) + (w.current ? " · " + esc(w.current) : "") : "idle") +
        "</td></tr>";
    }).join("");
  }

  function drawLines(cv, series, h, fmt) {
    const [ctx, w] = sizeCanvas(cv, h);
    let t0 = Infinity, t1 = -Infinity, hi = 0;
    for (const sr of series) for (const p of sr.points) {
      t0 = Math.min(t0, p[0]); t1 = Math.max(t1, p[0]); hi = Math.max(hi, p[1]);
    }
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#6b7385";
    if (!isFinite(t0) || t1 === t0) { ctx.fillText("collecting…", 8, 16); return; }
    hi = hi * 1.1 || 1;
    const left = 64, bottom = h - 16;
    ctx.textBaseline = "middle";
    for (let i = 0; i <= 2; i++) {
      const v = hi * i / 2, yy = bottom - (bottom - 6) * i / 2;
      ctx.fillText(fmt(v), 2, yy);
      ctx.fillRect(left, yy, w - left, 0.5);
    }
    ctx.textBaseline = "top";
    ctx.fillText("-" + Math.round((t1 - t0) / 1000) + " s", left, bottom + 3);
    ctx.fillText("now", w - 24, bottom + 3);
    for (const sr of series) {
      ctx.strokeStyle = sr.colour;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      sr.points.forEach((p, i) => {
        const x = left + (w - left - 4) * (p[0] - t0) / (t1 - t0);
        const yy = bottom - (bottom - 6) * p[1] / hi;
        if (i) ctx.lineTo(x, yy); else ctx.moveTo(x, yy);
      });
      ctx.stroke();
    }
  }

  function drawMemory(s) {
    const m = s.memory;
    drawLines($("memory"), [
      { colour: "#3b7dd8", points: m.history.map((p) => [p[0], p[1]]) },
      { colour: "#2f9e6e", points: m.history.map((p) => [p[0], p[2]]) },
    ], 140, fmtBytes);
    $("mem-now").innerHTML = '<i class="swatch" style="background:#3b7dd8"></i>RSS ' + fmtBytes(m.rss_bytes) +
      ' <i class="swatch" style="background:#2f9e6e"></i>Go heap ' + fmtBytes(m.heap_bytes);
    const box = $("gauges");
    for (const g of s.gauges) {
      let el = box.querySelector('[data-gauge="' + CSS.escape(g.name) + '"]');
      if (!el) {
        el = document.createElement("div");
        el.dataset.gauge = g.name;
        el.innerHTML = '<span class="gauge"></span><canvas height="80"></canvas>';
        box.appendChild(el);
      }
      const bytes = g.name.endsWith("_bytes");
      const f = bytes ? fmtBytes : (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
      el.dataset.value = String(g.value);
      el.querySelector(".gauge").innerHTML = esc(g.help || g.name) + ": <b>" + f(g.value) + "</b>";
      drawLines(el.querySelector("canvas"), [{ colour: "#9b59b6", points: g.history }], 80, f);
    }
  }

  function drawFailures(s) {
    $("fail-count").textContent = s.failures.length ? "latest " + s.failures.length : "";
    $("failures").innerHTML = s.failures.length ? s.failures.slice().reverse().map((f) =>
      "<li><b>" + esc(f.name || "#" + f.task_id) + "</b> (" + esc(f.kind) + ") at " +
      new Date(f.time).toLocaleTimeString() + "<pre>" + esc(f.error) + "</pre></li>").join("")
      : '<li class="none">none</li>';
  }

  function render(s) {
    s.kinds.forEach((k) => colour(k.kind));
    $("summary").textContent = "up " + fmtDur(s.uptime_s) + " · " + s.workers.length + " workers · " +
      s.running + " running · " + s.queued + " queued" +
      (s.max_pending ? " · pending " + s.pending + "/" + s.max_pending : "");
    drawLegend(s);
    drawStream(s);
    drawProgress(s);
    drawWorkers(s);
    drawMemory(s);
    drawFailures(s);
    updates++;
    document.body.dataset.updates = String(updates);
  }

  function setConn(state, text) {
    const el = $("conn");
    el.dataset.state = state;
    el.textContent = text;
  }

  function connect() {
    const es = new EventSource("/api/events");
    es.addEventListener("status", (e) => {
      setConn("live", "live");
      try { render(JSON.parse(e.data)); } catch (err) { console.error(err); }
    });
    es.onerror = () => setConn("lost", "reconnecting…");
  }
  connect();
})();
