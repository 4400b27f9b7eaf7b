import { startStack } from '../src/stacks/index.mjs'
export const start = () => startStack(new URL(import.meta.url).search.slice(1))
