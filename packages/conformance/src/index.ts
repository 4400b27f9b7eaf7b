/**
 * Private: reference gateway apps and the conformance suite every bridge runs.
 *
 * @module
 */
export {}
