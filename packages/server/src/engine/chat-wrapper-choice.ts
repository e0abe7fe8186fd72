import type { ChatWrapper, LlamaModel, SpecializedChatWrapperTypeName, Tokenizer } from "node-llama-cpp";
import type { LlamaEngine } from "./llama-runtime.ts";

/**
 * Which chat wrapper node-llama-cpp's `resolveChatWrapper` chose, small enough to cross a thread boundary and
 * exact enough to rebuild the same wrapper on the other side:
 * - `specialized`: `new chatWrappers[name](candidate settings)`, the settings being entry `candidate` of
 *   {@link specializedCandidates} (static lists, the same in every thread of one node-llama-cpp version);
 * - `jinja`: a `JinjaTemplateChatWrapper` of the file's own template (no equivalent built-in wrapper);
 * - `general`: the resolver found nothing (`resolveChatWrapper(model)` then gives a `GeneralChatWrapper`).
 */
export type ChatWrapperChoice =
  | { kind: "specialized"; name: SpecializedChatWrapperTypeName; candidate: number }
  | { kind: "jinja" }
  | { kind: "general" };

/** What the resolution reads of a model besides its tokenizer (plain data: it is copied to the thread). */
export interface ChatWrapperInputs {
  filename: string | undefined;
  bosString: string | undefined;
  architecture: string | undefined;
  /**
   * The part of the GGUF metadata the resolution reads: `general` (names, base models, size label,
   * architecture) and the chat template. Not the whole file info: its vocabulary arrays (150k+ strings in a
   * real model) would cost the main thread tens of milliseconds to copy, and nothing in the resolution reads them.
   */
  fileInfo: { metadata: { general: Record<string, unknown>; tokenizer: { chat_template?: string } } };
}

type WrapperClass = new (settings?: object) => ChatWrapper;
type ConfigurationsSource = { _getOptionConfigurationsToTestIfCanSupersedeJinjaTemplate?: () => unknown[] };

/**
 * The inputs `resolveChatWrapper(model)` passes on for `model` (see node-llama-cpp's resolveChatWrapper.js, the
 * `LlamaModel` branch), minus its tokenizer and llama binding.
 *
 * @example
 * ```ts
 * const inputs = chatWrapperInputs(model);
 * ```
 */
export function chatWrapperInputs(model: LlamaModel): ChatWrapperInputs {
  const metadata = model.fileInfo.metadata as { general?: Record<string, unknown>; tokenizer?: { chat_template?: string } } | undefined;
  const template = metadata?.tokenizer?.chat_template;
  return {
    filename: model.filename,
    bosString: model.tokens.bosString ?? undefined,
    architecture: typeof metadata?.general?.architecture === "string" ? metadata.general.architecture : undefined,
    fileInfo: { metadata: { general: { ...metadata?.general }, tokenizer: template === undefined ? {} : { chat_template: template } } },
  };
}

/**
 * The settings `resolveChatWrapper` can construct a specialized wrapper with, in a fixed order: each
 * "apply" configuration of the Jinja equivalence search (`_getOptionConfigurationsToTestIfCanSupersedeJinjaTemplate`),
 * then the heuristics' defaults (`{}`, and Llama 2's `addSpaceBeforeEos` either way). Rein passes no custom
 * wrapper settings, so these are the whole constructor argument.
 *
 * @example
 * ```ts
 * const settings = specializedCandidates(engine, "chatML")[0];
 * ```
 */
export function specializedCandidates(engine: LlamaEngine, name: SpecializedChatWrapperTypeName): object[] {
  const Wrapper = engine.chatWrappers[name] as unknown as ConfigurationsSource;
  const configurations = Wrapper._getOptionConfigurationsToTestIfCanSupersedeJinjaTemplate?.() ?? [];
  const applied = configurations.map((configuration) => {
    const apply: unknown = Array.isArray(configuration) ? (configuration[1] ?? {}) : configuration;
    return { ...(apply as object) };
  });
  const heuristics: object[] = name === "llama2Chat" ? [{}, { addSpaceBeforeEos: true }, { addSpaceBeforeEos: false }] : [{}];
  return [...applied, ...heuristics];
}

/**
 * A wrapper's state as text: its class and every own property, deeply (LlamaText and dates through their
 * `toJSON`, functions as a marker). node-llama-cpp's wrappers keep what their settings decide in plain
 * properties (no `#private` fields), so two wrappers of one class with the same fingerprint render alike.
 * A renderer's llama binding (`_llama`) is left out: see buildChatWrapper.
 *
 * @example
 * ```ts
 * chatWrapperFingerprint(a) === chatWrapperFingerprint(b);
 * ```
 */
export function chatWrapperFingerprint(wrapper: ChatWrapper): string {
  return `${wrapper.constructor.name}:${JSON.stringify(wrapper, (key, value: unknown) => {
    if (typeof value === "function") return "[function]";
    // A Jinja renderer's llama binding (used only for templates the thread declines, see buildChatWrapper) is not state.
    return key === "_llama" ? undefined : value;
  })}`;
}

/**
 * Describes a wrapper `resolveChatWrapper` returned (`null`: it found none), or `undefined` when it is not one
 * this module can rebuild exactly (then the caller resolves on the main thread instead).
 *
 * @example
 * ```ts
 * const choice = describeChatWrapper(engine, engine.resolveChatWrapper(options));
 * ```
 */
export function describeChatWrapper(engine: LlamaEngine, wrapper: ChatWrapper | null): ChatWrapperChoice | undefined {
  if (wrapper === null) return { kind: "general" };
  if (wrapper instanceof engine.JinjaTemplateChatWrapper) return { kind: "jinja" };
  const name = engine.specializedChatWrapperTypeNames.find((candidate) => wrapper.constructor === engine.chatWrappers[candidate]);
  if (name === undefined) return undefined;
  const Wrapper = engine.chatWrappers[name] as unknown as WrapperClass;
  const fingerprint = chatWrapperFingerprint(wrapper);
  const candidate = specializedCandidates(engine, name).findIndex((settings) => chatWrapperFingerprint(new Wrapper(settings)) === fingerprint);
  return candidate === -1 ? undefined : { kind: "specialized", name, candidate };
}

/**
 * Builds the wrapper `choice` describes for `model`. A Jinja wrapper gets node-llama-cpp's default Jinja
 * engine rather than one holding the model's llama binding: the binding's native renderer is used only for a
 * template the JavaScript renderer cannot parse, and the thread declines those (see chat-wrapper-thread-main.ts).
 *
 * @example
 * ```ts
 * const wrapper = buildChatWrapper(engine, model.tokenizer, template, { kind: "specialized", name: "chatML", candidate: 0 });
 * ```
 */
export function buildChatWrapper(engine: LlamaEngine, tokenizer: Tokenizer, template: string | undefined, choice: ChatWrapperChoice): ChatWrapper {
  if (choice.kind === "general") return new engine.GeneralChatWrapper();
  if (choice.kind === "jinja") {
    if (template === undefined) throw new Error("a Jinja chat wrapper was chosen for a model without a chat template");
    return new engine.JinjaTemplateChatWrapper({ tokenizer, template });
  }
  const settings = specializedCandidates(engine, choice.name)[choice.candidate];
  if (settings === undefined) throw new Error(`no settings candidate ${choice.candidate} for chat wrapper ${choice.name}`);
  const Wrapper = engine.chatWrappers[choice.name] as unknown as WrapperClass;
  return new Wrapper(settings);
}
