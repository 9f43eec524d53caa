#!/usr/bin/env bash
# One command from a fresh clone to a running daemon on the embedded defaults:
# installs dependencies (building the TypeScript), then starts telenode with
# the in-process simulator connector and a generated 'admin' API user.
set -euo pipefail
cd "$(dirname "$0")/.."
node -e 'const [major] = process.versions.node.split(".").map(Number); if (major < 20) { console.error(`telenode needs Node >= 20, this is ${process.version}`); process.exit(1); }'
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  # Not `npm ci`: see .ci/run (npm 11 lock files without other platforms' optional packages).
  npm install --no-audit --no-fund
fi
[ -f dist/cli/main.js ] || npm run build
mkdir -p data
exec node dist/cli/main.js start "$@"
