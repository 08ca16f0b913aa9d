# Sourced by the build scripts: installs the Debian packages the build needs when any is missing.
# Usage: ensure_packages [extra packages...]

STRONGHOLD_PACKAGES=(
  g++ cmake ninja-build pkg-config
  libcaf-dev libsodium-dev libsecp256k1-dev libfmt-dev libssl-dev liblz4-dev nlohmann-json3-dev
  doctest-dev libbenchmark-dev
)

ensure_packages() {
  local wanted=("${STRONGHOLD_PACKAGES[@]}" "$@") missing=() package
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing Debian packages: ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: run as root or install sudo to install ${missing[*]}" >&2; return 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# configure_and_build BUILD_DIR [cmake options...]
configure_and_build() {
  local dir=$1
  shift
  cmake -S "$STRONGHOLD_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
  cmake --build "$dir" --parallel "$(nproc)"
}
