#!/usr/bin/env node
/**
 * Runs a command (all arguments passed through) inside a network namespace that has only the loopback
 * interface, so tests that start a HyperDHT testnet can neither announce nor dial any other address:
 *
 *   node scripts/in-loopback-namespace.mjs vitest run --reporter=default
 *
 * Already isolated (only `lo`): runs the command directly. Otherwise re-runs itself under `unshare --net`
 * (root, as in CI) or `unshare --net --map-root-user` (an unprivileged user namespace), brings `lo` up and
 * runs the command there. When no namespace can be made it fails with one line: P2P tests never fall back
 * to the machine's real network.
 */
import { spawn, spawnSync } from "node:child_process";
import os from "node:os";
import { fileURLToPath } from "node:url";

const INSIDE = "REIN_IN_LOOPBACK_NAMESPACE";
const command = process.argv.slice(2);
if (command.length === 0) fail("usage: node scripts/in-loopback-namespace.mjs <command> [arguments...]");

const others = () => Object.keys(os.networkInterfaces()).filter((name) => name !== "lo");

if (others().length === 0) {
  // A fresh namespace starts with `lo` down: nothing, not even 127.0.0.1, would answer.
  if (!Object.keys(os.networkInterfaces()).includes("lo")) bringLoopbackUp();
  run(command[0], command.slice(1));
} else if (process.env[INSIDE] === "1") {
  fail(`in-loopback-namespace: still sees ${others().join(", ")} inside the new namespace; refusing to run`);
} else {
  const self = fileURLToPath(import.meta.url);
  const isRoot = process.getuid?.() === 0;
  const unshareArguments = isRoot ? ["--net"] : ["--net", "--map-root-user"];
  const probe = spawnSync("unshare", [...unshareArguments, "true"], { stdio: "ignore" });
  if (probe.error || probe.status !== 0) {
    fail(
      `in-loopback-namespace: cannot create a loopback-only network namespace (unshare ${unshareArguments.join(" ")}: ${probe.error?.message ?? `exit code ${probe.status}`}); P2P tests never run on the real network. Run as root, or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)`,
    );
  }
  process.env[INSIDE] = "1";
  run("unshare", [...unshareArguments, "--", process.execPath, self, ...command]);
}

function bringLoopbackUp() {
  const result = spawnSync("ip", ["link", "set", "lo", "up"], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  if (result.error || result.status !== 0) {
    fail(`in-loopback-namespace: cannot bring the loopback interface up (ip link set lo up: ${result.error?.message ?? result.stderr.trim()}); install iproute2`);
  }
}

/** Runs the command with this process's stdio, forwards SIGINT/SIGTERM, and exits as it exits. */
function run(file, args) {
  const child = spawn(file, args, { stdio: "inherit", env: process.env });
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
  child.on("error", (error) => fail(`in-loopback-namespace: cannot run ${file}: ${error.message}`));
  child.on("exit", (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
