#!/usr/bin/env bash
# Builds the browser bundle the way `cargo leptos build --release` does, without building the
# server: the frontend library for wasm32 with the `lib-profile-release` profile, then
# wasm-bindgen (--target=web) and wasm-opt with cargo-leptos's flags. Prints the raw and gzip -9
# sizes of the optimised wasm the browser downloads.
#
#   end2end/wasm-size.sh            sizes only
#   WASM_SIZE_TOP=25 end2end/...    also the largest functions and data (needs `twiggy`)
#   WASM_GZIP_BUDGET=300000 ...     fail when the gzip size is larger than this many bytes
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

# The profile and RUSTFLAGS cargo-leptos uses for a release build of the frontend.
profile="$(sed -n 's/^lib-profile-release = "\(.*\)"/\1/p' Cargo.toml)"
rustflags=""
if grep -q '^always-erase-components = true' Cargo.toml; then
    rustflags="--cfg erase_components"
fi

for tool in wasm-bindgen wasm-opt gzip; do
    command -v "$tool" >/dev/null || { echo "wasm-size: $tool is not on PATH (make tools)" >&2; exit 1; }
done

RUSTFLAGS="${RUSTFLAGS:-} $rustflags" cargo build -p frontend --lib --target wasm32-unknown-unknown \
    --profile "$profile" >&2

out="$target_dir/wasm-size"
rm -rf "$out"
mkdir -p "$out"
wasm-bindgen --target=web --out-name=vigil --out-dir="$out" \
    "$target_dir/wasm32-unknown-unknown/$profile/frontend.wasm"
# wasm-bindgen's output before wasm-opt keeps function names, for twiggy.
cp "$out/vigil_bg.wasm" "$out/vigil_bg.named.wasm"
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
    "$out/vigil_bg.wasm" -o "$out/vigil_bg.wasm"

raw=$(wc -c <"$out/vigil_bg.wasm")
gz=$(gzip -9 -c "$out/vigil_bg.wasm" | wc -c)
js_gz=$(gzip -9 -c "$out/vigil.js" | wc -c)
echo "vigil_bg.wasm: $raw bytes raw, $gz bytes gzip -9 (vigil.js: $js_gz bytes gzip -9)"
echo "files: $out"

if [ -n "${WASM_SIZE_TOP:-}" ]; then
    if command -v twiggy >/dev/null; then
        twiggy top -n "$WASM_SIZE_TOP" "$out/vigil_bg.named.wasm" | cut -c1-160
    else
        echo "wasm-size: twiggy is not installed (cargo install twiggy --locked)" >&2
    fi
fi

if [ -n "${WASM_GZIP_BUDGET:-}" ] && [ "$gz" -gt "$WASM_GZIP_BUDGET" ]; then
    echo "wasm-size: $gz bytes gzip is over the budget of $WASM_GZIP_BUDGET" >&2
    exit 1
fi
