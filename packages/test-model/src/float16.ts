const conversionFloats = new Float32Array(1);
const conversionBits = new Uint32Array(conversionFloats.buffer);

/**
 * IEEE 754 half-precision bits of `value`, rounded to nearest even like ggml's own conversion.
 * Node 20 has no Float16Array, hence the manual bit work.
 */
export function float32ToFloat16Bits(value: number): number {
  conversionFloats[0] = value;
  const bits = conversionBits[0] ?? 0;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;

  if (exponent === 0xff) {
    return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  }
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) {
    return sign | 0x7c00;
  }
  if (halfExponent <= 0) {
    // Too small for a normal half: becomes subnormal (or zero), keeping the implicit leading bit.
    if (halfExponent < -10) {
      return sign;
    }
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    let halfMantissa = mantissa >>> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && (halfMantissa & 1) === 1)) {
      halfMantissa++;
    }
    return sign | halfMantissa;
  }
  let half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and reaches infinity at the top).
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1)) {
    half++;
  }
  return sign | half;
}
