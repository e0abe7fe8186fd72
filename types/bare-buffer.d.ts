// bare-rpc's types import `bare-buffer` (Bare's Buffer). Once hyperdht's dependencies install bare-buffer's own
// types, they clash with Node's Buffer that Rein passes; under Node, bare-rpc's Buffer is Node's Buffer.
type NodeBuffer = Buffer;
declare const NodeBuffer: typeof Buffer;
export default NodeBuffer;
export type BufferEncoding = globalThis.BufferEncoding;
