// secretome registry: progressive enhancement only (every page works without it).
// Loaded from /static, never inline, so the Content-Security-Policy can forbid inline scripts.
"use strict";

function uploadWithProgress(form) {
  const bar = document.getElementById("upload-progress");
  const error = document.getElementById("upload-error");
  const limit = Number(form.dataset.maxBytes || 0);
  const drop = document.getElementById("drop-zone");
  const tableInput = document.getElementById("table-input");
  if (drop && tableInput) {
    ["dragenter", "dragover"].forEach((name) => drop.addEventListener(name, (event) => {
      event.preventDefault(); drop.classList.add("over");
    }));
    ["dragleave", "drop"].forEach((name) => drop.addEventListener(name, (event) => {
      event.preventDefault(); drop.classList.remove("over");
    }));
    drop.addEventListener("drop", (event) => {
      if (event.dataTransfer && event.dataTransfer.files.length) {
        tableInput.files = event.dataTransfer.files;
        document.getElementById("table-name").textContent = event.dataTransfer.files[0].name;
      }
    });
  }
  form.addEventListener("submit", (event) => {
    const files = [...form.querySelectorAll("input[type=file]")].flatMap((input) => [...input.files]);
    const size = files.reduce((total, file) => total + file.size, 0);
    if (limit && size > limit) {
      event.preventDefault();
      error.textContent = `The files are larger than the limit of ${Math.round(limit / 1048576)} MiB.`;
      error.hidden = false;
      return;
    }
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    bar.hidden = false;
    request.upload.addEventListener("progress", (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; });
    request.addEventListener("load", () => {
      if (request.status < 400 && request.responseURL) { window.location.assign(request.responseURL); return; }
      const page = new DOMParser().parseFromString(request.responseText, "text/html");
      const message = page.getElementById("error-message");
      error.textContent = message ? message.textContent : `upload failed (${request.status})`;
      error.hidden = false;
    });
    request.addEventListener("error", () => { error.textContent = "the upload was interrupted"; error.hidden = false; });
    request.send(new FormData(form));
  });
}

function followRun(box) {
  const status = document.getElementById("run-status");
  const step = document.getElementById("run-step");
  const bar = document.getElementById("run-bar");
  const error = document.getElementById("run-error");
  const log = document.getElementById("run-log");
  async function poll() {
    const response = await fetch(box.dataset.statusUrl, { credentials: "same-origin" });
    if (!response.ok) return;
    const run = await response.json();
    status.textContent = run.status;
    status.className = `run-status ${run.status}`;
    step.textContent = run.step || "";
    bar.value = run.progress || 0;
    if (log) log.textContent = run.log;
    if (run.error) { error.textContent = run.error; error.hidden = false; }
    if (run.status === "done" || run.status === "failed") { window.location.reload(); return; }
    window.setTimeout(poll, 1000);
  }
  if (box.dataset.status === "queued" || box.dataset.status === "running") window.setTimeout(poll, 500);
}

function drawTrend() {
  const data = document.getElementById("trend-data");
  const select = document.getElementById("trend-metric");
  const target = document.getElementById("trend-plot");
  if (!data || !select || !target || typeof Plotly === "undefined") return;
  const trend = JSON.parse(data.textContent);
  function draw() {
    const series = trend.series[Number(select.value)];
    const points = series.points;
    const x = points.map((p) => p.lot);
    const traces = [{
      type: "scatter", mode: "lines+markers", name: series.metric, x, y: points.map((p) => p.value),
      text: points.map((p) => p.status), marker: { size: 10, color: points.map((p) => (p.lot === trend.lot ? "#d62728" : (p.status === "released" ? "#2ca02c" : "#1f77b4"))) },
    }];
    const lines = [["center", "centre (released)", "solid"], ["upper", "upper control limit", "dash"], ["lower", "lower control limit", "dash"]];
    for (const [key, label, dash] of lines) {
      const value = series.limits[key];
      if (value !== null && value !== undefined) traces.push({ type: "scatter", mode: "lines", name: label, x, y: x.map(() => value), line: { dash, color: "#555" } });
    }
    Plotly.react(target, traces, { margin: { t: 30, l: 60, r: 20, b: 60 }, xaxis: { type: "category", title: "lot" }, yaxis: { title: series.metric }, template: "plotly_white", height: 360 },
      { displaylogo: false, showSendToCloud: false, showLink: false, responsive: true });
  }
  select.addEventListener("change", draw);
  draw();
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("upload-form");
  if (form) uploadWithProgress(form);
  const box = document.getElementById("run-progress");
  if (box) followRun(box);
  drawTrend();
});
