/**
 * The dashboard's HTML. Its script is served separately (/dashboard.js) so
 * the page can forbid inline script by CSP: model output is only ever set as
 * text, and even a mistake there could not run code.
 */
export function dashboardPage(options: { keyRequired: boolean }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>rein serve</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
  h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: 1.5rem; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #ddd; }
  code, .id { font-family: ui-monospace, monospace; font-size: 12px; }
  #answer { white-space: pre-wrap; border: 1px solid #ccc; min-height: 4rem; padding: .5rem; margin-top: .5rem; }
  #status.error { color: #b00; } .hidden { display: none; }
  textarea { width: 100%; min-height: 4rem; }
</style>
</head>
<body data-key-required="${options.keyRequired}">
<h1>rein serve</h1>
<p id="status">connecting...</p>
<form id="key-form" class="hidden">
  <label>API key <input id="api-key" type="password" autocomplete="off"></label>
  <button id="save-key" type="submit">Use key</button>
  <small>kept in this tab only (sessionStorage)</small>
</form>
<h2>Models</h2>
<table><thead><tr><th>name</th><th>running</th><th>queued</th><th>parallel</th><th></th></tr></thead><tbody id="model-rows"></tbody></table>
<p>Worker memory: <span id="memory">-</span></p>
<h2>Requests</h2>
<table><thead><tr><th>requestId</th><th>kind</th><th>model</th><th>state</th><th>age</th><th>queue</th><th></th></tr></thead><tbody id="request-rows"></tbody></table>
<p id="no-requests">No requests running.</p>
<h2>Playground</h2>
<label>Model <select id="model"></select></label>
<label>Max tokens <input id="max-tokens" type="number" value="256" min="1"></label>
<textarea id="prompt" placeholder="Ask something"></textarea>
<button id="send" type="button">Send</button> <button id="stop" type="button" disabled>Stop</button>
<span>request <code id="request-id"></code></span>
<div id="answer" data-state="idle"></div>
<script type="module" src="/dashboard.js"></script>
</body>
</html>
`;
}
