/**
 * Rein as a user installs it: every package packed with `npm pack`, installed from the tarballs into a fresh
 * project outside the repository (offline, from the local npm cache), and used there under plain `node`, from
 * CommonJS, from a type-checked TypeScript app, and through the installed `rein` command. Also: the built SDK
 * with an op module written in TypeScript, which the worker runs through tsx (an app that runs under tsx).
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testModelPath } from "@rein/test-model";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { startHostProcess } from "../remote/host-process.ts";
import { installOffline, packWorkspaces, plainEnvironment, repositoryRoot, writeOfflineProject, type PackedPackage } from "./offline-project.ts";

const fixtures = path.join(repositoryRoot, "test/packaging/fixtures");

// The built SDK inside the repository, without the source condition, handed a TypeScript op module.
const script = `
import { createClient } from "@rein/sdk";
const client = createClient({ threads: 1, opModules: [${JSON.stringify(path.join(repositoryRoot, "test/fixtures/test-ops.ts"))}] });
let streamed = "";
for await (const character of client.stream("test.spell", { text: "abc" })) streamed += character;
const { pid } = await client.inspect();
const { readFileSync } = await import("node:fs");
console.log("streamed " + streamed);
console.log("worker " + readFileSync("/proc/" + pid + "/cmdline", "utf8").split("\\0").slice(1).join(" "));
await client.close();
`;

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let project: string;
let environment: NodeJS.ProcessEnv;
let packed: PackedPackage[];

beforeAll(async () => {
  temp = await makeTempDir("rein-packed-");
  project = path.join(temp.path, "app");
  mkdirSync(path.join(project, "packs"), { recursive: true });
  // Pack what the source says now, not a stale dist/.
  execFileSync("npm", ["run", "build"], { cwd: repositoryRoot, env: plainEnvironment(), stdio: "ignore" });
  packed = packWorkspaces(path.join(project, "packs"));
  writeOfflineProject(project, packed, "module", ["ai"]);
  installOffline(project);
  for (const fixture of ["esm-app.mjs", "cjs-app.cjs", "ts-app.ts", "reverse-op.mjs", "ai-sdk-app.mjs", "ai-sdk-ts-app.ts"]) copyFileSync(path.join(fixtures, fixture), path.join(project, fixture));
  environment = plainEnvironment({ REIN_CACHE_DIR: path.join(temp.path, "cache"), REIN_THREADS: "1" });
}, 300_000);

afterAll(async () => temp?.remove());

function runNode(file: string): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(process.execPath, [file], { cwd: project, env: environment, encoding: "utf8", timeout: 120_000 });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

describe("the packed packages, installed into a fresh project", () => {
  it("ship built JavaScript and declarations only, with no run-time dependency on tsx, vitest or the test-model generator", () => {
    for (const name of ["protocol", "server", "sdk", "cli", "test-model", "ai-sdk-provider"]) {
      const manifest = JSON.parse(readFileSync(path.join(project, "node_modules/@rein", name, "package.json"), "utf8")) as {
        dependencies?: Record<string, string>;
        exports: Record<string, Record<string, string>>;
      };
      expect(existsSync(path.join(project, "node_modules/@rein", name, "src")), `${name} ships no sources`).toBe(false);
      expect(manifest.exports["."]?.types).toMatch(/^\.\/dist\/.+\.d\.ts$/);
      expect(Object.keys(manifest.dependencies ?? {})).not.toContain("tsx");
      if (name === "sdk" || name === "server" || name === "ai-sdk-provider") expect(Object.keys(manifest.dependencies ?? {})).not.toContain("@rein/test-model");
    }
    expect(existsSync(path.join(project, "node_modules/tsx"))).toBe(false);
    expect(existsSync(path.join(project, "node_modules/vitest"))).toBe(false);
  });

  it("an ES module app under plain node streams, cancels by requestId, runs a .js op module, embeds, unloads and closes", () => {
    const { stdout, stderr, status } = runNode("esm-app.mjs");
    expect(status, stderr).toBe(0);
    expect(stdout).toMatch(/^loaded rein-test-model-tiny/m);
    // The built worker entry under plain node: no --import, no tsx, no conditions (only the young-generation size).
    expect(stdout).toMatch(/^worker --min-semi-space-size=16 \S*node_modules\/@rein\/server\/dist\/worker-start\.cjs$/m);
    expect(stdout).toContain("stopReason=cancelled");
    expect(stdout).toContain("rejected code=52419 cancelled=true partialMatches=true");
    expect(stdout).toContain("custom op cba");
    expect(stdout).toContain("embedded 2 dimension=128");
    expect(stdout).toContain("rag chunks=2 top=a");
    expect(stdout).toContain("unloaded freed=true");
    expect(stdout).toMatch(/closed\n$/);
  });

  it("an app on the Vercel AI SDK generates through @rein/ai-sdk-provider and an abortSignal stops the worker", () => {
    const { stdout, stderr, status } = runNode("ai-sdk-app.mjs");
    expect(status, stderr).toBe(0);
    expect(stdout).toContain("generated finishReason=length hasText=true");
    expect(stdout).toContain("stream last=abort ended=cancelled requests=0");
    expect(stdout).toMatch(/closed\n$/);
  });

  it("a CommonJS app requires the SDK (Node >= 20.19 loads ES modules through require)", () => {
    const { stdout, stderr, status } = runNode("cjs-app.cjs");
    expect(status, stderr).toBe(0);
    expect(stdout).toMatch(/^completed stopReason=(eos|length) hasText=true$/m);
    expect(stdout).toContain("invalid code=50001 isInstance=true table=true");
    // The bundled worker finds node-llama-cpp's GGUF reader beside the package's entry and makes it cooperative.
    expect(stdout).toMatch(/^start codeCache=(absent|accepted) engine=(tested|recorded) ggufReader=cooperative$/m);
    expect(stdout).toMatch(/closed\n$/);
  });

  it("a second start finds the first one's start-up caches in the cache dir: the bundle's V8 code cache, and (Linux) the tested llama.cpp binary", () => {
    const { stdout, stderr, status } = runNode("cjs-app.cjs");
    expect(status, stderr).toBe(0);
    expect(stdout).toContain(`start codeCache=accepted engine=${process.platform === "linux" ? "recorded" : "tested"} ggufReader=cooperative`);
    expect(readdirSync(path.join(temp.path, "cache", "code-cache")).filter((name) => name.endsWith(".bin"))).toHaveLength(1);
  });

  it.each([
    ["nodenext", { module: "nodenext", moduleResolution: "nodenext" }],
    ["bundler", { module: "esnext", moduleResolution: "bundler" }],
  ])("a TypeScript app type-checks against the declarations (moduleResolution %s, no skipLibCheck)", (mode, resolution) => {
    const tsconfig = path.join(project, `tsconfig.${mode}.json`);
    writeFileSync(
      tsconfig,
      JSON.stringify({
        compilerOptions: { ...resolution, target: "es2022", lib: ["es2023", "esnext.disposable"], strict: true, noEmit: true, types: ["node"], typeRoots: [path.join(repositoryRoot, "node_modules/@types")] },
        files: ["ts-app.ts"],
      }),
    );
    const result = spawnSync(path.join(repositoryRoot, "node_modules/.bin/tsc"), ["-p", tsconfig], { cwd: project, env: environment, encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("a TypeScript app on the Vercel AI SDK type-checks against the provider's and ai's declarations (nodenext, no skipLibCheck)", () => {
    const tsconfig = path.join(project, "tsconfig.ai-sdk.json");
    writeFileSync(
      tsconfig,
      JSON.stringify({
        compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", lib: ["es2023", "esnext.disposable", "dom"], strict: true, noEmit: true, types: ["node"], typeRoots: [path.join(repositoryRoot, "node_modules/@types")] },
        files: ["ai-sdk-ts-app.ts"],
      }),
    );
    const result = spawnSync(path.join(repositoryRoot, "node_modules/.bin/tsc"), ["-p", tsconfig], { cwd: project, env: environment, encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("the installed `rein` command prints its help and answers one chat turn", async () => {
    const help = spawnSync("npx", ["--offline", "--no-install", "rein", "--help"], { cwd: project, env: environment, encoding: "utf8" });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain("Usage: rein");
    expect(help.stdout).toContain("chat");

    const chat = spawn(path.join(project, "node_modules/.bin/rein"), ["chat", "--model", "tiny", "--max-tokens", "8", "--temperature", "0"], { cwd: project, env: environment });
    let stdout = "";
    let stderr = "";
    chat.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      // Answer the first prompt once, then end the input: the CLI exits after the reply.
      if (stdout.endsWith("> ") && !chat.stdin.writableEnded) chat.stdin.end("Hello\n");
    });
    chat.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => chat.once("exit", resolve));
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/\[length: 8 tokens[^\]]*\]/);
  });
});

describe("a remote-only app", () => {
  it("installs @rein/sdk without @rein/server and node-llama-cpp, and drives a Rein server over WebSocket", async () => {
    const remoteProject = path.join(temp.path, "remote-app");
    mkdirSync(remoteProject, { recursive: true });
    writeOfflineProject(remoteProject, packed.filter((entry) => entry.name === "@rein/sdk" || entry.name === "@rein/protocol"));
    installOffline(remoteProject);
    copyFileSync(path.join(fixtures, "remote-app.mjs"), path.join(remoteProject, "remote-app.mjs"));
    const host = await startHostProcess({ keys: { "key-remote": "remote" }, models: [{ name: "tiny", modelSrc: await testModelPath() }] });
    try {
      const child = spawn(process.execPath, ["remote-app.mjs"], { cwd: remoteProject, env: { ...environment, REIN_URL: host.url, REIN_API_KEY: "key-remote" } });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      expect(code, stderr).toBe(0);
      expect(stdout).toContain("server installed=false engine installed=false");
      expect(stdout).toMatch(/^loaded rein-test-model-tiny/m);
      expect(stdout).toContain("stopReason=cancelled");
      expect(stdout).toContain("rejected code=52419 cancelled=true");
      expect(stdout).toContain("embedded 2 dimension=128");
      expect(stdout).toContain("unloaded freed=false");
      expect(stdout).toMatch(/closed\n$/);
    } finally {
      await host.stop();
    }
  });
});

// Here, in the file that builds dist/ first: a second file reading dist/ while this one rebuilds it would race.
describe("the built SDK", () => {
  it("runs TypeScript op modules through tsx in the worker, without the repository's source condition", () => {
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: repositoryRoot, env: plainEnvironment({ REIN_CACHE_DIR: path.join(temp.path, "repository-cache"), REIN_THREADS: "1" }), encoding: "utf8", timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain("streamed abc");
    const worker = /^worker (.*)$/m.exec(result.stdout)?.[1] ?? "";
    expect(worker).toMatch(/--import file:\S*tsx\S*/);
    expect(worker).not.toContain("@rein/source");
    expect(worker).toMatch(/packages\/server\/dist\/worker-start\.cjs/);
  });
});
