#!/usr/bin/env bash
# Installs what the real-VS-Code test tiers (integration, e2e) and `npm start` need, on a
# machine that reaches only the npm registry and Debian apt (see docs/real-vscode.md):
#
#   Debian packages   chromium                      headless browser driven by playwright-core
#                     ripgrep                       VS Code's file search (replaces a GitHub download)
#                     libkrb5-dev pkg-config libx11-dev libxkbfile-dev libsecret-1-dev
#                     python3 make g++              native addons of code-server / VS Code
#   npm               code-server 4.100.3           = VS Code 1.100.3, into .vscode-test/code-server
#
# Idempotent and cached: Debian packages are installed only when dpkg-query says they are
# missing (so a second run does no `apt-get update`), and code-server only when its stamp file
# is absent. code-server is installed into a temporary folder and moved into place at the end,
# so an interrupted install never looks complete.
#
# Usage: bash scripts/setup-vscode.sh        (from any directory)
# Env:   CODE_SERVER_VERSION   override the pinned version (the stamp records it)
set -euo pipefail

CS_VERSION="${CODE_SERVER_VERSION:-4.100.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="$ROOT/.vscode-test"
DEST="$CACHE_DIR/code-server"
STAMP="$DEST/.installed-version"
CODE_SERVER_BIN="$DEST/node_modules/.bin/code-server"

APT_PACKAGES=(chromium ripgrep libkrb5-dev pkg-config libx11-dev libxkbfile-dev libsecret-1-dev python3 make g++)

log() { printf '[setup-vscode] %s\n' "$*"; }
die() {
  printf '[setup-vscode] ERROR: %s\n' "$*" >&2
  exit 1
}

# ---- 1. Node: code-server 4.100 runs on Node 20 and its native addons are built for it ----
command -v node >/dev/null || die "node is not on PATH; install Node.js 20 (Debian: apt-get install nodejs npm)"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
[ "$NODE_MAJOR" = 20 ] ||
  die "code-server $CS_VERSION needs Node.js 20, but node is $(node -v). Switch to Node 20 (e.g. nvm use 20) and rerun."

# ---- 2. Debian packages, only those missing ----
is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    die "missing Debian packages: ${missing[*]}
    This script installs them with apt-get and must run as root for that. Either rerun it as root,
    or install them yourself and rerun:  sudo apt-get install -y ${missing[*]}"
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
else
  log "Debian packages present: ${APT_PACKAGES[*]}"
fi

# ---- 3. code-server from npm (cached by its stamp) ----
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$CS_VERSION" ] && [ -x "$CODE_SERVER_BIN" ]; then
  log "code-server $CS_VERSION cached at ${DEST#"$ROOT"/} (delete that folder to reinstall)"
  exit 0
fi

# node-gyp builds the native addons against Node's own headers (Debian's nodejs package ships them
# in /usr/include/node); without nodedir it would download them from nodejs.org, which is
# unreachable. Set here, not taken from ~/.npmrc, so a user config does not matter.
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
[ -f "$npm_config_nodedir/include/node/node.h" ] ||
  die "no Node headers at $npm_config_nodedir/include/node/node.h (needed to build code-server's native addons).
    With Debian's nodejs they come with the package; with another Node, set npm_config_nodedir to its prefix."
# Quieter npm; these are harmless defaults whatever ~/.npmrc says.
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
NPM_QUIET=(--no-audit --no-fund --loglevel=error)

log "installing code-server $CS_VERSION (VS Code 1.100.3) from npm into ${DEST#"$ROOT"/} (about a minute)"
started=$SECONDS
mkdir -p "$CACHE_DIR"
rm -rf "$CACHE_DIR"/code-server.partial.* # leftovers of an install that was killed
# The temp folder sits beside DEST so the final `mv` is a rename on the same file system.
TMP="$(mktemp -d "$CACHE_DIR/code-server.partial.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
echo '{ "private": true }' >package.json

# code-server without its install scripts: its postinstall runs `npm install` in lib/vscode, where
# @vscode/ripgrep's postinstall downloads rg from GitHub (unreachable). We redo those steps by hand.
npm install --ignore-scripts "${NPM_QUIET[@]}" "code-server@$CS_VERSION"

VSCODE_DIR="$TMP/node_modules/code-server/lib/vscode"
cd "$VSCODE_DIR"
npm install --omit=dev --ignore-scripts "${NPM_QUIET[@]}"
# Native addons. npm_config_yes=true: node-pty's install script runs `npx node-gyp ...`, and with
# `yes=false` in a user config and a cold npm cache npx refuses to fetch node-gyp, failing the rebuild.
npm_config_yes=true npm rebuild --loglevel=error \
  node-pty @parcel/watcher kerberos native-watchdog @vscode/spdlog @vscode/deviceid
# ripgrep: Debian's binary where @vscode/ripgrep would have put its download.
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
# The symlinks code-server's postinstall.sh creates.
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sfn code-linux.sh code-server)
(cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
# Runtime dependencies of the built-in extensions (their own postinstall only prunes files).
# (stdout dropped: its postinstall lists every file it prunes; errors still go to stderr)
(cd extensions && npm install --omit=dev "${NPM_QUIET[@]}" >/dev/null)

# code-server's password hashing addon: required at startup even with --auth none.
cd "$TMP"
npm rebuild argon2 --loglevel=error

# Smoke check, then move into place and stamp it: only a complete install gets the stamp.
# (--config: otherwise code-server writes a default ~/.config/code-server/config.yaml)
version_line="$("$TMP/node_modules/.bin/code-server" --config "$TMP/config.yaml" --version | grep -E "^$CS_VERSION " || true)"
rm -f "$TMP/config.yaml"
[ -n "$version_line" ] || die "code-server --version does not report $CS_VERSION; the install is broken (left nothing behind)"
cd "$ROOT"
rm -rf "$DEST"
mv "$TMP" "$DEST"
trap - EXIT
echo "$CS_VERSION" >"$STAMP"
log "code-server ready: $version_line ($((SECONDS - started)) s)"
log "binary: ${CODE_SERVER_BIN#"$ROOT"/}"
