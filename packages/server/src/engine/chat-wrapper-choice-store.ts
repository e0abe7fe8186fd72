import { readFileSync } from "node:fs";
import { mkdir, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ChatWrapperChoice } from "./chat-wrapper-choice.ts";
import { engineVersion } from "./llama-runtime.ts";

/** Model files whose choice is kept on disk; the oldest is dropped first. */
const KEPT_FILES = 64;
const FORMAT = 1;

/** What identifies a model file's content for its chat template: same path, size and mtime, same bytes. */
export interface ChoiceFileIdentity {
  path: string;
  size: number;
  modifiedMs: number;
}

interface StoredChoices {
  format: number;
  /** node-llama-cpp's version: its resolver decides, so another version's choices are not trusted. */
  engine: string;
  choices: Record<string, ChatWrapperChoice>;
}

const stores = new Map<string, ChatWrapperChoiceStore>();

/**
 * The chat-wrapper choices of model files, kept in `<cacheDir>/engine/chat-wrappers.json` so that only the
 * first load of a file on a machine resolves its chat template. Resolving runs in a worker thread that must
 * import node-llama-cpp's JavaScript first (0.5-1 s of wall time beside the model's own load on a 2-core
 * machine); a worker started later reads the choice here instead (a small JSON file, read once per worker).
 * Entries are keyed by the file's path, size and mtime, and the whole file by node-llama-cpp's version (another
 * version may resolve differently). An unreadable, foreign or malformed file, or entry, counts as absent; a
 * write is atomic (a temporary file renamed into place), and one that fails only costs the next worker a
 * resolution.
 *
 * @example
 * ```ts
 * const store = ChatWrapperChoiceStore.at(services.cacheDir);
 * store.recall({ path, size, modifiedMs }); // { kind: "specialized", name: "chatML", candidate: 0 } or undefined
 * ```
 */
export class ChatWrapperChoiceStore {
  readonly file: string;
  #choices: Map<string, ChatWrapperChoice> | undefined;
  #writes: Promise<void> = Promise.resolve();

  constructor(cacheDir: string) {
    this.file = path.join(cacheDir, "engine", "chat-wrappers.json");
  }

  /** The worker's one store for `cacheDir`. */
  static at(cacheDir: string): ChatWrapperChoiceStore {
    let store = stores.get(cacheDir);
    if (store === undefined) {
      store = new ChatWrapperChoiceStore(cacheDir);
      stores.set(cacheDir, store);
    }
    return store;
  }

  /** The choice a worker made for this file before, if any. */
  recall(file: ChoiceFileIdentity): ChatWrapperChoice | undefined {
    return this.#loaded().get(keyOf(file));
  }

  /** Keeps `choice` for this file; resolves when it is on disk (or the write failed, which is not an error). */
  remember(file: ChoiceFileIdentity, choice: ChatWrapperChoice): Promise<void> {
    const choices = this.#loaded();
    const key = keyOf(file);
    choices.delete(key);
    choices.set(key, choice);
    while (choices.size > KEPT_FILES) choices.delete(choices.keys().next().value!);
    const stored: StoredChoices = { format: FORMAT, engine: engineVersion(), choices: Object.fromEntries(choices) };
    this.#writes = this.#writes.then(() => writeAtomically(this.file, JSON.stringify(stored)));
    return this.#writes;
  }

  /** Forgets the choice for this file (it could not be built), in memory; the next remember rewrites the file. */
  forget(file: ChoiceFileIdentity): void {
    this.#loaded().delete(keyOf(file));
  }

  #loaded(): Map<string, ChatWrapperChoice> {
    this.#choices ??= readChoices(this.file);
    return this.#choices;
  }
}

function keyOf(file: ChoiceFileIdentity): string {
  return `${file.path}\u0000${file.size}\u0000${file.modifiedMs}`;
}

function readChoices(file: string): Map<string, ChatWrapperChoice> {
  let stored: Partial<StoredChoices>;
  try {
    stored = JSON.parse(readFileSync(file, "utf8")) as Partial<StoredChoices>;
  } catch {
    return new Map();
  }
  if (stored?.format !== FORMAT || stored.engine !== engineVersion() || typeof stored.choices !== "object" || stored.choices === null) return new Map();
  return new Map(Object.entries(stored.choices).filter((entry): entry is [string, ChatWrapperChoice] => isChoice(entry[1])));
}

function isChoice(value: unknown): value is ChatWrapperChoice {
  if (typeof value !== "object" || value === null) return false;
  const choice = value as { kind?: unknown; name?: unknown; candidate?: unknown };
  if (choice.kind === "jinja" || choice.kind === "general") return Object.keys(choice).length === 1;
  return choice.kind === "specialized" && typeof choice.name === "string" && Number.isInteger(choice.candidate) && (choice.candidate as number) >= 0;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(temporary, text);
    await rename(temporary, file);
  } catch {
    await unlink(temporary).catch(() => undefined);
  }
}
