export { createRein, rein } from "./create-rein.ts";
export type { ReinProvider, ReinProviderSettings } from "./create-rein.ts";
export { ReinLanguageModel } from "./language-model.ts";
export type { ReinLanguageModelSettings } from "./language-model.ts";
export { ReinEmbeddingModel } from "./embedding-model.ts";
export type { ReinEmbeddingModelSettings } from "./embedding-model.ts";
export type { ModelLoadSettings } from "./model-pool.ts";
export type { ReinCallSettings, ReinProviderOptions } from "./call-options.ts";
export { toProviderError } from "./error-mapping.ts";
