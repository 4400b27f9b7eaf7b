/**
 * The one header list `startResponse` has just checked in full (`checkHeaderList`), while it
 * builds its `Headers` from it: that constructor then need not check every name and value again
 * (its checks are a subset of `checkHeaderList`'s). Set only for the duration of that one
 * constructor call, so a list changed later is checked as any other.
 *
 * @module
 */

let checked: unknown = undefined

/** Mark `list` as checked in full (or clear the mark with `undefined`). */
export function markChecked(list: unknown): void {
  checked = list
}

/** True when `list` is the list `startResponse` is building its `Headers` from, checked. */
export function isChecked(list: unknown): boolean {
  return list === checked && list !== undefined
}
