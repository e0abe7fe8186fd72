/**
 * The dashboard's browser script, as a string (it ships inside the built CLI,
 * no asset copying). Plain ES2020, no template literals: they would clash
 * with this module's own. It polls /v1/rein/registry every 500 ms (simpler
 * than a push channel and cheap: one inspect() round trip), renders with
 * textContent only, and sends the key from sessionStorage as a Bearer token.
 */
export const DASHBOARD_SCRIPT = String.raw`
const POLL_MS = 500;
const keyRequired = document.body.dataset.keyRequired === "true";
const $ = (selector) => document.querySelector(selector);
let apiKey = sessionStorage.getItem("rein-api-key") || "";
let current = null; // { requestId, controller }
let pollTimer = null;

function headers(extra) {
  const result = Object.assign({}, extra || {});
  if (apiKey) result.authorization = "Bearer " + apiKey;
  return result;
}

function setStatus(text, isError) {
  const status = $("#status");
  status.textContent = text;
  status.className = isError ? "error" : "";
}

function askForKey(message) {
  $("#key-form").classList.remove("hidden");
  setStatus(message, true);
}

$("#key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  apiKey = $("#api-key").value.trim();
  sessionStorage.setItem("rein-api-key", apiKey);
  $("#key-form").classList.add("hidden");
  poll();
});

async function api(method, path, body, signal) {
  const response = await fetch(path, { method, signal, headers: headers(body ? { "content-type": "application/json" } : {}), body: body ? JSON.stringify(body) : undefined });
  if (response.status === 401) {
    askForKey("The server needs an API key.");
    throw new Error("unauthorized");
  }
  return response;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function button(label, className, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  element.className = className;
  element.addEventListener("click", onClick);
  return element;
}

function megabytes(bytes) {
  return (bytes / 1048576).toFixed(1) + " MB";
}

function render(view) {
  const models = $("#model-rows");
  models.replaceChildren();
  const select = $("#model");
  const chosen = select.value;
  if (select.options.length !== view.models.length) {
    select.replaceChildren();
    for (const model of view.models) {
      const option = document.createElement("option");
      option.value = model.name;
      option.textContent = model.name;
      select.appendChild(option);
    }
    if (chosen) select.value = chosen;
  }
  for (const model of view.models) {
    const row = document.createElement("tr");
    row.dataset.model = model.name;
    cell(row, model.name);
    cell(row, String(model.running), "running");
    cell(row, String(model.queued), "queued");
    cell(row, String(model.parallel));
    const actions = cell(row, "");
    actions.appendChild(button("Cancel all on this model", "cancel-model", () => cancelModel(model.name)));
    models.appendChild(row);
  }
  $("#memory").textContent = "rss " + megabytes(view.memory.rss) + ", heap " + megabytes(view.memory.heapUsed) + " (pid " + view.pid + ")";
  const rows = $("#request-rows");
  rows.replaceChildren();
  for (const request of view.requests) {
    const row = document.createElement("tr");
    row.dataset.requestId = request.requestId;
    row.dataset.state = request.state;
    cell(row, request.requestId, "id");
    cell(row, request.kind, "kind");
    cell(row, request.model || "-", "model");
    cell(row, request.state, "state");
    cell(row, request.ageMs === null ? "-" : (request.ageMs / 1000).toFixed(1) + " s", "age");
    cell(row, request.queuePosition === null ? "-" : "#" + request.queuePosition, "queue-position");
    const actions = cell(row, "");
    actions.appendChild(button("Cancel", "cancel", () => cancelRequest(request.requestId)));
    rows.appendChild(row);
  }
  $("#no-requests").classList.toggle("hidden", view.requests.length > 0);
}

async function poll() {
  clearTimeout(pollTimer);
  try {
    const response = await api("GET", "/v1/rein/registry");
    if (!response.ok) throw new Error("registry: HTTP " + response.status);
    render(await response.json());
    setStatus("live, updated " + new Date().toLocaleTimeString(), false);
  } catch (error) {
    if (error.message !== "unauthorized") setStatus(String(error.message || error), true);
    if (error.message === "unauthorized") return; // wait for the key
  }
  pollTimer = setTimeout(poll, POLL_MS);
}

async function cancelRequest(requestId) {
  const response = await api("POST", "/v1/requests/" + requestId + "/cancel");
  const result = await response.json();
  setStatus("cancelled " + result.cancelled, false);
  poll();
}

async function cancelModel(name) {
  const response = await api("POST", "/v1/rein/models/" + encodeURIComponent(name) + "/cancel");
  const result = await response.json();
  setStatus("cancelled " + result.cancelled + " on " + name, false);
  poll();
}

function setAnswerState(state) {
  $("#answer").dataset.state = state;
  $("#send").disabled = state === "streaming";
  $("#stop").disabled = state !== "streaming";
}

async function send() {
  const answer = $("#answer");
  answer.textContent = "";
  $("#request-id").textContent = "";
  const controller = new AbortController();
  current = { requestId: null, controller };
  setAnswerState("streaming");
  let finalState = "done";
  try {
    const response = await api("POST", "/v1/chat/completions", {
      model: $("#model").value,
      stream: true,
      max_tokens: Number($("#max-tokens").value) || 256,
      messages: [{ role: "user", content: $("#prompt").value }],
    }, controller.signal);
    current.requestId = response.headers.get("x-request-id");
    $("#request-id").textContent = current.requestId || "";
    if (!response.ok) {
      const failure = await response.json();
      throw new Error(failure.error ? failure.error.message : "HTTP " + response.status);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (!line.startsWith("data: ")) continue;
        const data = line.slice(6);
        if (data === "[DONE]") continue;
        const chunk = JSON.parse(data);
        if (chunk.error) {
          if (chunk.error.code === "request_cancelled") finalState = "stopped";
          else throw new Error(chunk.error.message);
        } else if (chunk.choices && chunk.choices[0] && chunk.choices[0].delta.content) {
          answer.textContent += chunk.choices[0].delta.content;
        }
      }
    }
  } catch (error) {
    if (error.name === "AbortError") finalState = "stopped";
    else {
      finalState = "error";
      setStatus(String(error.message || error), true);
    }
  }
  current = null;
  setAnswerState(finalState);
}

async function stop() {
  if (!current) return;
  // The cancel route stops the request on the server; the stream then ends with its "request_cancelled" event.
  if (current.requestId) await cancelRequest(current.requestId);
  else current.controller.abort();
}

$("#send").addEventListener("click", () => void send());
$("#stop").addEventListener("click", () => void stop());
if (keyRequired && !apiKey) askForKey("This server needs an API key.");
else poll();
`;
