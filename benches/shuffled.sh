#!/usr/bin/env bash
# Builds the `signing` bench binary once per seed, its functions laid out in a different order by
# the linker (lld's --shuffle-sections), and copies each to OUT/signing-s<seed>.
#
#   benches/shuffled.sh OUT SEED...        e.g. benches/shuffled.sh /tmp/layouts 1 2 3 4 5 6 7 8
#
# Where the linker puts the hot functions moves a sub-microsecond bench by several percent (the
# key-pair verify bench spans 478-603 ns over eight layouts of the same code), more than many
# changes are worth. Compare two versions by the spread of their layouts, not by one build each:
# run this in both trees, then every binary alternately, pinned to one core, e.g.
#   for b in OUT/signing-s*; do taskset -c 1 $b --bench '^tencent-key-pair/verify$'; done
# Needs the toolchain's default linker to be lld (Rust >= 1.90 on x86_64 Linux).
set -euo pipefail
out=${1:?usage: benches/shuffled.sh OUT SEED...}; shift
[ $# -gt 0 ] || { echo "usage: benches/shuffled.sh OUT SEED..." >&2; exit 2; }
cd "$(dirname "$0")/.."
mkdir -p "$out"
target=${CARGO_TARGET_DIR:-target}/shuffled
# A fixed path: it is part of RUSTFLAGS, which cargo fingerprints.
mkdir -p "$target"
wrapper=$(cd "$target" && pwd)/cc-shuffle
cat > "$wrapper" <<'SH'
#!/usr/bin/env bash
exec cc "$@" "-Wl,--shuffle-sections=.text*=$SHUFFLE_SEED"
SH
chmod +x "$wrapper"
for seed in "$@"; do
    # Relink for each seed (the seed is not part of cargo's fingerprint).
    touch benches/signing.rs
    RUSTFLAGS="-C linker=$wrapper" SHUFFLE_SEED=$seed \
        cargo bench --bench signing --all-features --no-run --target-dir "$target" \
        --message-format=json 2>/dev/null |
        python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and m["target"]["name"]=="signing": print(m["executable"])' |
        tail -n 1 | xargs -I{} cp {} "$out/signing-s$seed"
    echo "$out/signing-s$seed"
done
