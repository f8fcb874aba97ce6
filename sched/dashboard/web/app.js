"use strict";
// The dashboard page: it draws each snapshot the server pushes.
(function () {
  // Red is kept for failures.
  const palette = ["#3b7dd8", "#e08a2c", "#2f9e6e", "#9b59b6", "#17a2b8", "#e7b416",
    "#8c6d3f", "#e75fa8", "#6c7a89", "#5b4fc4"];
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
  function fmtSecs(s) {
    if (s >= 1) return s.toFixed(1) + " s";
    if (s >= 0.001) return (s * 1000).toPrecision(2) + " ms";
    return s > 0 ? (s * 1e6).toFixed(0) + " µs" : "0 s";
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
    const extra = (s.stream.rows || []).map((name, i) => ({ id: workers.length + i, name: name }));
    const stages = s.stream.stages || [];
    const open = s.stream.open_stages || [];
    // With stages, a row shows them above a thin strip of the task bars.
    const staged = stages.length > 0 || open.length > 0;
    const nRows = workers.length + extra.length;
    const rowH = Math.max(6, Math.min(staged ? 30 : 18, Math.floor(360 / Math.max(1, nRows))));
    const taskH = staged ? Math.max(2, Math.round(rowH * 0.22)) : rowH - 3;
    const stageH = rowH - 3 - (staged ? taskH + 1 : 0);
    const labelW = 92, axisH = 18;
    const groups = [["cpu", cpu], ["dev", dev], ["extra", extra]].filter((g) => g[1].length);
    const groupGap = 10;
    const h = nRows * rowH + groupGap * (groups.length - 1) + axisH + 4;
    const [ctx, w] = sizeCanvas(cv, h);
    const plotW = w - labelW - 6;
    // Early on, stretch the short history over the whole width.
    const winS = Math.min(s.stream.window_s, Math.max(10, Math.ceil(s.uptime_s * 1.1)));
    const win = winS * 1000;
    const row = new Map();
    let y = 2;
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    const bg = { cpu: "#f3f5f8", dev: "#fbf4ea", extra: "#eef6f1" };
    groups.forEach(([group, ws], gi) => {
      if (gi) y += groupGap;
      for (const wk of ws) {
        row.set(wk.id, y);
        ctx.fillStyle = bg[group];
        ctx.fillRect(labelW, y, plotW, rowH - 1);
        if (rowH >= 9) {
          ctx.fillStyle = "#6b7385";
          const name = group === "cpu" ? "cpu " + wk.id : group === "dev" ?
            (wk.device || wk.kind) + " (" + wk.id + ")" : wk.name;
          ctx.fillText(name, 4, y + rowH / 2);
        }
        y += rowH;
      }
    });
    const names = s.stream.kind_names;
    const xOf = (ms) => labelW + plotW * (1 + Math.max(ms, -win) / win);
    const bar = (sp, top, hh) => {
      const ry = row.get(sp[0]);
      if (ry === undefined || sp[3] < -win) return;
      const x0 = xOf(sp[2]), x1 = xOf(sp[3]);
      ctx.fillStyle = sp[4] ? "#d64545" : colour(names[sp[1]]);
      ctx.fillRect(x0, ry + top, Math.max(1, x1 - x0), hh);
    };
    const taskTop = staged ? rowH - 2 - taskH : 1;
    for (const sp of s.stream.spans) bar(sp, taskTop, taskH);
    drawStages(ctx, stages, s, row, labelW, plotW, win, stageH);
    // Running tasks and stages, drawn up to now.
    ctx.globalAlpha = 0.55;
    for (const wk of workers) {
      if (!wk.current_kind) continue;
      const ry = row.get(wk.id);
      const x0 = labelW + plotW * (1 - Math.min(win, wk.running_for_s * 1000) / win);
      ctx.fillStyle = colour(wk.current_kind);
      ctx.fillRect(x0, ry + taskTop, Math.max(1, labelW + plotW - x0), taskH);
    }
    for (const op of open) {
      const ry = row.get(op[0]);
      if (ry === undefined) continue;
      const x0 = xOf(op[2]);
      ctx.fillStyle = colour(names[op[1]]);
      ctx.fillRect(x0, ry + 1, Math.max(1, labelW + plotW - x0), stageH);
    }
    ctx.globalAlpha = 1;
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
    cv.dataset.stages = String(stages.length);
    $("stream-note").textContent = "last " + winS + " s · " + s.stream.tasks + " tasks" +
      (staged ? " · stages above, tasks in the thin strip" : "") +
      (s.stream.truncated ? " (oldest left out)" : "");
  }

  // drawStages adds up, per row and pixel column, the time each stage kind
  // took there (an entry covering start..end with busy µs spreads its
  // share evenly), and stacks the kinds in legend order, each as tall as
  // its share of the column's time: a long stage is a solid bar, stages
  // shorter than a pixel become bands as thick as their share.
  function drawStages(ctx, stages, s, row, labelW, plotW, win, stageH) {
    const names = s.stream.kind_names;
    const K = names.length;
    const cols = Math.max(1, Math.floor(plotW));
    const colMs = win / cols, colW = plotW / cols;
    const acc = new Map();
    for (const sp of stages) {
      if (!row.has(sp[0]) || sp[3] < -win) continue;
      let a = acc.get(sp[0]);
      if (!a) { a = new Float64Array(cols * K); acc.set(sp[0], a); }
      const busy = sp[4] / 1000, dur = sp[3] - sp[2];
      const t0 = Math.max(sp[2], -win) + win, t1 = sp[3] + win;
      if (dur <= 0) {
        a[Math.min(cols - 1, Math.floor(t0 / colMs)) * K + sp[1]] += busy;
        continue;
      }
      const f = Math.min(1, busy / dur);
      const c1 = Math.min(cols - 1, Math.floor(t1 / colMs));
      for (let c = Math.floor(t0 / colMs); c <= c1; c++) {
        const ov = Math.min(t1, (c + 1) * colMs) - Math.max(t0, c * colMs);
        if (ov > 0) a[c * K + sp[1]] += ov * f;
      }
    }
    const order = [];
    for (const k of s.stages || []) {
      const i = names.indexOf(k.kind);
      if (i >= 0) order.push(i);
    }
    for (let i = 0; i < K; i++) if (!order.includes(i)) order.push(i);
    const fills = order.map((i) => colour(names[i]));
    for (const [r, a] of acc) {
      const bottom = row.get(r) + 1 + stageH;
      for (let c = 0; c < cols; c++) {
        let y = bottom;
        for (let j = 0; j < order.length; j++) {
          const v = a[c * K + order[j]];
          if (v <= 0) continue;
          const hh = Math.min(y - (bottom - stageH), stageH * Math.min(1, v / colMs));
          if (hh <= 0) break;
          ctx.fillStyle = fills[j];
          ctx.fillRect(labelW + c * colW, y - hh, colW + 0.4, hh);
          y -= hh;
        }
      }
    }
  }

  function drawLegend(s) {
    const item = (k, attr) => '<span ' + attr + '="' + esc(k) + '"><i class="swatch" style="background:' +
      colour(k) + '"></i>' + esc(k) + "</span>";
    const stages = s.stages || [];
    $("legend").innerHTML = (stages.length ? '<b>tasks</b>' : "") +
      s.kinds.map((k) => item(k.kind, "data-kind")).join("") +
      '<span><i class="swatch" style="background:#d64545"></i>failed</span>' +
      (stages.length ? '<b>stages</b>' + stages.map((k) => item(k.kind, "data-stage")).join("") : "");
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
    for (const k of s.stages || []) {
      const total = k.total || k.done + k.running;
      const pct = (n) => (100 * n / Math.max(1, total)).toFixed(2) + "%";
      const c = colour(k.kind);
      rows.push('<tr class="stage" data-stage="' + esc(k.kind) + '" data-done="' + k.done + '" data-running="' +
        k.running + '" data-total="' + k.total + '">' +
        '<td><i class="swatch" style="background:' + c + '"></i>' + esc(k.kind) + ' <small class="muted">stage · ' + fmtSecs(k.busy_s) + "</small></td>" +
        '<td><div class="bar">' +
        '<span style="width:' + pct(k.done) + ';background:' + c + '"></span>' +
        '<span style="width:' + pct(k.running) + ';background:' + c + ';opacity:.55"></span>' +
        "</div></td>" +
        '<td class="num">' + k.done + (k.total ? " / " + k.total : "") + "</td>" +
        '<td class="num">–</td>' +
        '<td class="num">' + fmtRate(k.rate) + "</td>" +
        '<td class="num">' + (k.eta_s === 0 ? "done" : fmtDur(k.eta_s)) + "</td></tr>");
    }
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
    (s.stages || []).forEach((k) => colour(k.kind));
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
