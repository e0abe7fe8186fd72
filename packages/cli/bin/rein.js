#!/usr/bin/env node
// Launcher for `rein`: registers tsx's loader in this very process and imports
// the TypeScript entry. One process, so Ctrl+C / SIGINT reaches the CLI itself
// with no relay in between (Node >= 20.6 for module.register).
import { register } from "tsx/esm/api";

register();
await import(new URL("../src/main.ts", import.meta.url).href);
