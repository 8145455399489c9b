#!/bin/sh
# run.sh SECONDS - builds the fuzz targets with clang's libFuzzer (+ASan/UBSan)
# and runs each for SECONDS, growing fuzz/corpus/<target>. New crashers land
# in fuzz/artifacts/; copy them into the corpus once fixed.
set -e
seconds=${1:-60}
cd "$(dirname "$0")/.."
./.ci/deps.sh clang libclang-rt-14-dev zlib1g-dev libgsl-dev libsqlite3-dev
mkdir -p build/fuzz-bin fuzz/artifacts
flags="-std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Ilib -D_GNU_SOURCE -DCVO_HAVE_XLSX -pthread"
for src in fuzz/fuzz_*.c; do
    target=$(basename "$src" .c)
    clang $flags "$src" lib/*/*.c -o "build/fuzz-bin/$target" -lxlsxwriter -lcurl -lgsl -lgslcblas -lsqlite3 -lz -lm
    mkdir -p "fuzz/corpus/$target"
    "build/fuzz-bin/$target" -max_total_time="$seconds" -max_len=65536 \
        -artifact_prefix=fuzz/artifacts/ "fuzz/corpus/$target"
done
