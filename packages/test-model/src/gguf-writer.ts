/**
 * Encoder for the GGUF v3 container (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md):
 * header, typed key/value metadata, tensor descriptions, then the aligned tensor data.
 * All integers and floats are little-endian, as llama.cpp memory-maps the data as is.
 */

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
const GGUF_VERSION = 3;

/** Value type codes of GGUF metadata. */
const ValueTypeCode = {
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
} as const;

/** ggml tensor type codes. */
const TensorTypeCode = { f32: 0, f16: 1 } as const;

export type GgufScalar =
  | { type: "uint32"; value: number }
  | { type: "int32"; value: number }
  | { type: "float32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string };

export type GgufArray =
  | { type: "array"; itemType: "string"; values: readonly string[] }
  | { type: "array"; itemType: "float32" | "int32" | "uint32"; values: readonly number[] };

export type GgufValue = GgufScalar | GgufArray;

export type GgufTensorType = keyof typeof TensorTypeCode;

export interface GgufTensor {
  name: string;
  /** ggml order: `dimensions[0]` (ne0) is the contiguous one. */
  dimensions: readonly number[];
  type: GgufTensorType;
  /** Already encoded little-endian elements, `product(dimensions) * bytesPerElement` long. */
  data: Uint8Array;
}

export interface GgufFile {
  metadata: ReadonlyMap<string, GgufValue>;
  tensors: readonly GgufTensor[];
  /** Must match the `general.alignment` metadata when that is present; GGUF's default is 32. */
  alignment: number;
}

const bytesPerElement: Record<GgufTensorType, number> = { f32: 4, f16: 2 };

/** Appends little-endian values to a growing buffer; only used for the (small) header part. */
class ByteWriter {
  #buffer = Buffer.alloc(64 * 1024);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /**
   * Makes room and returns where to write. Call it before reading `#buffer`: `this.#buffer.write(v, this.#reserve(n))`
   * evaluates `this.#buffer` first and so writes into the buffer a growth just replaced.
   */
  #reserve(byteCount: number): number {
    const start = this.#length;
    if (start + byteCount > this.#buffer.length) {
      const grown = Buffer.alloc(Math.max(this.#buffer.length * 2, start + byteCount));
      this.#buffer.copy(grown, 0, 0, start);
      this.#buffer = grown;
    }
    this.#length += byteCount;
    return start;
  }

  uint32(value: number): void {
    const at = this.#reserve(4);
    this.#buffer.writeUInt32LE(value, at);
  }

  int32(value: number): void {
    const at = this.#reserve(4);
    this.#buffer.writeInt32LE(value, at);
  }

  uint64(value: number): void {
    const at = this.#reserve(8);
    this.#buffer.writeBigUInt64LE(BigInt(value), at);
  }

  float32(value: number): void {
    const at = this.#reserve(4);
    this.#buffer.writeFloatLE(value, at);
  }

  bool(value: boolean): void {
    const at = this.#reserve(1);
    this.#buffer.writeUInt8(value ? 1 : 0, at);
  }

  string(value: string): void {
    const bytes = Buffer.from(value, "utf8");
    this.uint64(bytes.length);
    const at = this.#reserve(bytes.length);
    bytes.copy(this.#buffer, at);
  }

  zeros(byteCount: number): void {
    const at = this.#reserve(byteCount);
    this.#buffer.fill(0, at, this.#length);
  }

  toBuffer(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }
}

function paddingFor(offset: number, alignment: number): number {
  return (alignment - (offset % alignment)) % alignment;
}

function writeValue(writer: ByteWriter, value: GgufValue): void {
  writer.uint32(ValueTypeCode[value.type]);
  switch (value.type) {
    case "uint32":
      return writer.uint32(value.value);
    case "int32":
      return writer.int32(value.value);
    case "float32":
      return writer.float32(value.value);
    case "bool":
      return writer.bool(value.value);
    case "string":
      return writer.string(value.value);
    case "array":
      writer.uint32(ValueTypeCode[value.itemType]);
      writer.uint64(value.values.length);
      if (value.itemType === "string") {
        for (const item of value.values) writer.string(item);
      } else {
        const writeItem = (item: number): void => writer[value.itemType](item);
        for (const item of value.values) writeItem(item);
      }
      return;
  }
}

function validateTensor(tensor: GgufTensor): void {
  const elementCount = tensor.dimensions.reduce((product, dimension) => product * dimension, 1);
  const expectedBytes = elementCount * bytesPerElement[tensor.type];
  if (tensor.data.byteLength !== expectedBytes) {
    throw new RangeError(
      `Tensor ${tensor.name} holds ${tensor.data.byteLength} bytes, its shape needs ${expectedBytes}`,
    );
  }
}

/**
 * Encodes a whole GGUF file as a list of chunks (header, then each tensor and its padding), so a
 * caller can stream them to disk without concatenating tens of megabytes.
 */
export function encodeGguf(file: GgufFile): Uint8Array[] {
  const header = new ByteWriter();
  header.uint32(GGUF_MAGIC);
  header.uint32(GGUF_VERSION);
  header.uint64(file.tensors.length);
  header.uint64(file.metadata.size);
  for (const [key, value] of file.metadata) {
    header.string(key);
    writeValue(header, value);
  }

  let dataOffset = 0;
  for (const tensor of file.tensors) {
    validateTensor(tensor);
    header.string(tensor.name);
    header.uint32(tensor.dimensions.length);
    for (const dimension of tensor.dimensions) header.uint64(dimension);
    header.uint32(TensorTypeCode[tensor.type]);
    header.uint64(dataOffset);
    dataOffset += tensor.data.byteLength;
    dataOffset += paddingFor(dataOffset, file.alignment);
  }
  // Tensor offsets are relative to the data section, which itself starts aligned.
  header.zeros(paddingFor(header.length, file.alignment));

  const chunks: Uint8Array[] = [header.toBuffer()];
  for (const tensor of file.tensors) {
    chunks.push(tensor.data);
    const padding = paddingFor(tensor.data.byteLength, file.alignment);
    if (padding > 0) chunks.push(new Uint8Array(padding));
  }
  return chunks;
}
