#!/usr/bin/env bash
# Installs code-server (a real VS Code) into a cache directory keyed by its version, for the extension's end-to-end test.
#
# Idempotent: a finished install leaves a stamp file and later runs return at once. The registry package's
# install scripts are skipped because they download ripgrep from GitHub (not reachable here); the native
# modules are rebuilt against the local Node instead (recipe in docs/ and ../shared/STACK.md).
# Prints the path of the code-server launcher on its last line.
set -euo pipefail

VERSION="${CODE_SERVER_VERSION:-4.100.3}"
CACHE_ROOT="${MYDROPBOX_CACHE:-${HOME}/.cache/mydropbox}"
TARGET="${CACHE_ROOT}/code-server-${VERSION}"
STAMP="${TARGET}/.installed"
BIN="${TARGET}/node_modules/code-server/out/node/entry.js"

log() { echo "[code-server install] $*" >&2; }

if [[ -f "${STAMP}" && -f "${BIN}" ]]; then
  echo "${TARGET}/bin/code-server"
  exit 0
fi

mkdir -p "${CACHE_ROOT}"
# Two test runs at once must not build into the same directory.
exec 9>"${CACHE_ROOT}/code-server-${VERSION}.lock"
flock 9
if [[ -f "${STAMP}" && -f "${BIN}" ]]; then
  echo "${TARGET}/bin/code-server"
  exit 0
fi

need_apt=()
for pkg in libkrb5-dev libxkbfile-dev libsecret-1-dev pkg-config ripgrep; do
  dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q "install ok installed" || need_apt+=("${pkg}")
done
if ((${#need_apt[@]})); then
  log "installing apt packages: ${need_apt[*]}"
  SUDO=""
  [[ "$(id -u)" != 0 ]] && SUDO="sudo"
  ${SUDO} apt-get install -y --no-install-recommends "${need_apt[@]}" >&2 || {
    ${SUDO} apt-get update >&2 && ${SUDO} apt-get install -y --no-install-recommends "${need_apt[@]}" >&2
  }
fi

NODE_GYP="$(command -v node-gyp || true)"
if [[ -z "${NODE_GYP}" ]]; then
  NPM_DIR="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  NODE_GYP="node ${NPM_DIR}/node_modules/node-gyp/bin/node-gyp.js"
fi
NODEDIR="${NODEDIR:-/usr}"
[[ -f "${NODEDIR}/include/node/node.h" ]] || NODEDIR="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"

STAGE="${TARGET}.partial"
rm -rf "${STAGE}"
mkdir -p "${STAGE}"
cd "${STAGE}"
echo '{"name":"code-server-cache","private":true}' > package.json

log "npm install code-server@${VERSION} (scripts skipped)"
npm install --no-audit --no-fund --ignore-scripts "code-server@${VERSION}" >&2
npm rebuild argon2 >&2

VSCODE="${STAGE}/node_modules/code-server/lib/vscode"
cd "${VSCODE}"
log "installing VS Code's own dependencies"
npm install --no-audit --no-fund --omit=dev --ignore-scripts >&2
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
npm rebuild @parcel/watcher @vscode/spdlog kerberos native-watchdog @vscode/deviceid >&2
(cd node_modules/node-pty && ${NODE_GYP} rebuild --nodedir="${NODEDIR}" >&2)
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
log "installing the built-in extensions' dependencies"
(cd extensions && npm install --no-audit --no-fund --omit=dev >&2)

mkdir -p "${STAGE}/bin"
cat > "${STAGE}/bin/code-server" <<LAUNCHER
#!/usr/bin/env bash
exec node "\$(dirname "\$(readlink -f "\$0")")/../node_modules/code-server/out/node/entry.js" "\$@"
LAUNCHER
chmod +x "${STAGE}/bin/code-server"

cd "${CACHE_ROOT}"
rm -rf "${TARGET}"
mv "${STAGE}" "${TARGET}"
# Absolute paths inside the tree (symlinks are relative) survive the move; the stamp is written last.
echo "${VERSION}" > "${STAMP}"
log "installed in ${TARGET}"
echo "${TARGET}/bin/code-server"
