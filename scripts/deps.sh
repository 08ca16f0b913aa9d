# Sourced by the build scripts: installs the Debian packages the build needs when any is missing.
# Usage: ensure_packages [extra packages...]

STRONGHOLD_PACKAGES=(
  g++ cmake ninja-build pkg-config
  libcaf-dev libsodium-dev libsecp256k1-dev libfmt-dev libssl-dev liblz4-dev nlohmann-json3-dev libicu-dev
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

# configure_instrumented: configures build-sanitize/, the tree of the tests under ASan and UBSan
# (scripts/test.sh --sanitize) and of the fuzzers (scripts/fuzz.sh). One clang tree serves both:
# the fuzzers need clang's libFuzzer and its coverage in every library they reach, and the
# libraries compiled once so serve the tests too (a second instrumented build of the libraries
# cost CI about a tenth of its time).
configure_instrumented() {
  ensure_packages clang libclang-rt-14-dev lld
  local dir="$STRONGHOLD_ROOT/build-sanitize"
  # A tree another compiler configured (an older layout of this one) starts again from nothing.
  if [ -f "$dir/CMakeCache.txt" ] && ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++$' "$dir/CMakeCache.txt"; then
    rm -rf "$dir"
  fi
  # lld: the instrumented programs are near 200 MB each, and GNU ld took 18 s to link one that lld
  # links in 4 s.
  local lld=-fuse-ld=lld
  CC=clang CXX=clang++ cmake -S "$STRONGHOLD_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DSTRONGHOLD_FUZZ=ON -DSTRONGHOLD_BUILD_TESTS=ON -DSTRONGHOLD_BUILD_BENCH=OFF \
    -DCMAKE_EXE_LINKER_FLAGS=$lld -DCMAKE_SHARED_LINKER_FLAGS=$lld -DCMAKE_MODULE_LINKER_FLAGS=$lld
}
