#!/usr/bin/env node
// Launcher for `rein`. Installed from npm it runs the built CLI under plain node. Inside the Rein repository
// (export condition "@rein/source", see docs/packaging.md) the entry resolves to the TypeScript source, and tsx's
// loader is registered in this very process first: one process, so Ctrl+C reaches the CLI with no relay.
const main = import.meta.resolve("@rein/cli/main");
if (main.endsWith(".ts")) (await import("tsx/esm/api")).register();
await import(main);
