/**
 * A string body as UTF-8 bytes, for the `Response` bodies `fromFetch` takes whole.
 *
 * `TextEncoder#encode` crosses into the runtime for every call: on Node 20 about half a
 * microsecond for `'Hello, World!'`, more than the rest of the light answer. A short ASCII string
 * (what `c.text()` and `c.json()` answer, most of the time) is copied code unit by code unit in
 * a tenth of that; anything longer or beyond ASCII goes to the encoder.
 *
 * @module
 */

const ENCODER = new TextEncoder()

// Past this length the encoder's fixed cost is paid back by its speed per byte.
const SHORT = 64

/** `text` as UTF-8: the bytes `new TextEncoder().encode(text)` gives. */
export function utf8(text: string): Uint8Array {
  const length = text.length
  if (length > SHORT) return ENCODER.encode(text)
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i)
    if (code > 0x7f) return ENCODER.encode(text)
    bytes[i] = code
  }
  return bytes
}
