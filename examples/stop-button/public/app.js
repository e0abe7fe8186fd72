// The page side of the stop-button demo. Send streams one completion; the
// requestId arrives first, and Stop sends just that id back to the server.
const form = document.querySelector("#form");
const promptBox = document.querySelector("#prompt");
const sendButton = document.querySelector("#send");
const stopButton = document.querySelector("#stop");
const requestIdView = document.querySelector("#request-id");
const statusView = document.querySelector("#status");
const answer = document.querySelector("#answer");

let currentRequestId = null;

function setState(state, label = state) {
  answer.dataset.state = state;
  statusView.dataset.state = state;
  statusView.textContent = label;
  const busy = state === "starting" || state === "streaming" || state === "stopping";
  sendButton.disabled = busy;
  stopButton.disabled = !busy || currentRequestId === null || state === "stopping";
}

/** Reads an NDJSON response body line by line. */
async function* ndjson(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line.trim() !== "") yield JSON.parse(line);
    }
  }
}

function finish(message) {
  // The server's text is what the model produced, also when it was stopped half-way.
  answer.textContent = message.text;
  if (message.stopReason === "cancelled") {
    const marker = document.createElement("span");
    marker.className = "stopped-marker";
    marker.textContent = " [stopped]";
    answer.append(marker);
    setState("stopped", "stopped");
  } else if (message.stopReason === "error") {
    setState("error", `error: ${message.error ?? "unknown"}`);
  } else {
    setState("done", `done (${message.stopReason})`);
  }
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  currentRequestId = null;
  requestIdView.textContent = "—";
  answer.textContent = "";
  setState("starting", "starting");
  try {
    const response = await fetch("/api/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ prompt: promptBox.value }),
    });
    if (!response.ok) throw new Error((await response.json()).error);
    for await (const message of ndjson(response.body)) {
      if (message.type === "start") {
        currentRequestId = message.requestId;
        requestIdView.textContent = message.requestId;
        setState("streaming", "streaming");
      } else if (message.type === "delta") {
        answer.append(message.text);
      } else if (message.type === "done") {
        finish(message);
      }
    }
  } catch (error) {
    setState("error", `error: ${error.message}`);
  }
});

stopButton.addEventListener("click", async () => {
  if (currentRequestId === null) return;
  setState("stopping", "stopping");
  // The stream itself then ends with stopReason "cancelled"; that is what marks the answer stopped.
  await fetch("/api/cancel", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ requestId: currentRequestId }),
  });
});
