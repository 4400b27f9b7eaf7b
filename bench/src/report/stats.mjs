/**
 * Small statistics and number formats for the report.
 *
 * @module
 */

/**
 * The median of `values` (the mean of the middle two for an even count).
 *
 * @param {number[]} values
 * @returns {number}
 */
export function median(values) {
  const sorted = [...values].sort((x, y) => x - y)
  const mid = sorted.length >> 1
  if (sorted.length === 0) return Number.NaN
  const upper = sorted[mid] ?? Number.NaN
  const lower = sorted[mid - 1] ?? Number.NaN
  return sorted.length % 2 === 1 ? upper : (lower + upper) / 2
}

/**
 * Min, median and max of `values`.
 *
 * @param {number[]} values
 * @returns {{ min: number, median: number, max: number }}
 */
export function spread(values) {
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) }
}

/**
 * `0.97 (0.95–0.99)`.
 *
 * @param {number[]} ratios
 * @returns {string}
 */
export function formatRatio(ratios) {
  if (ratios.length === 0) return '—'
  const { min, median: mid, max } = spread(ratios)
  return ratios.length === 1
    ? mid.toFixed(2)
    : `${mid.toFixed(2)} (${min.toFixed(2)}–${max.toFixed(2)})`
}

/**
 * A whole number with thousands separators: `12 345`.
 *
 * @param {number} value
 * @returns {string}
 */
export function formatCount(value) {
  if (!Number.isFinite(value)) return '—'
  return Math.round(value)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f')
}

/**
 * Bytes as MiB with one decimal.
 *
 * @param {number} bytes
 * @returns {string}
 */
export function formatMiB(bytes) {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`
}
