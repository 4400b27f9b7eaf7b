#!/usr/bin/env node
/**
 * The `wsgi` executable (package.json `bin`): `wsgi serve [module[:export]] [--host H] [--port P]
 * [--workers N] [--validate]`. All the work is in `../cli/main.ts`.
 *
 * @module
 */

import { main } from '../cli/main.ts'

// process.exit, not exitCode: after a graceful shutdown, timers or handles the application left
// open must not keep the process alive. Writes to pipes and files are synchronous, so none is lost.
process.exit(await main(process.argv.slice(2)))
