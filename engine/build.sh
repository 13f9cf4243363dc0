#!/bin/sh
# MicroPython-wasm for the page (src/wopr/web/engine/): MicroPython v1.27.0's webassembly port, its variant `wopr`
# (engine/variant: only what wopr.runtime uses), built with Debian 12's emscripten 3.1.6 and adapted to it. Usage:
#   engine/build.sh MICROPYTHON_SOURCE   (a checkout or an unpacked archive of MicroPython at v1.27.0)
# It writes src/wopr/web/engine/micropython.{wasm,mjs} and engine/SHA256SUMS (the recipe's files and what they built,
# which the suite checks against the committed engine). See engine/README.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
source=${1:?usage: engine/build.sh MICROPYTHON_SOURCE}
out=$root/src/wopr/web/engine
work=$root/build/engine

version=$(sed -n 's/^#define MICROPY_VERSION_\(MAJOR\|MINOR\|MICRO\) \([0-9]*\)$/\2/p' "$source/py/mpconfig.h" 2>/dev/null |
  paste -sd.)
[ "$version" = 1.27.0 ] || { echo "$source is not MicroPython 1.27.0's source (found: ${version:-none})" >&2; exit 1; }
command -v emcc >/dev/null || { echo 'emcc is missing: apt-get install emscripten (make engine does)' >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"
cp -r "$source/." "$work/"  # a copy: the patch below never touches the source given
# emscripten 3.1.6 reads no arrow functions in a JS library (acorn stops, or the .mjs does not import)
patch -s -d "$work/ports/webassembly" -p0 < "$here/library.js.diff"
mkdir -p "$work/ports/webassembly/variants/wopr"
cp "$here/variant/mpconfigvariant.h" "$here/variant/mpconfigvariant.mk" "$work/ports/webassembly/variants/wopr/"
make -s -C "$work/mpy-cross" -j"$(nproc)"
# Debian's node does not search /usr/share/nodejs, where emcc's optimiser finds acorn
NODE_PATH=/usr/share/nodejs make -s -C "$work/ports/webassembly" VARIANT=wopr -j"$(nproc)"

built=$work/ports/webassembly/build-wopr
# Node 20 has fetch(), which 3.1.6's loader would use on a file path: streaming compilation outside Node only. Then
# the prologue (require and __dirname in Node, as newer emscripten defines them).
sed -E 's/typeof WebAssembly.instantiateStreaming *== *["\x27]function["\x27]/!ENVIRONMENT_IS_NODE\&\&&/' \
  "$built/micropython.mjs" > "$work/micropython.mjs"
grep -q '!ENVIRONMENT_IS_NODE&&typeof WebAssembly.instantiateStreaming' "$work/micropython.mjs" ||
  { echo "the loader's streaming test was not found: is this emscripten 3.1.6?" >&2; exit 1; }
cat "$here/prologue.mjs" "$work/micropython.mjs" > "$out/micropython.mjs"
cp "$built/micropython.wasm" "$out/micropython.wasm"
chmod 644 "$out/micropython.wasm"

cd "$root"
{
  echo "# MicroPython $version, emscripten $(emcc -dumpversion)"
  sha256sum engine/build.sh engine/library.js.diff engine/prologue.mjs engine/variant/mpconfigvariant.h \
    engine/variant/mpconfigvariant.mk src/wopr/web/engine/micropython.wasm src/wopr/web/engine/micropython.mjs
} > engine/SHA256SUMS
cat engine/SHA256SUMS
