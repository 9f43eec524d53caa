#!/usr/bin/env bash
# One command from a fresh clone to a running daemon on the embedded defaults:
# installs dependencies, builds the TypeScript (again whenever the sources or
# the lock file changed, so `git pull` and this script upgrade), puts
# `telenode` on the PATH, then starts telenode with the in-process simulator
# connector and a generated 'admin' API user.
set -euo pipefail
cd "$(dirname "$0")/.."
node -e 'const [major] = process.versions.node.split(".").map(Number); if (major < 20) { console.error(`telenode needs Node >= 20, this is ${process.version}`); process.exit(1); }'
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  # Not `npm ci`: see .ci/run (npm 11 lock files without other platforms' optional packages).
  npm install --no-audit --no-fund
  touch node_modules
fi
# Build when there is no build yet, or anything it is made of is newer than it.
if [ ! -f dist/cli/main.js ] || [ -n "$(find src scripts/build-console.mjs package.json package-lock.json tsconfig.json tsconfig.build.json -newer dist/cli/main.js -print -quit 2>/dev/null)" ]; then
  npm run build
fi
chmod +x dist/cli/main.js
# `telenode` in a new shell: a link in the first writable directory of the usual PATH.
for bin in /usr/local/bin "$HOME/.local/bin"; do
  if mkdir -p "$bin" 2>/dev/null && [ -w "$bin" ]; then
    ln -sf "$PWD/dist/cli/main.js" "$bin/telenode"
    case ":$PATH:" in
      *":$bin:"*) echo "telenode is on your PATH: $bin/telenode" ;;
      *) echo "telenode linked as $bin/telenode; add $bin to your PATH to run it by name" ;;
    esac
    break
  fi
done
mkdir -p data
# The malloc settings of systemd/telenode.service (decisions 0118, 0121, 0135): API log-ins' scrypt memory and freed arena
# tops are returned.
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-7340032}" MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-1048576}"
exec node dist/cli/main.js start "$@"
