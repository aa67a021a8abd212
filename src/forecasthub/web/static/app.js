// forecasthub dashboard: plain JS over /api/v1/dashboard/* and /api/v1/jobs.
// Every piece of data reaches the page through textContent or attribute setters (never as HTML),
// and no data is given to Plotly as text (titles are HTML headings set with textContent).
"use strict";

(() => {
  const TOKEN_KEY = "forecasthub.token";
  const POLL_MS = 4000;
  const API = "/api/v1";
  const COLORS = {history: "#334155", band: "rgba(37, 99, 235, 0.18)", p50: "#2563eb",
                  mean: "#ea580c", backtest: "#7c3aed", backtestBand: "rgba(124, 58, 237, 0.12)",
                  actual: "#0f766e"};

  const state = {
    summary: null, stamp: null, view: "data", jobs: [],
    explorer: {forecast: null, q: "", offset: 0, limit: 20, key: null, seq: 0},
    aggregate: {forecast: null, by: null, value: "", seq: 0},
    accuracyFor: null, timer: null, busy: false,
    runs: {group: "", list: [], available: true, selected: null},
    models: null,
    monitoring: {monitor: null, metric: null, last: null, data: null},
  };

  // -- DOM helpers ------------------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = String(v);
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(el.dataset, v);
      else if (k === "style") Object.assign(el.style, v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

  function fmtTime(epoch) {
    if (epoch === null || epoch === undefined) return "";
    return new Date(epoch * 1000).toLocaleString();
  }
  function fmtDate(iso) { return iso ? String(iso).slice(0, 10) : ""; }
  function fmtNum(x, digits) {
    if (x === null || x === undefined || x === "") return "";
    const n = Number(x);
    if (!Number.isFinite(n)) return String(x);
    if (digits !== undefined) return n.toFixed(digits);
    return Math.abs(n) >= 1000 ? n.toLocaleString(undefined, {maximumFractionDigits: 0})
      : n.toLocaleString(undefined, {maximumFractionDigits: 3});
  }
  function fmtDuration(sec) {
    if (sec === null || sec === undefined) return "";
    if (sec < 10) return `${Math.round(sec * 10) / 10} s`;
    if (sec < 60) return `${Math.round(sec)} s`;
    if (sec < 3600) return `${Math.round(sec / 60)} min`;
    return `${(sec / 3600).toFixed(1)} h`;
  }
  function shortArn(arn) { return String(arn || "").split("/").slice(1).join("/") || String(arn || ""); }
  function fmtWhen(v) { return typeof v === "number" ? fmtTime(v) : (v ?? ""); }  // epoch or as given
  function isoOf(epoch) { return new Date(epoch * 1000).toISOString(); }
  function fmtDay(epoch) { return epoch === null || epoch === undefined ? "" : isoOf(epoch).slice(0, 10); }

  function badge(status) {
    const s = String(status || "");
    let cls = "badge";
    if (/STOPPED|CANCELLED|SKIPPED/.test(s)) cls += " off";
    else if (/ACTIVE|SUCCEEDED|SUCCESS|Approved/.test(s)) cls += " ok";
    else if (/FAILED|FAILURE|Rejected/.test(s)) cls += " bad";
    else if (/PROGRESS|RUNNING|PENDING|STOPPING|Pending/.test(s)) cls += " busy";
    return h("span", {class: cls, text: s});
  }

  // "Cold start: N items served by <Model> (weights ...)" for a ColdStart record, or hidden
  function showColdStart(el, cs) {
    el.hidden = !cs;
    if (!cs) { el.textContent = ""; return; }
    const n = `${fmtNum(cs.Items)} item${cs.Items === 1 ? "" : "s"}`;
    const weights = Object.entries(cs.Weights || {}).map(([m, w]) => `${m} ${fmtNum(w, 2)}`).join(", ");
    el.textContent = cs.Model ? `Cold start: ${n} served by ${cs.Model}` + (weights ? ` (weights ${weights})` : "")
      : `Cold start: ${n} without a forecast` + (cs.Reason ? ` (${cs.Reason})` : "");
  }

  function progressBar(job) {
    if (!job || !["RUNNING", "PENDING"].includes(job.State)) return null;
    const total = Number(job.Total) || 0, done = Number(job.Done) || 0;
    const pct = total > 0 ? Math.min(100, Math.round(100 * done / total)) : 0;
    const label = [job.Stage || job.State, total ? `${done}/${total}` : "",
                   job.EtaSeconds ? `~${fmtDuration(job.EtaSeconds)} left` : ""].filter(Boolean).join(" · ");
    return h("div", {class: "progress", title: label},
      h("div", {class: "bar"}, h("span", {style: {width: `${pct}%`}})),
      h("div", {class: "small muted", text: label}));
  }

  function table(columns, rows, opts) {
    opts = opts || {};
    const thead = h("thead", {}, h("tr", {}, columns.map((c) => h("th", {class: c.num ? "num" : "", text: c.label}))));
    const tbody = h("tbody");
    for (const row of rows) {
      const tr = h("tr", {class: opts.rowClass ? opts.rowClass(row) : ""});
      if (opts.onclick) { tr.classList.add("clickable"); tr.addEventListener("click", () => opts.onclick(row)); }
      for (const c of columns) {
        const v = c.get(row);
        tr.append(h("td", {class: c.num ? "num" : ""}, v instanceof Node ? v : (v === null || v === undefined ? "" : String(v))));
      }
      tbody.append(tr);
    }
    return h("div", {class: "table-wrap"}, h("table", {class: opts.class || ""}, thead, tbody));
  }

  function empty(text) { return h("p", {class: "muted empty", text}); }

  // Any JSON value as DOM (for step and output members whose keys are not known in advance):
  // lists of objects become small tables, objects definition lists, ARNs short with the full title.
  function valueNode(key, v, depth) {
    if (v === null || v === undefined || v === "") return h("span", {class: "muted", text: "—"});
    if (Array.isArray(v)) {
      if (!v.length) return h("span", {class: "muted", text: "none"});
      if (depth < 2 && v.every((x) => x && typeof x === "object" && !Array.isArray(x))) {
        const keys = [...new Set(v.flatMap((x) => Object.keys(x)))];
        return table(keys.map((k) => ({label: k, get: (x) => valueNode(k, x[k], depth + 1)})), v, {class: "compact mini"});
      }
      return h("ul", {class: "values"}, v.map((x) => h("li", {}, valueNode(key, x, depth + 1))));
    }
    if (typeof v === "object") return depth < 3 ? fields(v, depth + 1) : h("code", {text: JSON.stringify(v)});
    if (typeof v === "number") return h("span", {text: /Time$/.test(key) ? fmtTime(v) : fmtNum(v)});
    if (typeof v === "boolean") return h("span", {text: v ? "yes" : "no"});
    const text = String(v);
    if (text.startsWith("arn:")) return h("span", {class: "arn", title: text, text: shortArn(text)});
    return h("span", {class: /error/i.test(key) ? "error" : "", text});
  }

  function fields(obj, depth, skip, errorKeys) {
    const dl = h("dl", {class: "fields"});
    for (const [k, v] of Object.entries(obj || {})) {
      if (skip && skip.includes(k)) continue;
      dl.append(h("dt", {text: k}), h("dd", {class: errorKeys && errorKeys.includes(k) ? "error" : ""}, valueNode(k, v, depth)));
    }
    return dl.childNodes.length ? dl : "";
  }

  // -- API --------------------------------------------------------------------------------------
  class AuthNeeded extends Error {}

  async function api(path, params) {
    const url = new URL(API + path, window.location.origin);
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== null && v !== undefined && v !== "") url.searchParams.set(k, v);
    }
    const headers = {"Accept": "application/json"};
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers["Authorization"] = `Bearer ${token}`;
    const res = await fetch(url, {headers, credentials: "same-origin", cache: "no-store"});
    if (res.status === 401) throw new AuthNeeded("credentials required");
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
      const msg = body && body.message ? body.message : `${res.status} ${res.statusText}`;
      throw new Error(msg);
    }
    return body;
  }

  function showError(err) {
    if (err instanceof AuthNeeded) { showLogin(); return; }
    const b = $("banner");
    b.textContent = String(err && err.message ? err.message : err);
    b.hidden = false;
  }
  function clearError() { $("banner").hidden = true; }

  function showLogin(message) {
    stopPolling();
    $("login").hidden = false;
    $("main").hidden = true;
    const e = $("login-error");
    e.hidden = !message;
    e.textContent = message || "";
    $("token").focus();
  }

  // -- data refresh -----------------------------------------------------------------------------
  async function refreshAll() {
    const [summary, jobs] = await Promise.all([api("/dashboard/summary"), api("/jobs", {limit: 50})]);
    state.summary = summary;
    state.jobs = jobs.Jobs || [];
    $("login").hidden = true;
    $("main").hidden = false;
    $("signout").hidden = !sessionStorage.getItem(TOKEN_KEY);
    renderData();
    renderPredictors();
    renderJobs();
    syncForecastSelects();
    syncRunGroups();
    $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  }

  async function poll() {
    if (state.busy || document.hidden) return;
    state.busy = true;
    try {
      const s = await api("/dashboard/stamp");
      const live = s.LiveJobs + (s.LiveRuns || 0);
      $("live").classList.toggle("running", live > 0);
      $("live").title = live > 0 ? `${s.LiveJobs} job(s), ${s.LiveRuns || 0} pipeline run(s) running; refreshing`
        : "auto refresh on";
      if (s.Stamp !== state.stamp) {
        const first = state.stamp === null;
        state.stamp = s.Stamp;
        if (!first) {
          await refreshAll();
          if (state.view === "explorer" && state.explorer.key) await loadSeries(false);
          if (state.view === "aggregate") await loadAggregate(false);
          if (state.accuracyFor) await loadAccuracy(state.accuracyFor, false);
          if (state.view === "runs") await loadRuns();
          if (state.view === "models") await loadModels();
        }
      }
      clearError();
      // monitor evaluations are not in the stamp: re-read them each tick while they are shown
      if (state.view === "monitoring") await loadMonitoring(false);
    } catch (err) {
      showError(err);
    } finally {
      state.busy = false;
    }
  }

  function startPolling() {
    stopPolling();
    state.timer = setInterval(poll, POLL_MS);
  }
  function stopPolling() { if (state.timer) clearInterval(state.timer); state.timer = null; }

  // -- views ------------------------------------------------------------------------------------
  function setView(view) {
    const views = ["data", "predictors", "explorer", "aggregate", "jobs", "runs", "models", "monitoring"];
    if (!views.includes(view)) view = "data";
    state.view = view;
    for (const v of views) $(`view-${v}`).hidden = v !== view;
    for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.view === view);
    if (view === "explorer") { ensureExplorer(); resizePlots(); }
    if (view === "aggregate") { ensureAggregate(); resizePlots(); }
    if (view === "runs") loadRuns();
    if (view === "models") loadModels();
    if (view === "monitoring") { loadMonitoring(true); resizePlots(); }
  }

  function resizePlots() {
    if (!window.Plotly) return;
    for (const id of ["ex-plot", "ag-plot", "mon-plot"]) {
      const el = $(id);
      if (el && el.data) window.Plotly.Plots.resize(el);
    }
  }

  // Data: dataset groups, datasets and their statistics
  function renderData() {
    const s = state.summary;
    const tiles = clear($("tiles"));
    for (const [label, n] of [["Dataset groups", s.Totals.DatasetGroups], ["Datasets", s.Totals.Datasets],
                              ["Predictors", s.Totals.Predictors], ["Forecasts", s.Totals.Forecasts]]) {
      tiles.append(h("div", {class: "tile"}, h("div", {class: "n", text: fmtNum(n)}), h("div", {class: "muted", text: label})));
    }
    const root = clear($("groups"));
    if (!s.DatasetGroups.length && !s.UngroupedDatasets.length) {
      root.append(h("div", {class: "card"}, empty("No dataset groups yet. Try `forecasthub demo`, or create one with the CLI, the API or boto3.")));
      return;
    }
    for (const g of s.DatasetGroups) {
      const predictors = s.Predictors.filter((p) => p.DatasetGroup === g.Name);
      const forecasts = s.Forecasts.filter((f) => f.DatasetGroup === g.Name);
      root.append(h("div", {class: "card group", "data-group": g.Name},
        h("div", {class: "card-head"},
          h("h2", {class: "group-name", text: g.Name}),
          h("span", {class: "pill", text: g.Domain}), badge(g.Status),
          h("span", {class: "muted small right", text: `created ${fmtTime(g.Created)}`})),
        h("div", {class: "small muted",
          text: `${predictors.length} predictor(s) · ${forecasts.length} forecast(s)`}),
        datasetsTable(g.Datasets)));
    }
    if (s.UngroupedDatasets.length) {
      root.append(h("div", {class: "card"}, h("h2", {text: "Datasets in no group"}), datasetsTable(s.UngroupedDatasets)));
    }
  }

  function datasetsTable(datasets) {
    if (!datasets.length) return empty("No datasets in this group.");
    const wrap = h("div");
    wrap.append(table([
      {label: "Dataset", get: (d) => d.Name},
      {label: "Type", get: (d) => d.Type.replace(/_/g, " ").toLowerCase()},
      {label: "Status", get: (d) => badge(d.Status)},
      {label: "Freq.", get: (d) => d.Frequency || ""},
      {label: "Series", num: true, get: (d) => d.Version ? fmtNum(d.Version.SeriesCount) : ""},
      {label: "Rows", num: true, get: (d) => d.Version ? fmtNum(d.Version.Rows) : ""},
      {label: "From", get: (d) => d.Version ? fmtDate(d.Version.FirstTimestamp) : ""},
      {label: "To", get: (d) => d.Version ? fmtDate(d.Version.LastTimestamp) : ""},
      {label: "Current version", get: (d) => d.Version ? (d.Version.ImportJob || "") : "no data yet"},
    ], datasets));
    for (const d of datasets) {
      const stats = Object.entries(d.FieldStatistics || {});
      if (!stats.length) continue;
      wrap.append(h("details", {class: "stats"},
        h("summary", {text: `Field statistics of ${d.Name}`}),
        table([
          {label: "Field", get: (r) => r[0]},
          {label: "Count", num: true, get: (r) => fmtNum(r[1].Count)},
          {label: "Distinct", num: true, get: (r) => fmtNum(r[1].CountDistinct)},
          {label: "Nulls", num: true, get: (r) => fmtNum(r[1].CountNull)},
          {label: "NaN", num: true, get: (r) => fmtNum(r[1].CountNan)},
          {label: "Min", num: true, get: (r) => statValue(r[1].Min)},
          {label: "Max", num: true, get: (r) => statValue(r[1].Max)},
          {label: "Avg", num: true, get: (r) => fmtNum(r[1].Avg)},
          {label: "Std dev", num: true, get: (r) => fmtNum(r[1].Stddev)},
        ], stats, {class: "compact"})));
    }
    return wrap;
  }

  function statValue(v) {
    if (v === null || v === undefined) return "";
    const s = String(v);
    if (/^\d{4}-\d\d-\d\dT/.test(s)) return s.replace("T00:00:00Z", "").replace("T", " ").replace("Z", "");
    return fmtNum(s);
  }

  // Predictors: status, progress, accuracy
  function renderPredictors() {
    const s = state.summary;
    const root = clear($("predictors"));
    if (!s.Predictors.length) { root.append(empty("No predictors yet.")); return; }
    root.append(table([
      {label: "Predictor", get: (p) => h("span", {class: "strong", text: p.Name})},
      {label: "Dataset group", get: (p) => p.DatasetGroup || ""},
      {label: "Status", get: (p) => h("div", {}, badge(p.Status), progressBar(p.Job),
        p.Message ? h("div", {class: "small error", text: p.Message}) : null)},
      {label: "Horizon", get: (p) => `${p.Horizon ?? ""} × ${p.Frequency ?? ""}`},
      {label: "Dimensions", get: (p) => (p.Dimensions || []).join(", ")},
      {label: "Model", get: (p) => p.Model || ""},
      {label: "Series", num: true, get: (p) => fmtNum(p.Series)},
      {label: "Training", num: true, get: (p) => fmtDuration(p.Seconds)},
      {label: "Created", get: (p) => fmtTime(p.Created)},
    ], s.Predictors, {
      onclick: (p) => { if (p.Status === "ACTIVE") loadAccuracy(p, true); },
      rowClass: (p) => (state.accuracyFor && state.accuracyFor.Arn === p.Arn ? "selected" : "") +
        (p.Status === "ACTIVE" ? "" : " inactive"),
    }));
    root.append(h("p", {class: "small muted", text: "Click an active predictor to see its accuracy."}));
    if (!state.accuracyFor) {
      const first = s.Predictors.find((p) => p.Status === "ACTIVE");
      if (first) loadAccuracy(first, false);
    }
  }

  async function loadAccuracy(p, userAction) {
    state.accuracyFor = p;
    try {
      const acc = await api("/dashboard/accuracy", {predictor: p.Arn});
      renderAccuracy(p, acc);
      if (userAction) renderPredictors();
    } catch (err) { showError(err); }
  }

  function renderAccuracy(p, acc) {
    $("accuracy-card").hidden = false;
    $("accuracy-title").textContent = `· ${p.Name} · optimized for ${acc.OptimizationMetric || ""}`;
    showColdStart($("accuracy-coldstart"), p.ColdStart);
    const root = clear($("accuracy"));
    if (!acc.Rows.length) { root.append(empty("No backtest metrics.")); return; }
    const best = {};
    const metricKeys = ["AverageWeightedQuantileLoss", "WAPE", "RMSE", "MASE", "MAPE"];
    for (const r of acc.Rows.filter((r) => r.Window === "SUMMARY")) {
      for (const k of metricKeys) if (r[k] !== null && (best[k] === undefined || r[k] < best[k])) best[k] = r[k];
    }
    const cell = (r, k) => {
      const v = r[k];
      const el = h("span", {text: fmtNum(v, 4)});
      if (r.Window === "SUMMARY" && v !== null && v === best[k]) el.className = "best";
      return el;
    };
    const model = acc.Rows[0].Algorithm;
    const cols = [
      {label: "Algorithm", get: (r) => h("span", {class: r.Algorithm === model ? "strong" : "", text: r.Algorithm + (r.Algorithm === model ? " (predictor)" : "")})},
      {label: "Window", get: (r) => r.Window === "SUMMARY" ? h("span", {class: "pill", text: "summary"})
        : `${fmtTime(r.Start).split(",")[0]} → ${fmtTime(r.End).split(",")[0]}`},
      {label: "avg wQL", num: true, get: (r) => cell(r, "AverageWeightedQuantileLoss")},
      ...acc.Quantiles.map((q) => ({label: `wQL[${q}]`, num: true, get: (r) => fmtNum(r.WeightedQuantileLosses[q], 4)})),
      {label: "WAPE", num: true, get: (r) => cell(r, "WAPE")},
      {label: "RMSE", num: true, get: (r) => cell(r, "RMSE")},
      {label: "MASE", num: true, get: (r) => cell(r, "MASE")},
      {label: "MAPE", num: true, get: (r) => cell(r, "MAPE")},
    ];
    root.append(table(cols, acc.Rows, {class: "compact", rowClass: (r) => r.Window === "SUMMARY" ? "summary-row" : ""}));
  }

  // Jobs
  function renderJobs() {
    const root = clear($("jobs"));
    if (!state.jobs.length) { root.append(empty("No jobs yet.")); return; }
    root.append(table([
      {label: "Kind", get: (j) => j.Kind.replace(/_/g, " ")},
      {label: "Resource", get: (j) => shortArn(j.ResourceArn)},
      {label: "State", get: (j) => h("div", {}, badge(j.State), progressBar({
        State: j.State, Stage: j.Progress.stage, Done: j.Progress.done, Total: j.Progress.total,
        EtaSeconds: j.Progress.eta_seconds}))},
      {label: "Attempts", num: true, get: (j) => j.Attempts},
      {label: "Created", get: (j) => fmtTime(j.CreationTime)},
      {label: "Took", num: true, get: (j) => j.StartTime && j.EndTime ? fmtDuration(j.EndTime - j.StartTime)
        : (j.StartTime ? fmtDuration(Date.now() / 1000 - j.StartTime) + "…" : "")},
      {label: "Message", get: (j) => j.Message ? h("span", {class: "small", text: j.Message}) : ""},
    ], state.jobs, {class: "compact"}));
  }

  // Forecast selects (explorer + aggregate)
  function activeForecasts() { return (state.summary ? state.summary.Forecasts : []).filter((f) => f.Status === "ACTIVE"); }

  function fillSelect(select, items, selected, label) {
    const current = selected ?? select.value;
    clear(select);
    for (const it of items) select.append(h("option", {value: it.value, text: label ? label(it) : it.value}));
    if (items.some((it) => it.value === current)) select.value = current;
    return select.value;
  }

  function syncForecastSelects() {
    const items = activeForecasts().map((f) => ({value: f.Name, f}));
    const labelOf = (it) => `${it.f.Name} (${fmtNum(it.f.Series)} series)`;
    const ex = fillSelect($("ex-forecast"), items, state.explorer.forecast, labelOf);
    const ag = fillSelect($("ag-forecast"), items, state.aggregate.forecast, labelOf);
    if (!items.length) {
      for (const id of ["ex-results", "ag-groups"]) clear($(id)).append(empty("No active forecast yet."));
    }
    if (state.explorer.forecast !== ex) { state.explorer.forecast = ex || null; state.explorer.key = null;
      if (state.view === "explorer") searchSeries(); }
    if (state.aggregate.forecast !== ag) { state.aggregate.forecast = ag || null;
      if (state.view === "aggregate") ensureAggregate(true); }
  }

  // Explorer
  let explorerReady = false;
  function ensureExplorer() {
    if (!explorerReady && state.explorer.forecast) { explorerReady = true; searchSeries(); }
  }

  async function searchSeries() {
    const ex = state.explorer;
    if (!ex.forecast) return;
    const seq = ++ex.seq;
    try {
      const res = await api("/dashboard/series", {forecast: ex.forecast, q: ex.q, limit: ex.limit, offset: ex.offset});
      if (seq !== ex.seq) return;
      showColdStart($("ex-coldstart"), (activeForecasts().find((f) => f.Name === ex.forecast) || {}).ColdStart);
      const cold = new Set(res.ColdStartItems || []);
      const list = clear($("ex-results"));
      $("ex-count").textContent = res.Total === 0 ? "no matching series"
        : `${fmtNum(res.Offset + 1)}–${fmtNum(res.Offset + res.Series.length)} of ${fmtNum(res.Total)} series`;
      for (const key of res.Series) {
        const label = res.KeyColumns.map((c) => key[c]);
        const same = ex.key && res.KeyColumns.every((c) => ex.key[c] === key[c]);
        list.append(h("li", {}, h("button", {type: "button", class: "series" + (same ? " selected" : ""),
          title: res.KeyColumns.map((c) => `${c}: ${key[c]}`).join("\n"),
          onclick: (e) => { ex.key = key; for (const b of list.querySelectorAll("button")) b.classList.remove("selected");
            e.currentTarget.classList.add("selected"); loadSeries(true); }},
          h("span", {class: "item", text: label[0]}),
          ...label.slice(1).map((v) => h("span", {class: "dim", text: v})),
          cold.has(label[0]) ? h("span", {class: "badge cold", title: "no history: forecast by the global model(s)", text: "cold start"}) : null)));
      }
      $("ex-prev").disabled = res.Offset === 0;
      $("ex-next").disabled = res.NextOffset === null;
      if (!ex.key && res.Series.length) { ex.key = res.Series[0]; list.querySelector("button").classList.add("selected"); loadSeries(true); }
    } catch (err) { showError(err); }
  }

  async function loadSeries(userAction) {
    const ex = state.explorer;
    if (!ex.forecast || !ex.key) return;
    const seq = ++ex.seq;
    try {
      const d = await api("/dashboard/series/detail", {forecast: ex.forecast, key: JSON.stringify(ex.key),
                                                       history: $("ex-history").value});
      if (seq !== ex.seq && !userAction) return;
      $("ex-title").classList.remove("muted");
      $("ex-title").textContent = d.KeyColumns.map((c) => `${c} ${d.Key[c]}`).join(" · ") +
        `  —  forecast ${d.Forecast}` + (d.Predictor ? ` (predictor ${d.Predictor})` : "");
      plotSeries($("ex-plot"), d, $("ex-backtest").checked);
      renderForecastTable(d);
    } catch (err) { showError(err); }
  }

  function bandTraces(x, lo, hi, name, fill, group, showlegend) {
    return [
      {x, y: hi, type: "scatter", mode: "lines", line: {width: 0}, hoverinfo: "skip", showlegend: false, legendgroup: group, name},
      {x, y: lo, type: "scatter", mode: "lines", line: {width: 0}, fill: "tonexty", fillcolor: fill,
       name, legendgroup: group, showlegend, hoverinfo: "skip"},
    ];
  }

  function plotSeries(el, d, withBacktests) {
    const p = d.Prediction, traces = [];
    const shapes = [];
    if (withBacktests) {
      d.Backtests.forEach((w, i) => {
        if (w.p10 && w.p90) traces.push(...bandTraces(w.Timestamps, w.p10, w.p90, "backtest p10–p90", COLORS.backtestBand, "bt", false));
        const mid = w.p50 || w.mean;
        if (mid) traces.push({x: w.Timestamps, y: mid, type: "scatter", mode: "lines", name: "backtest forecast",
          line: {color: COLORS.backtest, dash: "dot", width: 2}, legendgroup: "bt", showlegend: i === 0});
        traces.push({x: w.Timestamps, y: w.Actual, type: "scatter", mode: "markers", name: "backtest actual",
          marker: {color: COLORS.actual, size: 5, symbol: "circle-open"}, legendgroup: "bta", showlegend: i === 0});
        shapes.push({type: "rect", xref: "x", yref: "paper", x0: w.Start, x1: w.End, y0: 0, y1: 1,
          fillcolor: "rgba(124,58,237,0.05)", line: {width: 0}, layer: "below"});
      });
    }
    if (d.History.Timestamps.length) {
      traces.push({x: d.History.Timestamps, y: d.History.Values, type: "scatter", mode: "lines", name: "history",
        line: {color: COLORS.history, width: 1.6}});
    }
    if (p.p10 && p.p90) traces.push(...bandTraces(p.Timestamps, p.p10, p.p90, "p10–p90", COLORS.band, "band", true));
    if (p.p50) traces.push({x: p.Timestamps, y: p.p50, type: "scatter", mode: "lines", name: "p50",
      line: {color: COLORS.p50, width: 2.4}});
    if (p.mean) traces.push({x: p.Timestamps, y: p.mean, type: "scatter", mode: "lines", name: "mean",
      line: {color: COLORS.mean, width: 1.6, dash: "dash"}});
    if (p.Timestamps.length) shapes.push({type: "line", xref: "x", yref: "paper", x0: p.Timestamps[0], x1: p.Timestamps[0],
      y0: 0, y1: 1, line: {color: "#94a3b8", width: 1, dash: "dot"}});
    draw(el, traces, shapes);
  }

  function draw(el, traces, shapes) {
    if (!window.Plotly) { clear(el).append(empty("Plotly.js did not load.")); return; }
    const layout = {
      margin: {l: 60, r: 16, t: 10, b: 40}, height: 420, hovermode: "x unified",
      legend: {orientation: "h", y: -0.14}, shapes,
      xaxis: {showgrid: false}, yaxis: {gridcolor: "#e2e8f0", zeroline: false, rangemode: "tozero"},
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: {family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 12, color: "#1e293b"},
    };
    window.Plotly.react(el, traces, layout, {responsive: true, displaylogo: false,
      modeBarButtonsToRemove: ["lasso2d", "select2d"]});
  }

  function renderForecastTable(d) {
    const p = d.Prediction;
    const cols = ["p10", "p50", "p90", "mean"].filter((c) => p[c]);
    const rows = p.Timestamps.map((t, i) => ({t, i}));
    clear($("ex-table")).append(h("details", {},
      h("summary", {text: `Forecast values (${rows.length} periods)`}),
      table([{label: "Date", get: (r) => fmtDate(r.t)},
             ...cols.map((c) => ({label: c, num: true, get: (r) => fmtNum(p[c][r.i])}))], rows, {class: "compact"})));
  }

  // Aggregates
  let aggregateReady = false;
  function ensureAggregate(force) {
    const ag = state.aggregate;
    const f = activeForecasts().find((x) => x.Name === ag.forecast);
    if (!f) return;
    if (aggregateReady && !force) return;
    aggregateReady = true;
    const by = fillSelect($("ag-by"), f.AggregateBy.map((a) => ({value: a.Name, a})), ag.by,
      (it) => `${it.a.Name} (${it.a.Source})`);
    ag.by = by || null;
    ag.value = "";
    loadAggregate(true);
  }

  async function loadAggregate(resetValues) {
    const ag = state.aggregate;
    if (!ag.forecast || !ag.by) { clear($("ag-groups")).append(empty("This forecast has no dimension or item metadata to aggregate by.")); return; }
    const seq = ++ag.seq;
    try {
      const d = await api("/dashboard/aggregate", {forecast: ag.forecast, by: ag.by, value: ag.value || null,
                                                   history: $("ag-history").value});
      if (seq !== ag.seq) return;
      if (resetValues) {
        const items = [{value: "", label: `all (${fmtNum(d.GroupCount)} values)`},
          ...d.Groups.filter((g) => g.Value !== null).map((g) => ({value: g.Value, label: `${g.Value} (${fmtNum(g.Series)} series)`}))];
        fillSelect($("ag-value"), items, ag.value, (it) => it.label);
      }
      $("ag-title").classList.remove("muted");
      $("ag-title").textContent = `${d.By} = ${d.Value === null ? "all" : d.Value} · ${fmtNum(d.Series)} series summed · forecast ${d.Forecast}`;
      const p = d.Prediction, traces = [];
      if (d.History.Timestamps.length) traces.push({x: d.History.Timestamps, y: d.History.Values, type: "scatter",
        mode: "lines", name: "history (sum)", line: {color: COLORS.history, width: 1.6}});
      if (p.p10 && p.p90) traces.push(...bandTraces(p.Timestamps, p.p10, p.p90, "p10–p90 (approximate)", "rgba(37,99,235,0.10)", "band", true));
      if (p.p50) traces.push({x: p.Timestamps, y: p.p50, type: "scatter", mode: "lines", name: "p50 (sum)", line: {color: COLORS.p50, width: 2.4}});
      if (p.mean) traces.push({x: p.Timestamps, y: p.mean, type: "scatter", mode: "lines", name: "mean (sum)", line: {color: COLORS.mean, width: 1.6, dash: "dash"}});
      const shapes = p.Timestamps.length ? [{type: "line", xref: "x", yref: "paper", x0: p.Timestamps[0], x1: p.Timestamps[0],
        y0: 0, y1: 1, line: {color: "#94a3b8", width: 1, dash: "dot"}}] : [];
      draw($("ag-plot"), traces, shapes);
      const groups = clear($("ag-groups"));
      groups.append(h("h3", {text: `Values of ${d.By}`}), table([
        {label: d.By, get: (g) => g.Value === null ? h("span", {class: "muted", text: "(none)"}) : g.Value},
        {label: "Series", num: true, get: (g) => fmtNum(g.Series)},
      ], d.Groups, {class: "compact", onclick: (g) => { if (g.Value === null) return; ag.value = g.Value; $("ag-value").value = g.Value; loadAggregate(false); },
        rowClass: (g) => g.Value === ag.value ? "selected" : ""}));
    } catch (err) { showError(err); }
  }

  // Pipeline runs: import -> forecast -> export -> SQL passes (and whatever else records runs)
  function syncRunGroups() {
    const names = (state.summary ? state.summary.DatasetGroups : []).map((g) => g.Name).sort();
    state.runs.group = fillSelect($("runs-group"), [{value: "", label: "all groups"},
      ...names.map((n) => ({value: n, label: n}))], state.runs.group, (it) => it.label);
  }

  async function loadRuns() {
    try {
      const res = await api("/dashboard/runs", {group: state.runs.group, limit: 100});
      state.runs.available = res.Available;
      state.runs.list = res.Runs;
      renderRuns();
    } catch (err) { showError(err); }
  }

  function runTook(r) {
    if (r.Seconds !== null && r.Seconds !== undefined) return fmtDuration(r.Seconds);
    return r.Created ? fmtDuration(Date.now() / 1000 - r.Created) + "…" : "";
  }

  function renderRuns() {
    const root = clear($("runs"));
    const runs = state.runs.list;
    if (!state.runs.available) root.append(empty("Pipeline runs are not available: the pipelines package is not installed."));
    else if (!runs.length) root.append(empty(state.runs.group ? "No pipeline runs for this dataset group yet."
      : "No pipeline runs yet. `forecasthub watch -c watch.yaml` runs import → forecast → export → SQL for each landed file."));
    else {
      root.append(table([
        {label: "Dataset group", get: (r) => h("span", {}, h("span", {class: "strong", text: r.DatasetGroup}),
          r.Pipeline ? h("span", {class: "pill pipeline", text: r.Pipeline}) : null)},
        {label: "Trigger", get: (r) => h("span", {class: "small trigger", text: r.Trigger || ""})},
        {label: "Status", get: (r) => badge(r.Status)},
        {label: "Started", get: (r) => fmtTime(r.Created)},
        {label: "Took", num: true, get: (r) => runTook(r)},
        {label: "Message", get: (r) => r.Message ? h("span", {class: "small" + (r.Status === "FAILED" ? " error" : ""), text: r.Message}) : ""},
      ], runs, {class: "compact runs", onclick: (r) => { state.runs.selected = r.RunId; renderRuns(); },
        rowClass: (r) => r.RunId === state.runs.selected ? "selected" : ""}));
      root.append(h("p", {class: "small muted", text: "Click a run to see its steps and outputs."}));
    }
    const run = runs.find((r) => r.RunId === state.runs.selected);
    $("run-card").hidden = !run;
    if (run) renderRun(run);
  }

  const STEP_COLUMNS = ["Name", "Status", "StartTime", "EndTime", "Seconds", "DurationSeconds"];

  function renderRun(run) {
    clear($("run-head")).append(h("h2", {text: `Run · ${run.DatasetGroup}`}), badge(run.Status),
      h("span", {class: "muted small right", text: `started ${fmtTime(run.Created)} · took ${runTook(run)} · id ${run.RunId}`}));
    const root = clear($("run-detail"));
    root.append(h("div", {class: "small"}, h("span", {class: "muted", text: "Trigger: "}), h("span", {class: "trigger", text: run.Trigger || ""})));
    if (run.Message) root.append(h("p", {class: "run-message" + (run.Status === "FAILED" ? " error" : ""), text: run.Message}));
    const counted = run.Steps.some((x) => typeof x.Attempts === "number" || Array.isArray(x.Attempts));
    root.append(h("h3", {text: "Steps"}), table([
      {label: "Step", get: (x) => h("span", {class: "strong", text: x.Name})},
      {label: "Status", get: (x) => badge(x.Status)},
      {label: "Started", get: (x) => fmtWhen(x.StartTime)},
      {label: "Ended", get: (x) => fmtWhen(x.EndTime)},
      {label: "Took", num: true, get: (x) => fmtDuration(x.Seconds)},
      ...(counted ? [{label: "Attempts", num: true,
        get: (x) => Array.isArray(x.Attempts) ? fmtNum(x.Attempts.length) : fmtNum(x.Attempts)}] : []),
      // every other member the step records (Arn, Message, Files, errors of each attempt ...)
      {label: "Details", get: (x) => fields(x, 0, typeof x.Attempts === "number" ? [...STEP_COLUMNS, "Attempts"] : STEP_COLUMNS,
        x.Status === "FAILED" ? ["Message"] : [])},
    ], run.Steps, {class: "compact steps"}));
    root.append(h("h3", {text: "Outputs"}));
    root.append(Object.keys(run.Outputs).length ? h("div", {class: "outputs"}, fields(run.Outputs, 0)) : empty("No outputs."));
    const name = run.Outputs.ForecastArn ? String(run.Outputs.ForecastArn).split("/").pop() : null;
    if (name && activeForecasts().some((f) => f.Name === name)) {
      root.append(h("p", {class: "small"}, h("a", {href: "#explorer", onclick: () => {
        const ex = state.explorer;
        ex.forecast = name; ex.key = null; ex.offset = 0; $("ex-forecast").value = name;
        explorerReady = true; searchSeries();
      }}, "Open this forecast in the explorer")));
    }
  }

  // Model registry: versions, deployments and the approval rule of each dataset group (read-only)
  async function loadModels() {
    try {
      state.models = await api("/dashboard/models");
      renderModels();
    } catch (err) { showError(err); }
  }

  function ruleText(rule) {
    if (!rule) return "No approval rule: new versions stay PendingManualApproval until approved by hand.";
    const pct = `${+(rule.MaxRegression * 100).toFixed(2)} %`;
    return `Approval rule: a new version is approved when its ${rule.Metric} is at most ${pct} worse than ` +
      `the deployed version's${rule.AutoDeploy ? ", and then deployed" : ""}.`;
  }

  function renderModels() {
    const root = clear($("models"));
    const groups = state.models ? state.models.Groups : [];
    if (!groups.length) {
      root.append(h("div", {class: "card"}, empty("No model versions yet. Every predictor that becomes ACTIVE is registered " +
        "as a version of its dataset group's model (or `forecasthub model-versions register <predictor>`).")));
      return;
    }
    for (const g of groups) {
      const m = g.Model || {};
      const uses = m.Error ? h("span", {class: "small error", text: m.Error})
        : h("span", {class: "pill", text: m.Source === "pinned"
          ? `pinned predictor ${shortArn(m.PredictorArn)}` + (m.Version ? ` (v${m.Version})` : "")
          : `deployed v${m.Version}`});
      root.append(h("div", {class: "card model-group", "data-group": g.Name},
        h("div", {class: "card-head"}, h("h2", {class: "model-group-name", text: g.Name}),
          h("span", {class: "muted small", text: "forecasts use"}), uses),
        h("p", {class: "small muted rule", text: ruleText(g.Rule)}),
        table([
          {label: "Version", get: (v) => h("span", {}, h("span", {class: "strong", text: `v${v.Version}`}),
            v.Deployed ? h("span", {class: "badge ok deployed-marker", text: "deployed"}) : null)},
          {label: "Predictor", get: (v) => v.PredictorName},
          {label: "Status", get: (v) => badge(v.Status)},
          {label: "Metric", get: (v) => v.MetricName},
          {label: "Value", num: true, get: (v) => fmtNum(v.MetricValue, 4)},
          {label: "Created", get: (v) => fmtTime(v.CreationTime)},
          {label: "Last deployed", get: (v) => fmtTime(v.DeployedTime)},
          {label: "Message", get: (v) => v.Message ? h("span", {class: "small", text: v.Message}) : ""},
        ], g.Versions, {class: "compact versions", rowClass: (v) => v.Deployed ? "deployed" : ""}),
        h("h3", {text: "Deployment history"}),
        g.History.length ? table([
          {label: "When", get: (e) => fmtTime(e.Time)},
          {label: "Action", get: (e) => h("span", {class: e.Action === "rollback" ? "badge busy" : "badge ok", text: e.Action})},
          {label: "Deployed", get: (e) => e.Version ? `v${e.Version}` : ""},
          {label: "Replaced", get: (e) => e.PreviousVersion ? `v${e.PreviousVersion}` : "—"},
        ], g.History, {class: "compact history"}) : empty("Never deployed.")));
    }
  }

  // Monitoring: a monitored predictor's evaluations against its backtest baseline
  async function loadMonitoring(userAction) {
    const mon = state.monitoring;
    try {
      const d = await api("/dashboard/monitoring", {monitor: mon.monitor});
      const text = JSON.stringify(d);
      if (!userAction && text === mon.last) return;
      mon.last = text;
      mon.data = d;
      renderMonitoring(d);
    } catch (err) { showError(err); }
  }

  function renderMonitoring(d) {
    const mon = state.monitoring;
    const head = clear($("mon-head")), rows = clear($("mon-table")), plot = $("mon-plot");
    $("mon-title").textContent = "";
    $("mon-toolbar").hidden = !(d.Available && d.Monitors.length);
    plot.hidden = true;
    if (!d.Available) {
      head.append(h("div", {class: "notice", id: "mon-unavailable"},
        h("strong", {text: "Monitoring is not available on this server."}),
        ` It needs the ${d.Missing.join(", ")} operation(s), which this version does not have.`));
      return;
    }
    if (!d.Monitors.length) {
      head.append(empty("No predictor monitors yet. Create one with CreateMonitor (ResourceArn: an auto predictor), " +
        "or CreateAutoPredictor with MonitorConfig."));
      return;
    }
    mon.monitor = d.Selected;
    fillSelect($("mon-monitor"), d.Monitors.map((m) => ({value: m.MonitorArn, m})), d.Selected,
      (it) => `${it.m.ResourceName || shortArn(it.m.ResourceArn)} · ${it.m.MonitorName}`);
    const m = d.Monitor;
    head.append(h("div", {class: "card-head"}, h("h2", {class: "monitor-name", text: m.MonitorName}), badge(m.Status),
      h("span", {class: "muted small", text: `predictor ${m.ResourceName || shortArn(m.ResourceArn)}`}),
      h("span", {class: "muted small right", text: m.LastEvaluationTime ? `last evaluation ${fmtTime(m.LastEvaluationTime)}` : "not evaluated yet"}),
      m.LastEvaluationState ? badge(m.LastEvaluationState) : null));
    if (m.Message) head.append(h("p", {class: "small error", text: m.Message}));
    const evals = d.Evaluations;
    const names = [...new Set([...Object.keys(d.Baseline), ...evals.flatMap((e) => Object.keys(e.Metrics))])];
    mon.metric = fillSelect($("mon-metric"), names.map((n) => ({value: n})), mon.metric) || null;
    if (!evals.length) {
      rows.append(empty("No evaluations yet: the monitor evaluates a forecast once newly imported data covers its dates."));
      return;
    }
    const forecasts = [...new Set(evals.map((e) => e.DataSource.ForecastArn || ""))];  // #1, #2 ... oldest first
    plotMonitor(d, mon.metric, forecasts);
    rows.append(h("h3", {text: `Evaluations (${evals.length}, newest first)`}), table([
      {label: "Window", get: (e) => `${fmtDay(e.WindowStart)} → ${fmtDay(e.WindowEnd)}`},
      {label: "State", get: (e) => badge(e.State)},
      {label: "Items", num: true, get: (e) => fmtNum(e.NumItemsEvaluated)},
      {label: "Metrics", get: (e) => h("span", {class: "metrics"}, Object.entries(e.Metrics).map(([k, v]) =>
        h("span", {class: k === mon.metric ? "metric strong" : "metric", text: `${k} ${fmtNum(v, 4)}`})))},
      {label: "Forecast", get: (e) => h("span", {}, h("span", {class: "forecast-no", style: {color: lineColor(forecasts.indexOf(e.DataSource.ForecastArn || ""))},
        text: `#${forecasts.indexOf(e.DataSource.ForecastArn || "") + 1} `}), valueNode("ForecastArn", e.DataSource.ForecastArn, 0))},
      {label: "Evaluated", get: (e) => fmtTime(e.EvaluationTime)},
      {label: "Message", get: (e) => h("span", {class: "small" + (e.State === "FAILURE" ? " error" : ""),
        text: [e.Message, e.PredictorEvent && e.PredictorEvent.Detail ? `predictor event: ${e.PredictorEvent.Detail}` : null]
          .filter(Boolean).join(" · ")})},
    ], evals.slice().reverse(), {class: "compact evaluations"}));
  }

  const LINE_COLORS = ["#2563eb", "#0f766e", "#7c3aed", "#db2777", "#0891b2", "#65a30d"];
  function lineColor(i) { return LINE_COLORS[i % LINE_COLORS.length]; }

  // One line per evaluated forecast (its windows grow as actuals arrive), named by number only:
  // no data reaches Plotly as text.
  function plotMonitor(d, metric, forecasts) {
    const el = $("mon-plot");
    el.hidden = false;
    const end = (e) => e.WindowEnd ?? e.EvaluationTime;
    const traces = forecasts.map((arn, i) => {
      const points = d.Evaluations.filter((e) => (e.DataSource.ForecastArn || "") === arn &&
        e.Metrics[metric] !== null && e.Metrics[metric] !== undefined);
      return {x: points.map((e) => isoOf(end(e))), y: points.map((e) => e.Metrics[metric]), type: "scatter",
        mode: "lines+markers", name: `realised, forecast #${i + 1}`, line: {color: lineColor(i), width: 2.2}, marker: {size: 7}};
    });
    const base = d.Baseline[metric];
    if (base !== null && base !== undefined) {
      const x0 = Math.min(...d.Evaluations.map((e) => e.WindowStart ?? end(e)));
      const x1 = Math.max(...d.Evaluations.map(end));
      traces.push({x: [isoOf(x0), isoOf(x1)], y: [base, base], type: "scatter", mode: "lines",
        name: "baseline (backtest)", line: {color: COLORS.mean, width: 2, dash: "dash"}});
    }
    $("mon-title").classList.remove("muted");
    $("mon-title").textContent = `${metric} per evaluation window (at its end) · ` +
      (base !== null && base !== undefined ? `backtest baseline ${fmtNum(base, 4)} (dashed)` : "no baseline value for this metric");
    draw(el, traces, []);
  }

  // -- wiring -----------------------------------------------------------------------------------
  function debounce(fn, ms) { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; }

  function wire() {
    window.addEventListener("hashchange", () => setView(location.hash.slice(1)));
    $("login-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const token = $("token").value.trim();
      if (!/^[A-Z0-9]{16,128}:.+$/.test(token)) { showLogin("Expected AccessKeyId:SecretAccessKey"); return; }
      sessionStorage.setItem(TOKEN_KEY, token);
      $("token").value = "";
      start().catch(() => {});
    });
    $("signout").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); location.reload(); });
    $("ex-forecast").addEventListener("change", (e) => { const ex = state.explorer;
      ex.forecast = e.target.value; ex.key = null; ex.offset = 0; searchSeries(); });
    $("ex-q").addEventListener("input", debounce((e) => { const ex = state.explorer;
      ex.q = e.target.value; ex.offset = 0; searchSeries(); }, 250));
    $("ex-q").addEventListener("keydown", (e) => { if (e.key === "Enter") { const ex = state.explorer;
      ex.q = e.target.value; ex.offset = 0; ex.key = null; searchSeries(); } });
    $("ex-prev").addEventListener("click", () => { const ex = state.explorer; ex.offset = Math.max(0, ex.offset - ex.limit); searchSeries(); });
    $("ex-next").addEventListener("click", () => { const ex = state.explorer; ex.offset += ex.limit; searchSeries(); });
    $("ex-history").addEventListener("change", () => loadSeries(true));
    $("ex-backtest").addEventListener("change", () => loadSeries(true));
    $("ag-forecast").addEventListener("change", (e) => { state.aggregate.forecast = e.target.value; ensureAggregate(true); });
    $("ag-by").addEventListener("change", (e) => { state.aggregate.by = e.target.value; state.aggregate.value = ""; loadAggregate(true); });
    $("ag-value").addEventListener("change", (e) => { state.aggregate.value = e.target.value; loadAggregate(false); });
    $("ag-history").addEventListener("change", () => loadAggregate(false));
    $("runs-group").addEventListener("change", (e) => { state.runs.group = e.target.value; loadRuns(); });
    $("mon-monitor").addEventListener("change", (e) => { state.monitoring.monitor = e.target.value;
      state.monitoring.metric = null; loadMonitoring(true); });
    $("mon-metric").addEventListener("change", (e) => { state.monitoring.metric = e.target.value;
      if (state.monitoring.data) renderMonitoring(state.monitoring.data); });
    document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
  }

  async function start() {
    try {
      const s = await api("/dashboard/stamp");
      state.stamp = s.Stamp;
      await refreshAll();
      setView(location.hash.slice(1) || "data");
      startPolling();
    } catch (err) {
      if (err instanceof AuthNeeded) {
        const had = sessionStorage.getItem(TOKEN_KEY);
        if (had) sessionStorage.removeItem(TOKEN_KEY);
        showLogin(had ? "That key was not accepted." : "");
      } else showError(err);
      throw err;
    }
  }

  document.addEventListener("DOMContentLoaded", () => { wire(); start().catch(() => {}); });
})();
