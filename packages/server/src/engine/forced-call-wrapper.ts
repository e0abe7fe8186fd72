import type { ChatWrapper, ChatWrapperGenerateContextStateOptions, ChatWrapperGeneratedContextState } from "node-llama-cpp";
import { loadedEngine } from "./llama-runtime.ts";

/**
 * The model's own chat wrapper, made to start its answer with a function
 * call (`toolChoice: "required"` or `{ name }`): the context ends with the
 * wrapper's call prefix and reports the call as "initially engaged", the
 * mechanism node-llama-cpp uses for templates that always open in call mode
 * (Functionary). LlamaChat then samples the function name and its parameters
 * under their grammars at once, so even a model that would never call a
 * function on its own produces a valid call, in the syntax of its template.
 */
export function forcedCallWrapper(base: ChatWrapper): ChatWrapper {
  const prefix = base.settings.functions.call.prefix;
  const forced: ChatWrapper = Object.create(base);
  forced.generateContextState = function (options: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState {
    const state = base.generateContextState.call(this, options);
    if (options.chatHistory.at(-1)?.type !== "model") return state;
    return {
      contextText: loadedEngine().LlamaText([state.contextText, prefix]),
      stopGenerationTriggers: state.stopGenerationTriggers,
      ignoreStartText: state.ignoreStartText,
      functionCall: { initiallyEngaged: true, disengageInitiallyEngaged: [] },
    };
  };
  return forced;
}
