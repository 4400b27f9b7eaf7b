#!/usr/bin/env bash
# pnpm pack:check — do the packages work outside this repository, as a user installs them?
#
# 1. A fresh clone's `pnpm install --frozen-lockfile` prints no WARN line (a newcomer reads them
#    as breakage).
# 2. Build, then `pnpm pack` every public package (which rewrites workspace:/catalog: ranges) and
#    check each tarball: no tests, no workspace ranges, LICENSE/README/CHANGELOG, types in step
#    with exports (scripts/types-versions.mjs).
# 3. Install the tarballs with npm into a scratch project outside the workspace, with the real
#    frameworks from npm at the versions the workspace tests, and there: import() and require()
#    every entry point, run the examples of docs/for-express-developers.md (examples/check.js,
#    the last through the installed `wsgi` command), and type-check the README examples with the
#    workspace's TypeScript under moduleResolution node10, node16, nodenext and bundler.
#
# Needs the workspace installed (pnpm install) and the npm registry; nothing else from the network.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scratch="$(mktemp -d)"
# PACK_CHECK_KEEP=1 keeps the scratch folder to look into.
if [ -z "${PACK_CHECK_KEEP:-}" ]; then trap 'rm -rf "$scratch"' EXIT; else echo "scratch: $scratch"; fi
public=(core adapter-express adapter-fastify adapter-koa adapter-fetch adapter-python)
names=()
for p in "${public[@]}"; do names+=("@wsgi/$p"); done
step() { printf '\n== %s\n' "$*"; }

step "fresh clone: pnpm install --frozen-lockfile prints no WARN line"
git clone --quiet "$root" "$scratch/clone"
(cd "$scratch/clone" && pnpm install --frozen-lockfile --prefer-offline >"$scratch/install.log" 2>&1) || {
  cat "$scratch/install.log"
  exit 1
}
if grep WARN "$scratch/install.log"; then
  echo "FAIL: a fresh clone's pnpm install printed the WARN lines above"
  exit 1
fi
echo "ok   no WARN line (committed HEAD)"
rm -rf "$scratch/clone"

step "build and pack"
pnpm build
node scripts/types-versions.mjs
for p in "${public[@]}"; do
  cmp -s LICENSE "packages/$p/LICENSE" || { echo "FAIL: packages/$p/LICENSE differs from LICENSE"; exit 1; }
done
# The command the README's "Use it in your project" gives (checked to be there).
grep -qF "pnpm@10.34.8 -r --filter '@wsgi/core' --filter '@wsgi/adapter-*' pack --pack-destination" README.md ||
  { echo "FAIL: README.md no longer gives the pack command this script runs"; exit 1; }
pnpm -r --filter '@wsgi/core' --filter '@wsgi/adapter-*' pack --pack-destination "$scratch/tarballs" >/dev/null
count=$(find "$scratch/tarballs" -name '*.tgz' | wc -l)
[ "$count" -eq "${#public[@]}" ] || { echo "FAIL: packed $count packages, not ${#public[@]}"; exit 1; }
for tgz in "$scratch/tarballs"/*.tgz; do
  list="$(tar -tzf "$tgz")"
  for need in package/package.json package/README.md package/LICENSE package/CHANGELOG.md package/dist/index.js package/dist/index.d.ts; do
    grep -qx "$need" <<<"$list" || { echo "FAIL: $(basename "$tgz") lacks $need"; exit 1; }
  done
  if grep -E '\.test(-d)?\.ts$|(^|/)test/|\.tsbuild' <<<"$list"; then
    echo "FAIL: $(basename "$tgz") ships the test files above"
    exit 1
  fi
  if tar -xzOf "$tgz" package/package.json | grep -E '"(workspace|catalog):'; then
    echo "FAIL: $(basename "$tgz") keeps a workspace range"
    exit 1
  fi
  echo "ok   $(basename "$tgz"): $(wc -l <<<"$list") files"
done

step "scratch project: npm install the tarballs and the frameworks"
# The versions the workspace's tests ran against.
frameworks=$(node -e '
  const { readFileSync } = require("node:fs")
  const version = (dir, n) => JSON.parse(readFileSync(`${dir}/node_modules/${n}/package.json`, "utf8")).version
  const at = (dir, names) => names.map((n) => `${n}@${version(dir, n)}`)
  console.log([
    ...at("packages/adapter-express", ["express", "@types/express"]),
    ...at("packages/adapter-koa", ["koa", "@types/koa"]),
    ...at("packages/adapter-fastify", ["fastify"]),
    ...at("packages/adapter-fetch", ["hono"]),
    ...at(".", ["@types/node"]),
  ].join(" "))')
echo "frameworks: $frameworks"
app="$scratch/app"
mkdir "$app"
cat >"$app/package.json" <<'JSON'
{ "name": "scratch", "private": true, "type": "module" }
JSON
# shellcheck disable=SC2086
(cd "$app" && npm install --no-audit --no-fund --loglevel=error "$scratch"/tarballs/*.tgz $frameworks)

step "import, require, and the examples"
cp scripts/pack-check/import-all.mjs scripts/pack-check/require-all.cjs "$app/"
for f in examples/*.js; do
  case "$(basename "$f")" in *.test.js | vitest.config.js) ;; *) cp "$f" "$app/" ;; esac
done
(cd "$app" && node import-all.mjs "${names[@]}" && node require-all.cjs "${names[@]}" && node check.js)

step "TypeScript: the README examples under each moduleResolution"
cat >"$app/readme.ts" <<'TS'
// Types only (the code runs above): the README examples of every package, with every entry point.
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'

import { fromExpress, toExpress, toExpressMiddleware } from '@wsgi/adapter-express'
import { fromFastify, toFastify } from '@wsgi/adapter-fastify'
import { fromFetch, toFetch } from '@wsgi/adapter-fetch'
import { toHono } from '@wsgi/adapter-fetch/hono'
import { fromKoa, toKoa, toKoaMiddleware } from '@wsgi/adapter-koa'
import * as core from '@wsgi/core'
import { isWSGIError } from '@wsgi/core/errors'
import { SimpleHandler } from '@wsgi/core/handlers'
import { Headers } from '@wsgi/core/headers'
import { dispatch } from '@wsgi/core/dispatch'
import { toNodeListener } from '@wsgi/core/node'
import { proxyFix } from '@wsgi/core/proxy-fix'
import { makeServer } from '@wsgi/core/simple-server'
import { staticFiles } from '@wsgi/core/static-files'
import { InputReader } from '@wsgi/core/streams'
import { TestClient } from '@wsgi/core/testing'
import type { Middleware, WSGIApplication } from '@wsgi/core/types'
import { requestURI } from '@wsgi/core/util'
import { validator } from '@wsgi/core/validate'
import { WSGIWarning } from '@wsgi/core/warnings'

const legacy: WSGIApplication = (environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']])
  return [new TextEncoder().encode(`${environ.PATH_INFO ?? ''} ${requestURI(environ)}\n`)]
}
const noStore: Middleware = (app) => (environ, startResponse) =>
  app(environ, (status, headers, excInfo) =>
    startResponse(status, [...headers, ['Cache-Control', 'no-store']], excInfo))

const e = express()
e.use(toExpressMiddleware(noStore))
e.use('/legacy', toExpress(legacy))
const k = new Koa()
k.use(toKoaMiddleware(noStore))
k.use(toKoa(legacy))
const f = Fastify()
void f.register(toFastify(legacy), { prefix: '/legacy' })
const h = new Hono()
h.all('/legacy/*', toHono(legacy))
const answer: Response | Promise<Response> = toFetch(legacy)(new Request('http://localhost/'))

const app: WSGIApplication = validator(
  proxyFix(
    staticFiles(
      dispatch({ '/e': fromExpress(e), '/k': fromKoa(k), '/f': fromFastify(f), '/h': fromFetch(h.fetch) }),
      { '/static': '.' },
    ),
  ),
)
void makeServer('127.0.0.1', 0, app).then((server) => server.shutdown())
const listener: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void =
  toNodeListener(app)
const client = new TestClient(app)
const headers: string | undefined = new Headers([['X-A', 'b']]).get('x-a')
const values: unknown[] = [answer, listener, client, headers, core.Headers, isWSGIError, SimpleHandler, InputReader, WSGIWarning]
export { values }
TS
tsc="$root/node_modules/.bin/tsc"
# skipLibCheck: @types/koa 3.0.3 fails its own check against content-disposition's types; the
# @wsgi/* declarations pass without it.
common='"strict": true, "target": "ES2022", "lib": ["ES2023"], "types": ["node"], "noEmit": true, "skipLibCheck": true, "esModuleInterop": true'
for mode in "commonjs node10" "node16 node16" "nodenext nodenext" "esnext bundler"; do
  set -- $mode
  cat >"$app/tsconfig.$2.json" <<JSON
{ "compilerOptions": { "module": "$1", "moduleResolution": "$2", $common }, "files": ["readme.ts"] }
JSON
  (cd "$app" && "$tsc" -p "tsconfig.$2.json") || { echo "FAIL: tsc, module $1, moduleResolution $2"; exit 1; }
  echo "ok   tsc --noEmit: module $1, moduleResolution $2"
done

step "pack:check passed"
