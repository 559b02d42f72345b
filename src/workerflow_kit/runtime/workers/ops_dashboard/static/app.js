// WorkerFlow ops deck: the dashboard's only script (vanilla JS, no dependencies).
//
// Every value that reaches the page from the ops API goes through the `html` template tag below, which
// escapes it; markup is only ever built from literal template text. API calls carry the dashboard token
// (kept in sessionStorage) as `Authorization: Bearer <token>`; a 401 brings up a prompt for the token.
(() => {
  "use strict";

  const TOKEN_KEY = "workerflow.opsDashboardToken";
  const TABS = ["overview", "incidents", "routes", "crons", "runs", "deadletters", "replays"];
  const INSPECTOR_TABS = ["overview", "input", "output", "error", "retries"];

  const state = {
    tab: "overview",
    inspectorTab: "overview",
    selectedTrace: null,
    runDetail: null,
    summary: null,
    catalog: null,
    runs: [],
    failedRuns: [],
    clusters: [],
    timeline: { resolution: "hour", items: [], pinned: null, detailCache: new Map(), hoverTimer: 0 },
    incidentMode: false,
    authNeeded: false,
    drawerReturnFocus: null,
  };

  // ---------------------------------------------------------------- safe HTML

  class SafeHtml {
    constructor(text) {
      this.text = text;
    }
    toString() {
      return this.text;
    }
  }

  const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#039;" };

  function escapeHtml(value) {
    if (value === null || value === undefined) return "";
    return String(value).replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
  }

  function fragment(value) {
    if (value instanceof SafeHtml) return value.text;
    if (Array.isArray(value)) return value.map(fragment).join("");
    return escapeHtml(value);
  }

  // Tagged template: interpolated values are escaped unless they are SafeHtml (built by this same tag).
  function html(strings, ...values) {
    let out = strings[0];
    values.forEach((value, index) => {
      out += fragment(value) + strings[index + 1];
    });
    return new SafeHtml(out);
  }

  function setHtml(node, content) {
    node.innerHTML = fragment(content);
  }

  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- formatting

  function formatTs(value) {
    if (!value) return "-";
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return String(value);
    return date.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
  }

  function num(value) {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : 0;
  }

  function statusClass(status) {
    if (status === "succeeded") return "ok";
    if (status === "failed") return "bad";
    if (status === "started" || status === "running") return "warn";
    return "";
  }

  function pill(status) {
    return html`<span class="pill ${statusClass(status)}">${status || "-"}</span>`;
  }

  function triplet(item) {
    return html`<span class="status-ok">${num(item.succeeded)}</span> / <span class="status-bad">${num(item.failed)}</span> / <span class="status-warn">${num(item.started)}</span>`;
  }

  function scopeOf(run) {
    return run.routePath || run.scheduleId || "-";
  }

  function emptyRow(colspan, text) {
    return html`<tr><td colspan="${colspan}" class="muted">${text}</td></tr>`;
  }

  function cardsHtml(cards) {
    return cards.map(
      (card) => html`<article class="card"><div class="label">${card.label}</div><div class="value ${card.className || ""}">${card.value}</div></article>`,
    );
  }

  // ---------------------------------------------------------------- token and API calls

  class ApiError extends Error {
    constructor(message, status, body) {
      super(message);
      this.name = "ApiError";
      this.status = status;
      this.body = body;
    }
  }

  function readToken() {
    try {
      return window.sessionStorage.getItem(TOKEN_KEY) || "";
    } catch (_error) {
      return state.memoryToken || "";
    }
  }

  function writeToken(token) {
    state.memoryToken = token;
    try {
      if (token) window.sessionStorage.setItem(TOKEN_KEY, token);
      else window.sessionStorage.removeItem(TOKEN_KEY);
    } catch (_error) {
      // Storage can be disabled; the token then lives only in memory for this page.
    }
    renderTokenState();
  }

  function renderTokenState() {
    const token = readToken();
    $("token-state").textContent = token ? "Token set for this tab" : "No token set";
    $("token-clear").disabled = !token;
  }

  function describeApiError(body, status) {
    if (body && typeof body === "object" && typeof body.error === "string") {
      let text = body.error;
      if (typeof body.message === "string" && body.message) text += `: ${body.message}`;
      if (typeof body.reason === "string" && body.reason) text += ` (${body.reason})`;
      return text;
    }
    return `HTTP ${status}`;
  }

  async function api(path, init = {}) {
    const headers = new Headers(init.headers || {});
    headers.set("accept", "application/json");
    const token = readToken();
    if (token) headers.set("authorization", `Bearer ${token}`);
    let response;
    try {
      response = await fetch(path, { ...init, headers, cache: "no-store", credentials: "same-origin" });
    } catch (error) {
      throw new ApiError(`Network error calling ${path}: ${error && error.message ? error.message : error}`, 0, null);
    }
    const text = await response.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch (_error) {
      if (String(response.url || "").includes("/cdn-cgi/access/login")) {
        throw new ApiError(
          `Cloudflare Access answered ${path} with its login page: the Access application must cover /api/* as well as the page.`,
          response.status,
          null,
        );
      }
      throw new ApiError(`Non-JSON response from ${path} (${response.status}).`, response.status, null);
    }
    if (response.status === 401) {
      showAuthPrompt(Boolean(token));
      throw new ApiError(token ? "The dashboard token was rejected (401)." : "A dashboard token is required (401).", 401, body);
    }
    if (!response.ok) throw new ApiError(describeApiError(body, response.status), response.status, body);
    return body;
  }

  function apiPath(name, params) {
    const query = new URLSearchParams();
    Object.entries(params || {}).forEach(([key, value]) => {
      if (value !== null && value !== undefined && String(value).trim() !== "") query.set(key, String(value).trim());
    });
    const text = query.toString();
    return text ? `api/${name}?${text}` : `api/${name}`;
  }

  function segment(value) {
    return encodeURIComponent(String(value));
  }

  function showAuthPrompt(tokenWasSent) {
    state.authNeeded = true;
    $("auth-prompt-text").firstChild.textContent = tokenWasSent
      ? "The token in use was rejected by the ops dashboard. This dashboard is protected by "
      : "This ops dashboard is protected by ";
    $("auth-prompt").hidden = false;
  }

  function hideAuthPrompt() {
    state.authNeeded = false;
    $("auth-prompt").hidden = true;
  }

  function focusTokenField() {
    const input = $("token-input");
    input.focus();
    input.select();
  }

  // ---------------------------------------------------------------- banner, action result

  function setBanner(text, kind) {
    const banner = $("status-banner");
    banner.textContent = text;
    banner.className = `status-banner${kind ? ` ${kind}` : ""}`;
  }

  function showActionResult(content, isError) {
    const node = $("action-result");
    setHtml(node, content);
    node.className = `action-result${isError ? " error" : ""}`;
    node.hidden = false;
  }

  function errorMessage(error) {
    return error && error.message ? error.message : String(error);
  }

  // ---------------------------------------------------------------- URL state

  function readUrlState() {
    const params = new URLSearchParams(window.location.search);
    const tab = params.get("tab");
    if (tab && TABS.includes(tab)) state.tab = tab;
    const inspectorTab = params.get("inspectorTab");
    if (inspectorTab && INSPECTOR_TABS.includes(inspectorTab)) state.inspectorTab = inspectorTab;
    if (params.get("status") !== null) $("runs-status").value = params.get("status");
    if (params.get("kind") !== null) $("runs-kind").value = params.get("kind");
    if (params.get("routePath") !== null) $("runs-route").value = params.get("routePath");
    if (params.get("scheduleId") !== null) $("runs-schedule").value = params.get("scheduleId");
    if (params.get("limit") !== null) $("runs-limit").value = params.get("limit");
    if (params.get("timelineBucket") === "minute") $("timeline-bucket").value = "minute";
    state.selectedTrace = params.get("trace") || null;
  }

  function writeUrlState() {
    const params = new URLSearchParams();
    params.set("tab", state.tab);
    const pairs = [
      ["status", $("runs-status").value],
      ["kind", $("runs-kind").value],
      ["routePath", $("runs-route").value.trim()],
      ["scheduleId", $("runs-schedule").value.trim()],
      ["limit", $("runs-limit").value.trim()],
      ["timelineBucket", $("timeline-bucket").value],
      ["trace", state.selectedTrace || ""],
      ["inspectorTab", state.inspectorTab],
    ];
    pairs.forEach(([key, value]) => {
      if (value) params.set(key, value);
    });
    window.history.replaceState(null, "", `${window.location.pathname}?${params.toString()}`);
  }

  // ---------------------------------------------------------------- tabs (WAI-ARIA tabs pattern)

  function setActiveTab(tab, focus) {
    if (!TABS.includes(tab)) tab = "overview";
    state.tab = tab;
    document.querySelectorAll("#tabs [role=tab]").forEach((button) => {
      const active = button.dataset.tab === tab;
      button.setAttribute("aria-selected", active ? "true" : "false");
      button.tabIndex = active ? 0 : -1;
      if (active && focus) button.focus();
    });
    TABS.forEach((name) => {
      $(`tab-${name}`).hidden = name !== tab;
    });
    writeUrlState();
  }

  function tabKeyNavigation(container, selector, activate) {
    container.addEventListener("keydown", (event) => {
      const buttons = Array.from(container.querySelectorAll(selector));
      const index = buttons.indexOf(document.activeElement);
      if (index < 0) return;
      let next = -1;
      if (event.key === "ArrowRight") next = (index + 1) % buttons.length;
      else if (event.key === "ArrowLeft") next = (index - 1 + buttons.length) % buttons.length;
      else if (event.key === "Home") next = 0;
      else if (event.key === "End") next = buttons.length - 1;
      if (next < 0) return;
      event.preventDefault();
      activate(buttons[next]);
    });
  }

  // ---------------------------------------------------------------- overview: summary, meta, secrets

  function renderSummary(summary) {
    state.summary = summary;
    const dead = num(summary.deadLetters);
    setHtml(
      $("summary-cards"),
      cardsHtml([
        { label: "Total Runs", value: num(summary.totalRuns) },
        { label: "Succeeded", value: num(summary.succeededRuns), className: "status-ok" },
        { label: "Failed", value: num(summary.failedRuns), className: num(summary.failedRuns) ? "status-bad" : "" },
        { label: "In Progress", value: num(summary.startedRuns), className: "status-warn" },
        { label: "Dead Letters", value: dead, className: dead ? "status-bad" : "status-ok" },
      ]),
    );
    const routes = Array.isArray(summary.topRoutes) ? summary.topRoutes : [];
    setHtml(
      $("top-routes"),
      routes.length
        ? routes.map((item) => html`<li><span class="mono">${item.routePath}</span><strong>${num(item.count)}</strong></li>`)
        : html`<li class="muted">No route activity in this window.</li>`,
    );
  }

  async function loadSummary() {
    renderSummary(await api("api/summary"));
  }

  async function loadMeta() {
    const meta = await api("api/meta");
    const envNode = $("env-name");
    if (!envNode.textContent.trim() && meta && meta.env) envNode.textContent = String(meta.env);
    if (meta) {
      $("manifest-info").textContent = `Manifest: ${meta.manifestMode} · ${num(meta.routes)} routes · ${num(meta.schedules)} schedules`;
    }
  }

  async function loadExtensions() {
    const payload = await api("api/extensions");
    const items = payload && Array.isArray(payload.extensions) ? payload.extensions : [];
    $("extensions-block").hidden = items.length === 0;
    setHtml(
      $("extensions"),
      items.map((item) => {
        const url = typeof item.docsUrl === "string" && /^https?:\/\//i.test(item.docsUrl) ? item.docsUrl : "";
        const label = url ? html`<a href="${url}" rel="noopener noreferrer" target="_blank">${item.label}</a>` : html`<strong>${item.label}</strong>`;
        return html`<li>${label}${item.description ? html` — ${item.description}` : ""}</li>`;
      }),
    );
  }

  function renderSecretsHealth(payload) {
    const node = $("secrets-health");
    if (!payload || payload.available === false) {
      setHtml(node, html`<p><span class="pill warn">unavailable</span> ${payload ? payload.reason : ""}</p>`);
      return;
    }
    const errors = Array.isArray(payload.errors) ? payload.errors : [];
    setHtml(
      node,
      html`<p>${payload.ok ? html`<span class="pill ok">configuration ok</span>` : html`<span class="pill bad">configuration errors</span>`}
        <span class="muted">${payload.worker || ""} ${payload.env ? `(${payload.env})` : ""}</span></p>
        ${errors.length ? html`<ul class="plain-list">${errors.map((err) => html`<li class="status-bad">${typeof err === "string" ? err : JSON.stringify(err)}</li>`)}</ul>` : ""}`,
    );
  }

  async function loadSecretsHealth() {
    renderSecretsHealth(await api("api/secrets-health"));
  }

  // ---------------------------------------------------------------- overview: timeline

  function renderTimeline(payload) {
    const chart = $("timeline-chart");
    const items = payload && Array.isArray(payload.buckets) ? payload.buckets : [];
    state.timeline.resolution = payload && payload.bucket === "minute" ? "minute" : "hour";
    state.timeline.items = items;
    state.timeline.detailCache.clear();
    if (!items.length) {
      setHtml(chart, html`<p class="muted">No runs in the last 24 hours.</p>`);
      $("timeline-labels").textContent = "";
      state.timeline.pinned = null;
      renderTimelineDetail(null);
      return;
    }
    chart.textContent = "";
    const maxTotal = Math.max(1, ...items.map((item) => num(item.total)));
    items.forEach((item) => {
      const bar = document.createElement("button");
      bar.type = "button";
      bar.className = "timeline-bar";
      bar.dataset.bucket = item.bucket;
      const total = num(item.total);
      if (total >= 4 && num(item.failed) / total >= 0.3) bar.classList.add("anomaly");
      bar.setAttribute(
        "aria-label",
        `${item.bucket}: ${num(item.succeeded)} succeeded, ${num(item.failed)} failed, ${num(item.running)} running, ${total} total`,
      );
      [
        ["ok", item.succeeded],
        ["bad", item.failed],
        ["warn", item.running],
      ].forEach(([kind, count]) => {
        const seg = document.createElement("span");
        seg.className = `seg ${kind}`;
        seg.style.height = `${Math.round((num(count) / maxTotal) * 100)}%`;
        bar.appendChild(seg);
      });
      chart.appendChild(bar);
    });
    setHtml($("timeline-labels"), html`<span>${items[0].bucket}</span><span>${items[items.length - 1].bucket}</span>`);
    if (state.timeline.pinned && items.some((item) => item.bucket === state.timeline.pinned)) {
      void showBucket(state.timeline.pinned, true);
    } else {
      state.timeline.pinned = null;
      markBars(null);
      renderTimelineDetail(null);
    }
  }

  function markBars(focusedBucket) {
    document.querySelectorAll(".timeline-bar").forEach((bar) => {
      bar.classList.toggle("focused", bar.dataset.bucket === focusedBucket);
      bar.classList.toggle("pinned", bar.dataset.bucket === state.timeline.pinned);
      bar.setAttribute("aria-pressed", bar.dataset.bucket === state.timeline.pinned ? "true" : "false");
    });
  }

  function renderTimelineDetail(detail, pinned) {
    const node = $("timeline-detail");
    if (!detail) {
      setHtml(node, html`<p class="muted">Hover or focus a bar to inspect a bucket; click to pin it.</p>`);
      return;
    }
    const counts = detail.statusCounts || {};
    const scopes = Array.isArray(detail.topScopes) ? detail.topScopes : [];
    const runs = Array.isArray(detail.runs) ? detail.runs : [];
    setHtml(
      node,
      html`<p><strong>${detail.bucket}</strong> <span class="muted">(${detail.resolution}${pinned ? ", pinned" : ""})</span></p>
        <p><span class="status-ok">${num(counts.succeeded)} ok</span> · <span class="status-bad">${num(counts.failed)} failed</span> ·
          <span class="status-warn">${num(counts.running)} running</span> · ${num(counts.total)} total</p>
        ${scopes.length ? html`<p class="muted">Failing scopes</p><ul>${scopes.map((s) => html`<li><span class="mono">${s.scope}</span> × ${num(s.count)}</li>`)}</ul>` : ""}
        ${runs.length ? html`<p class="muted">Runs</p><ul>${runs.slice(0, 8).map((run) => html`<li><button type="button" class="link" data-action="inspect" data-trace="${run.traceId}">${run.traceId}</button> ${pill(run.status)} <span class="mono">${scopeOf(run)}</span></li>`)}</ul>` : ""}`,
    );
  }

  async function showBucket(bucket, pin) {
    if (pin) state.timeline.pinned = bucket;
    markBars(bucket);
    const key = `${state.timeline.resolution}:${bucket}`;
    let detail = state.timeline.detailCache.get(key);
    if (!detail) {
      try {
        detail = await api(apiPath("timeline-detail", { bucket, resolution: state.timeline.resolution, limit: 120 }));
        state.timeline.detailCache.set(key, detail);
      } catch (error) {
        setHtml($("timeline-detail"), html`<p class="status-bad">Bucket detail failed: ${errorMessage(error)}</p>`);
        return;
      }
    }
    if (state.timeline.pinned && state.timeline.pinned !== bucket) return;
    renderTimelineDetail(detail, state.timeline.pinned === bucket);
  }

  function releaseHover() {
    if (state.timeline.pinned) {
      void showBucket(state.timeline.pinned, true);
      return;
    }
    markBars(null);
    renderTimelineDetail(null);
  }

  async function loadTimeline() {
    const bucket = $("timeline-bucket").value === "minute" ? "minute" : "hour";
    renderTimeline(await api(apiPath("timeline", { bucket })));
  }

  // ---------------------------------------------------------------- overview: error clusters

  function renderErrorClusters(payload) {
    const clusters = payload && Array.isArray(payload.clusters) ? payload.clusters : [];
    state.clusters = clusters;
    if (!clusters.length) {
      setHtml($("error-clusters"), html`<p class="muted">No failures in the last 24 hours.</p>`);
      setHtml($("incident-cards"), "");
      return;
    }
    setHtml(
      $("incident-cards"),
      clusters.slice(0, 3).map(
        (cluster) => html`<article class="incident-card">
          <h3>${num(cluster.count)} × failure in <span class="mono">${cluster.scope}</span></h3>
          <p class="cluster sample">${cluster.sample}</p>
          <p class="muted">Latest ${formatTs(cluster.latestAt)}</p>
          <button type="button" data-action="show-scope-failures" data-scope="${cluster.scope}">Show failed runs</button>
        </article>`,
      ),
    );
    setHtml(
      $("error-clusters"),
      clusters.map(
        (cluster) => html`<div class="cluster">
          <div><strong>${num(cluster.count)}</strong> × <span class="mono">${cluster.scope}</span> <span class="muted">latest ${formatTs(cluster.latestAt)}</span></div>
          <div class="key">${cluster.key}</div>
        </div>`,
      ),
    );
  }

  async function loadErrorClusters() {
    renderErrorClusters(await api(apiPath("error-clusters", { limit: 20 })));
  }

  // ---------------------------------------------------------------- incidents

  function renderIncidents() {
    const summary = state.summary || {};
    const total = num(summary.totalRuns);
    const failed = num(summary.failedRuns);
    const catalog = state.catalog || { routes: [], schedules: [] };
    const scopes = [
      ...(catalog.routes || []).map((r) => ({ scope: r.routePath, kind: "http_route", failed: num(r.failed), total: num(r.total) })),
      ...(catalog.schedules || []).map((s) => ({ scope: s.id, kind: "scheduled_job", failed: num(s.failed), total: num(s.total) })),
    ];
    const failing = scopes.filter((s) => s.failed > 0).sort((a, b) => b.failed - a.failed || b.total - a.total);
    const top = state.clusters[0];
    setHtml(
      $("incident-kpis"),
      cardsHtml([
        { label: "Failure Rate", value: total ? `${((failed / total) * 100).toFixed(1)}%` : "0.0%", className: failed ? "status-bad" : "status-ok" },
        { label: "Failing Scopes", value: failing.length, className: failing.length ? "status-bad" : "status-ok" },
        { label: "Running Now", value: num(summary.startedRuns), className: num(summary.startedRuns) ? "status-warn" : "" },
        { label: "Dead Letters", value: num(summary.deadLetters), className: num(summary.deadLetters) ? "status-bad" : "status-ok" },
        { label: "Top Error Cluster", value: top ? `${num(top.count)} hits` : "none", className: top ? "status-bad" : "status-ok" },
      ]),
    );
    setHtml(
      $("incident-hotspots"),
      failing.length
        ? failing.map(
            (s) => html`<tr><td class="mono">${s.scope}</td><td>${s.kind}</td><td class="status-bad">${s.failed}</td><td>${s.total}</td>
              <td>${s.total ? `${((s.failed / s.total) * 100).toFixed(1)}%` : "-"}</td>
              <td class="actions"><button type="button" data-action="show-scope-failures" data-scope="${s.scope}" data-kind="${s.kind}">Failed runs</button></td></tr>`,
          )
        : emptyRow(6, "No failing routes or schedules in the last 24 hours."),
    );
    setHtml(
      $("incident-failed-runs"),
      state.failedRuns.length
        ? state.failedRuns.map(
            (run) => html`<tr><td><button type="button" class="link" data-action="inspect" data-trace="${run.traceId}">${run.traceId}</button></td>
              <td class="mono">${scopeOf(run)}</td><td>${formatTs(run.startedAt)}</td><td class="error-text">${run.error || "-"}</td>
              <td class="actions"><button type="button" class="danger" data-action="retry" data-trace="${run.traceId}">Retry</button></td></tr>`,
          )
        : emptyRow(5, "No failed runs."),
    );
  }

  async function loadFailedRuns() {
    const payload = await api(apiPath("runs", { status: "failed", limit: 20 }));
    state.failedRuns = payload && Array.isArray(payload.runs) ? payload.runs : [];
  }

  // ---------------------------------------------------------------- catalog: routes, flows, crons

  function renderCatalog(catalog) {
    state.catalog = catalog;
    const routes = Array.isArray(catalog.routes) ? catalog.routes : [];
    const flows = Array.isArray(catalog.flows) ? catalog.flows : [];
    const schedules = Array.isArray(catalog.schedules) ? catalog.schedules : [];
    setHtml(
      $("routes-body"),
      routes.length
        ? routes.map(
            (route) => html`<tr><td class="mono">${route.routePath}</td><td>${route.requestType}</td><td class="mono">${route.flowPath}</td>
              <td>${route.wrapBody ? "yes" : "no"}</td><td>${triplet(route)}</td><td>${num(route.total)}</td>
              <td class="actions"><button type="button" data-action="route-detail" data-route="${route.routePath}">Open</button></td></tr>`,
          )
        : emptyRow(7, "No routes in the manifest."),
    );
    setHtml(
      $("flows-body"),
      flows.length
        ? flows.map(
            (flow) => html`<tr><td class="mono">${flow.flowPath}</td><td class="mono">${(flow.httpRoutes || []).join(", ") || "-"}</td>
              <td class="mono">${(flow.schedules || []).join(", ") || "-"}</td><td>${triplet(flow)}</td><td>${num(flow.total)}</td></tr>`,
          )
        : emptyRow(5, "No flows."),
    );
    setHtml(
      $("crons-body"),
      schedules.length
        ? schedules.map(
            (s) => html`<tr><td class="mono">${s.id}</td><td class="mono">${s.cron}</td><td class="mono">${s.target}</td><td>${s.timeZone || "UTC"}</td>
              <td>${s.enabled ? html`<span class="pill ok">enabled</span>` : html`<span class="pill">disabled</span>`}</td>
              <td>${triplet(s)}</td><td>${num(s.total)}</td>
              <td class="actions"><button type="button" data-action="cron-detail" data-schedule="${s.id}">Details</button>
                <button type="button" data-action="cron-run" data-schedule="${s.id}" ${s.enabled ? "" : new SafeHtml("disabled")}>Run now</button></td></tr>`,
          )
        : emptyRow(8, "No schedules in the manifest."),
    );
  }

  async function loadCatalog() {
    renderCatalog(await api("api/catalog"));
  }

  function metricsList(metrics, keys) {
    return html`<dl class="kv">${keys.map(([key, label, isTime]) => html`<dt>${label}</dt><dd>${isTime ? formatTs(metrics[key]) : metrics[key] ?? "-"}</dd>`)}</dl>`;
  }

  function recentRunsTable(runs) {
    return html`<div class="table-wrap"><table><thead><tr><th scope="col">Trace</th><th scope="col">Status</th><th scope="col">Started</th><th scope="col">Duration</th></tr></thead>
      <tbody>${runs.length ? runs.map((run) => html`<tr><td><button type="button" class="link" data-action="inspect" data-trace="${run.traceId}">${run.traceId}</button></td><td>${pill(run.status)}</td><td>${formatTs(run.startedAt)}</td><td>${run.duration || "-"}</td></tr>`) : emptyRow(4, "No runs yet.")}</tbody></table></div>`;
  }

  async function openRouteDetail(routePath) {
    openDrawer(`Route ${routePath}`, html`<p class="muted">Loading…</p>`);
    try {
      const detail = await api(`api/route-detail/${segment(routePath)}`);
      const metrics = detail.metrics || {};
      const clusters = Array.isArray(detail.errorClusters) ? detail.errorClusters : [];
      setHtml(
        $("drawer-body"),
        html`${metricsList(metrics, [
          ["total", "Total"], ["succeeded", "Succeeded"], ["failed", "Failed"], ["started", "Running"],
          ["p95Duration", "p95 duration"], ["lastSuccessAt", "Last success", true], ["lastFailureAt", "Last failure", true],
        ])}
        <h3>Definition</h3><pre class="code">${JSON.stringify(detail.route, null, 2)}</pre>
        <h3>Top errors</h3>
        ${clusters.length ? html`<ul class="plain-list">${clusters.map((c) => html`<li><strong>${num(c.count)}</strong> × <span class="status-bad">${c.sample}</span></li>`)}</ul>` : html`<p class="muted">No errors.</p>`}
        <h3>Recent runs</h3>${recentRunsTable(Array.isArray(detail.recentRuns) ? detail.recentRuns : [])}`,
      );
    } catch (error) {
      setHtml($("drawer-body"), html`<p class="status-bad">Route detail failed: ${errorMessage(error)}</p>`);
    }
  }

  async function openCronDetail(scheduleId) {
    openDrawer(`Schedule ${scheduleId}`, html`<p class="muted">Loading…</p>`);
    try {
      const detail = await api(`api/cron-detail/${segment(scheduleId)}`);
      const metrics = detail.metrics || {};
      const enabled = detail.schedule && detail.schedule.enabled;
      setHtml(
        $("drawer-body"),
        html`${metricsList(metrics, [
          ["total", "Total"], ["succeeded", "Succeeded"], ["failed", "Failed"], ["started", "Running"],
          ["p95Duration", "p95 duration"], ["lastRunAt", "Last run", true], ["lastSuccessAt", "Last success", true],
          ["lastFailureAt", "Last failure", true], ["lastFailureError", "Last failure error"], ["nextRunAt", "Next run (estimate)", true],
        ])}
        <p><button type="button" data-action="cron-run" data-schedule="${scheduleId}" ${enabled ? "" : new SafeHtml("disabled")}>Run now</button></p>
        <h3>Definition</h3><pre class="code">${JSON.stringify(detail.schedule, null, 2)}</pre>
        <h3>Recent runs</h3>${recentRunsTable(Array.isArray(detail.recentRuns) ? detail.recentRuns : [])}`,
      );
    } catch (error) {
      setHtml($("drawer-body"), html`<p class="status-bad">Schedule detail failed: ${errorMessage(error)}</p>`);
    }
  }

  async function runCronNow(scheduleId, button) {
    if (button) button.disabled = true;
    try {
      const result = await api(`api/cron-run/${segment(scheduleId)}`, { method: "POST" });
      showActionResult(html`Schedule <code>${scheduleId}</code> queued as trace <code data-new-trace="${result.traceId}">${result.traceId}</code>.`);
    } catch (error) {
      showActionResult(html`Run now for <code>${scheduleId}</code> failed: ${errorMessage(error)}`, true);
    } finally {
      if (button) button.disabled = false;
    }
  }

  // ---------------------------------------------------------------- runs

  function runFilters() {
    return {
      status: $("runs-status").value,
      kind: $("runs-kind").value,
      routePath: $("runs-route").value,
      scheduleId: $("runs-schedule").value,
      limit: $("runs-limit").value || "80",
    };
  }

  function markPreset() {
    const f = runFilters();
    let active = null;
    if (!f.status && !f.kind && !f.routePath.trim() && !f.scheduleId.trim()) active = "all";
    else if (f.status === "failed" && !f.kind) active = "failed";
    else if (f.status === "started" && !f.kind) active = "running";
    else if (!f.status && f.kind === "http_route") active = "http";
    else if (!f.status && f.kind === "scheduled_job") active = "cron";
    document.querySelectorAll(".preset").forEach((button) => {
      button.setAttribute("aria-pressed", button.dataset.preset === active ? "true" : "false");
    });
  }

  function renderRuns() {
    const runs = state.runs;
    $("runs-count").textContent = `${runs.length} loaded`;
    const counts = { succeeded: 0, failed: 0, running: 0 };
    runs.forEach((run) => {
      if (run.status === "succeeded") counts.succeeded += 1;
      else if (run.status === "failed") counts.failed += 1;
      else if (run.status === "started" || run.status === "running") counts.running += 1;
    });
    setHtml(
      $("runs-kpis"),
      cardsHtml([
        { label: "Loaded", value: runs.length },
        { label: "Succeeded", value: counts.succeeded, className: "status-ok" },
        { label: "Failed", value: counts.failed, className: counts.failed ? "status-bad" : "" },
        { label: "Running", value: counts.running, className: "status-warn" },
      ]),
    );
    setHtml(
      $("runs-body"),
      runs.length
        ? runs.map(
            (run) => html`<tr class="${run.traceId === state.selectedTrace ? "selected" : ""}" data-trace-row="${run.traceId}">
              <td><button type="button" class="link" data-action="inspect" data-trace="${run.traceId}">${run.traceId}</button></td>
              <td>${run.kind}</td><td class="mono">${scopeOf(run)}</td><td>${pill(run.status)}</td>
              <td>${formatTs(run.startedAt)}</td><td>${run.duration || "-"}</td>
              <td class="actions">${run.status === "failed" ? html`<button type="button" class="danger" data-action="retry" data-trace="${run.traceId}" aria-label="Retry ${run.traceId}">Retry</button>` : ""}</td></tr>`,
          )
        : emptyRow(7, "No runs match these filters."),
    );
  }

  async function loadRuns() {
    markPreset();
    const payload = await api(apiPath("runs", runFilters()));
    state.runs = payload && Array.isArray(payload.runs) ? payload.runs : [];
    renderRuns();
  }

  async function loadRunsSafely() {
    writeUrlState();
    try {
      await loadRuns();
    } catch (error) {
      setHtml($("runs-body"), emptyRow(7, `Runs failed to load: ${errorMessage(error)}`));
    }
  }

  function applyPreset(name) {
    const presets = {
      all: ["", ""],
      failed: ["failed", ""],
      http: ["", "http_route"],
      cron: ["", "scheduled_job"],
      running: ["started", ""],
    };
    const [status, kind] = presets[name] || presets.all;
    $("runs-status").value = status;
    $("runs-kind").value = kind;
    $("runs-route").value = "";
    $("runs-schedule").value = "";
    void loadRunsSafely();
  }

  function setInspectorTab(tab, focus) {
    state.inspectorTab = INSPECTOR_TABS.includes(tab) ? tab : "overview";
    document.querySelectorAll("#inspector-tabs [role=tab]").forEach((button) => {
      const active = button.dataset.itab === state.inspectorTab;
      button.setAttribute("aria-selected", active ? "true" : "false");
      button.tabIndex = active ? 0 : -1;
      if (active && focus) button.focus();
    });
    renderInspector();
    writeUrlState();
  }

  function renderInspector() {
    const body = $("inspector-body");
    const detail = state.runDetail;
    const run = detail && detail.run;
    $("inspector-title").textContent = run ? `Run Inspector: ${run.traceId}` : "Run Inspector";
    if (!run) {
      setHtml(body, html`<p class="muted">${state.selectedTrace ? "Loading run detail…" : "Select a run to inspect it."}</p>`);
      return;
    }
    const retryButton = run.status === "failed" || detail.deadLetter
      ? html`<p><button type="button" class="danger" data-action="retry" data-trace="${run.traceId}">Retry this run</button></p>`
      : "";
    const tab = state.inspectorTab;
    if (tab === "overview") {
      setHtml(
        body,
        html`<dl class="kv"><dt>Trace</dt><dd class="mono">${run.traceId}</dd><dt>Kind</dt><dd>${run.kind}</dd>
          <dt>Scope</dt><dd class="mono">${scopeOf(run)}</dd><dt>Status</dt><dd>${pill(run.status)}</dd>
          <dt>Started</dt><dd>${formatTs(run.startedAt)}</dd><dt>Finished</dt><dd>${formatTs(run.finishedAt)}</dd>
          <dt>Duration</dt><dd>${run.duration || "-"}</dd>
          <dt>Dead letter</dt><dd>${detail.deadLetter ? `#${detail.deadLetter.id} at ${formatTs(detail.deadLetter.createdAt)}` : "none"}</dd></dl>${retryButton}`,
      );
    } else if (tab === "input") {
      const payload = detail.deadLetter && detail.deadLetter.payloadJson;
      setHtml(body, payload ? html`<pre class="code">${prettyJson(payload)}</pre>` : html`<p class="muted">The input is only kept for dead-lettered runs.</p>`);
    } else if (tab === "output") {
      setHtml(body, run.output ? html`<pre class="code">${prettyJson(run.output)}</pre>` : html`<p class="muted">No output captured.</p>`);
    } else if (tab === "error") {
      setHtml(body, run.error ? html`<pre class="code">${run.error}</pre>${retryButton}` : html`<p class="muted">No error for this run.</p>`);
    } else {
      const retries = detail.retries || {};
      const attempts = Array.isArray(retries.attempts) ? retries.attempts : [];
      setHtml(
        body,
        attempts.length
          ? html`<p class="muted">Parent <span class="mono">${retries.parentTraceId}</span></p>
            <div class="table-wrap"><table><thead><tr><th scope="col">#</th><th scope="col">Child trace</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
            <tbody>${attempts.map((a) => html`<tr><td>${a.retryCount}</td><td><button type="button" class="link" data-action="inspect" data-trace="${a.childTraceId}">${a.childTraceId}</button></td><td>${pill(a.childStatus)}</td><td>${formatTs(a.createdAt)}</td></tr>`)}</tbody></table></div>${retryButton}`
          : html`<p class="muted">No retries recorded for this trace.</p>${retryButton}`,
      );
    }
  }

  function prettyJson(text) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (_error) {
      return String(text);
    }
  }

  async function selectRun(traceId, openRunsTab) {
    state.selectedTrace = traceId;
    state.runDetail = null;
    if (openRunsTab) setActiveTab("runs");
    document.querySelectorAll("#runs-body tr[data-trace-row]").forEach((row) => {
      row.classList.toggle("selected", row.dataset.traceRow === traceId);
    });
    renderInspector();
    writeUrlState();
    try {
      const detail = await api(`api/run-detail/${segment(traceId)}`);
      if (state.selectedTrace !== traceId) return;
      state.runDetail = detail;
      renderInspector();
    } catch (error) {
      if (state.selectedTrace !== traceId) return;
      setHtml($("inspector-body"), html`<p class="status-bad">Run detail failed: ${errorMessage(error)}</p>`);
    }
  }

  // ---------------------------------------------------------------- retry (runs, incidents, dead letters)

  async function retryTrace(traceId, button) {
    const buttons = document.querySelectorAll(`[data-action="retry"][data-trace="${CSS.escape(traceId)}"]`);
    buttons.forEach((b) => {
      b.disabled = true;
    });
    if (button) button.textContent = "Retrying…";
    try {
      const result = await api(`api/retry/${segment(traceId)}`, { method: "POST" });
      showActionResult(
        html`Retry accepted for <code>${traceId}</code>: new trace <code data-new-trace="${result.newTraceId}">${result.newTraceId}</code>${result.retryCount !== null && result.retryCount !== undefined ? ` (retry #${result.retryCount})` : ""}.`,
      );
      document.querySelectorAll(`[data-retry-result="${CSS.escape(traceId)}"]`).forEach((node) => {
        node.textContent = `→ ${result.newTraceId}`;
      });
      void Promise.allSettled([loadReplays(), loadDeadLetters(), loadSummary()]);
      window.setTimeout(() => void loadRunsSafely(), 1500);
    } catch (error) {
      showActionResult(html`Retry of <code>${traceId}</code> failed: ${errorMessage(error)}`, true);
    } finally {
      buttons.forEach((b) => {
        b.disabled = false;
        if (b.textContent === "Retrying…") b.textContent = "Retry";
      });
    }
  }

  // ---------------------------------------------------------------- dead letters and replays

  function renderDeadLetters(payload) {
    const items = payload && Array.isArray(payload.deadLetters) ? payload.deadLetters : [];
    setHtml(
      $("dead-letters-body"),
      items.length
        ? items.map(
            (item) => html`<tr><td>${item.id}</td>
              <td><button type="button" class="link" data-action="inspect" data-trace="${item.traceId}">${item.traceId}</button>
                <div class="muted mono" data-retry-result="${item.traceId}"></div></td>
              <td>${formatTs(item.createdAt)}</td><td class="error-text">${item.error}</td>
              <td class="actions"><button type="button" class="danger" data-action="retry" data-trace="${item.traceId}" aria-label="Retry ${item.traceId}">Retry</button></td></tr>`,
          )
        : emptyRow(5, "No dead letters."),
    );
  }

  async function loadDeadLetters() {
    renderDeadLetters(await api(apiPath("dead-letters", { limit: $("dead-letters-limit").value || "50" })));
  }

  function renderReplays(payload) {
    const chains = payload && Array.isArray(payload.chains) ? payload.chains : [];
    const warning = $("replays-warning");
    warning.hidden = !(payload && payload.warning);
    warning.textContent = payload && payload.warning ? payload.warning : "";
    const rows = [];
    chains.forEach((chain) => {
      (chain.attempts || []).forEach((attempt, index) => {
        rows.push(html`<tr>
          <td>${index === 0 ? html`<button type="button" class="link" data-action="inspect" data-trace="${chain.parentTraceId}">${chain.parentTraceId}</button>` : ""}</td>
          <td>${index === 0 ? pill(chain.parentStatus) : ""}</td>
          <td>${attempt.retryCount}</td>
          <td><button type="button" class="link" data-action="inspect" data-trace="${attempt.childTraceId}">${attempt.childTraceId}</button></td>
          <td>${pill(attempt.childStatus)}</td><td>${attempt.sourceDeadLetterId ?? "-"}</td>
          <td>${formatTs(attempt.createdAt)}</td><td class="error-text">${attempt.childError || ""}</td></tr>`);
      });
    });
    setHtml($("replays-body"), rows.length ? rows : emptyRow(8, "No replays yet."));
  }

  async function loadReplays() {
    renderReplays(await api(apiPath("replays", { limit: $("replays-limit").value || "100" })));
  }

  // ---------------------------------------------------------------- drawer

  function openDrawer(title, content) {
    if ($("drawer").hidden) state.drawerReturnFocus = document.activeElement;
    $("drawer-title").textContent = title;
    setHtml($("drawer-body"), content);
    $("drawer").hidden = false;
    $("drawer-backdrop").hidden = false;
    $("drawer-close").focus();
  }

  function closeDrawer() {
    if ($("drawer").hidden) return;
    $("drawer").hidden = true;
    $("drawer-backdrop").hidden = true;
    const target = state.drawerReturnFocus;
    state.drawerReturnFocus = null;
    if (target && typeof target.focus === "function" && document.contains(target)) target.focus();
  }

  // The drawer is modal: Tab and Shift+Tab cycle through its controls.
  function keepFocusInDrawer(event) {
    const focusable = Array.from($("drawer").querySelectorAll("button:not([disabled]), a[href], input, select"));
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    const inside = $("drawer").contains(document.activeElement);
    if (event.shiftKey && (document.activeElement === first || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  }

  // ---------------------------------------------------------------- refresh

  function updateLastRefresh() {
    $("last-refresh").textContent = `Refreshed: ${new Date().toLocaleTimeString()}`;
  }

  async function refreshAll() {
    if (state.incidentMode) $("runs-status").value = "failed";
    setBanner("Refreshing dashboard data…", "");
    // One probe first: without a valid token it is the only request that fails (one 401, not ten).
    const failed = [];
    try {
      await loadMeta();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setBanner("Authentication required: enter the dashboard token to load the panels.", "warn");
        return;
      }
      failed.push(`meta: ${errorMessage(error)}`);
    }
    hideAuthPrompt();
    const jobs = [
      ["summary", loadSummary],
      ["catalog", loadCatalog],
      ["runs", loadRuns],
      ["dead letters", loadDeadLetters],
      ["replays", loadReplays],
      ["timeline", loadTimeline],
      ["error clusters", loadErrorClusters],
      ["secrets", loadSecretsHealth],
      ["incident failed runs", loadFailedRuns],
      ["extensions", loadExtensions],
    ];
    const results = await Promise.allSettled(jobs.map(([, job]) => job()));
    results.forEach((result, index) => {
      if (result.status === "rejected") failed.push(`${jobs[index][0]}: ${errorMessage(result.reason)}`);
    });
    updateLastRefresh();
    renderIncidents();
    if (state.selectedTrace && !state.runDetail) void selectRun(state.selectedTrace, false);
    if (state.authNeeded) {
      setBanner("Authentication required: enter the dashboard token to load the panels.", "warn");
    } else if (failed.length) {
      setBanner(`Partial refresh. Failed panels: ${failed.join(" | ")}`, "error");
    } else {
      setBanner("Dashboard is healthy. All panels refreshed.", "ok");
    }
  }

  async function reloadPanel(loader, label) {
    try {
      await loader();
      renderIncidents();
    } catch (error) {
      setBanner(`${label} failed: ${errorMessage(error)}`, "error");
    }
  }

  // ---------------------------------------------------------------- wiring

  function onAction(event) {
    const target = event.target instanceof Element ? event.target.closest("[data-action]") : null;
    if (!target || target.disabled) return;
    const action = target.dataset.action;
    if (action === "inspect") {
      closeDrawer();
      void selectRun(target.dataset.trace, true);
    } else if (action === "retry") {
      void retryTrace(target.dataset.trace, target);
    } else if (action === "route-detail") {
      void openRouteDetail(target.dataset.route);
    } else if (action === "cron-detail") {
      void openCronDetail(target.dataset.schedule);
    } else if (action === "cron-run") {
      void runCronNow(target.dataset.schedule, target);
    } else if (action === "show-scope-failures") {
      const scope = target.dataset.scope || "";
      const isSchedule = target.dataset.kind === "scheduled_job" || (state.catalog && (state.catalog.schedules || []).some((s) => s.id === scope));
      $("runs-status").value = "failed";
      $("runs-kind").value = "";
      $("runs-route").value = isSchedule ? "" : scope;
      $("runs-schedule").value = isSchedule ? scope : "";
      setActiveTab("runs");
      void loadRunsSafely();
    }
  }

  function wire() {
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("token-input").value.trim();
      writeToken(value);
      $("token-input").value = "";
      void refreshAll();
    });
    $("token-clear").addEventListener("click", () => {
      writeToken("");
      void refreshAll();
    });
    $("auth-prompt-focus").addEventListener("click", focusTokenField);
    $("refresh-all").addEventListener("click", () => void refreshAll());
    $("incident-toggle").addEventListener("change", (event) => {
      state.incidentMode = Boolean(event.target.checked);
      if (state.incidentMode) setActiveTab("incidents");
      void refreshAll();
    });

    const tabs = $("tabs");
    tabs.addEventListener("click", (event) => {
      const button = event.target instanceof Element ? event.target.closest("[role=tab]") : null;
      if (button) setActiveTab(button.dataset.tab);
    });
    tabKeyNavigation(tabs, "[role=tab]", (button) => setActiveTab(button.dataset.tab, true));
    const itabs = $("inspector-tabs");
    itabs.addEventListener("click", (event) => {
      const button = event.target instanceof Element ? event.target.closest("[role=tab]") : null;
      if (button) setInspectorTab(button.dataset.itab);
    });
    tabKeyNavigation(itabs, "[role=tab]", (button) => setInspectorTab(button.dataset.itab, true));

    $("runs-filters").addEventListener("submit", (event) => {
      event.preventDefault();
      void loadRunsSafely();
    });
    ["runs-status", "runs-kind"].forEach((id) => $(id).addEventListener("change", () => void loadRunsSafely()));
    ["runs-route", "runs-schedule", "runs-limit"].forEach((id) => $(id).addEventListener("change", writeUrlState));
    document.querySelectorAll(".preset").forEach((button) => {
      button.addEventListener("click", () => applyPreset(button.dataset.preset));
    });
    $("dead-letters-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void reloadPanel(loadDeadLetters, "Dead letters");
    });
    $("replays-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void reloadPanel(loadReplays, "Replays");
    });
    $("refresh-secrets").addEventListener("click", () => void reloadPanel(loadSecretsHealth, "Secrets health"));
    $("refresh-clusters").addEventListener("click", () => void reloadPanel(loadErrorClusters, "Error clusters"));
    $("refresh-routes").addEventListener("click", () => void reloadPanel(loadCatalog, "Catalog"));
    $("refresh-crons").addEventListener("click", () => void reloadPanel(loadCatalog, "Catalog"));
    $("refresh-incidents").addEventListener("click", () =>
      void reloadPanel(() => Promise.all([loadSummary(), loadCatalog(), loadErrorClusters(), loadFailedRuns()]), "Incident data"),
    );
    $("refresh-timeline").addEventListener("click", () => void reloadPanel(loadTimeline, "Timeline"));
    $("timeline-bucket").addEventListener("change", () => {
      state.timeline.pinned = null;
      writeUrlState();
      void reloadPanel(loadTimeline, "Timeline");
    });

    const chart = $("timeline-chart");
    chart.addEventListener("click", (event) => {
      const bar = event.target instanceof Element ? event.target.closest(".timeline-bar") : null;
      if (!bar) return;
      if (state.timeline.pinned === bar.dataset.bucket) {
        state.timeline.pinned = null;
        releaseHover();
      } else {
        void showBucket(bar.dataset.bucket, true);
      }
    });
    const preview = (event) => {
      const bar = event.target instanceof Element ? event.target.closest(".timeline-bar") : null;
      if (!bar || state.timeline.pinned) return;
      window.clearTimeout(state.timeline.hoverTimer);
      state.timeline.hoverTimer = window.setTimeout(() => void showBucket(bar.dataset.bucket, false), 120);
    };
    chart.addEventListener("mouseover", preview);
    chart.addEventListener("focusin", preview);
    chart.addEventListener("mouseleave", () => {
      window.clearTimeout(state.timeline.hoverTimer);
      releaseHover();
    });

    document.addEventListener("click", onAction);
    $("drawer-close").addEventListener("click", closeDrawer);
    $("drawer-backdrop").addEventListener("click", closeDrawer);
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeDrawer();
      if (event.key === "Tab" && !$("drawer").hidden) keepFocusInDrawer(event);
    });
  }

  function start() {
    readUrlState();
    wire();
    renderTokenState();
    setActiveTab(state.tab);
    setInspectorTab(state.inspectorTab);
    markPreset();
    void refreshAll();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
