#!/bin/sh
# install_check.sh RESULTS MAKE CC SANITIZE - make install into a scratch
# prefix, then a program outside the tree, built with nothing but
# `pkg-config --cflags --libs cvo`, loads the CDNOW orders of tests/data,
# scores RFM and fits BG/NBD (the published parameters); once against
# libcvo.so, once against libcvo.a with the Requires.private modules and
# Libs.private (which proves them complete). The shared library
# exports only cvo_ symbols and has the soname libcvo.so.0; DESTDIR stages
# under another root with the prefix in cvo.pc; make uninstall leaves no file.
# MAKE is the make command line (with BUILD and SAN) to install with; SANITIZE
# the -fsanitize flags the library was built with, for the test programs.
results=$(cd "$1" && pwd)
make_cmd=$2
cc=${3:-cc}
sanitize=$4
root=$(cd "$(dirname "$0")/.." && pwd)
pass=0; fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL install: $*" >&2; }
check() { # check DESCRIPTION COMMAND... (its output shown only when it fails)
    what=$1; shift
    if "$@" > "$tmp/check.log" 2>&1; then ok; else bad "$what"; cat "$tmp/check.log" >&2; fi
}
finish() {
    echo "install: $pass passed, $fail failed"
    echo "$pass $fail" > "$results/install.count"
    [ "$fail" = 0 ]
    exit $?
}
# every file and symlink under a folder, sorted, without the folder
files_under() { (cd "$1" 2>/dev/null && find . ! -type d | sort); }

command -v pkg-config > /dev/null 2>&1 || { bad "pkg-config not found (Debian: apt-get install pkg-config)"; finish; }
prefix=$tmp/prefix
cd "$root" || exit 1
# LDCONFIG=true: a scratch prefix is not the system's library path
check "make install PREFIX=$prefix" $make_cmd install PREFIX="$prefix" LDCONFIG=true
version=$(sed -n 's/^#define CVO_VERSION "\(.*\)"/\1/p' include/cvo.h)
cat > "$tmp/expected.files" <<EOF
./bin/cvo
./include/cvo.h
./lib/libcvo.a
./lib/libcvo.so
./lib/libcvo.so.0
./lib/libcvo.so.$version
./lib/pkgconfig/cvo.pc
./share/man/man1/cvo.1
EOF
files_under "$prefix" > "$tmp/installed.files"
check "installed files" diff "$tmp/expected.files" "$tmp/installed.files"
check "installed man page is docs/cvo.1" cmp docs/cvo.1 "$prefix/share/man/man1/cvo.1"
check "installed cvo runs" sh -c '"$1" --version | grep -qx "cvo $2"' sh "$prefix/bin/cvo" "$version"
check "soname libcvo.so.0" sh -c 'readelf -d "$1" | grep -q "SONAME.*\[libcvo\.so\.0\]"' sh "$prefix/lib/libcvo.so.$version"
# defined dynamic symbols other than cvo_ ones and the linker's own markers
nm -D --defined-only "$prefix/lib/libcvo.so.$version" | awk '{print $3}' |
    grep -v -e '^cvo_' -e '^__bss_start$' -e '^_edata$' -e '^_end$' -e '^_init$' -e '^_fini$' > "$tmp/exports"
check "only cvo_ symbols exported" test ! -s "$tmp/exports"
[ -s "$tmp/exports" ] && head "$tmp/exports" >&2

# a program outside the tree
mkdir -p "$tmp/app"
cat > "$tmp/app/app.c" <<'EOF'
/* Loads CDNOW orders, scores RFM, fits BG/NBD on the 39-week calibration. */
#include <cvo.h>
#include <stdio.h>

static int fail(cvo_ctx *ctx, const char *what)
{
    fprintf(stderr, "app: %s: %s\n", what, cvo_ctx_message(ctx));
    return 1;
}

int main(int argc, char **argv)
{
    cvo_ctx *ctx = NULL;
    if (argc != 2 || cvo_ctx_new(&ctx, NULL) != CVO_OK)
        return 2;
    cvo_load_options load;
    cvo_load_options_init(&load);
    load.path = argv[1];
    load.keep_orders = 1;
    cvo_customers *customers = NULL;
    cvo_load_stats stats;
    if (cvo_orders_load(ctx, &load, &customers, &stats) != CVO_OK)
        return fail(ctx, "load");
    cvo_scheme *scheme = NULL;
    cvo_rfm_options rfm_options;
    cvo_rfm_options_init(&rfm_options);
    cvo_rfm *rfm = NULL;
    if (cvo_scheme_builtin(ctx, "relationship", rfm_options.levels, &scheme) != CVO_OK ||
        cvo_rfm_new(ctx, customers, &rfm_options, scheme, &rfm) != CVO_OK)
        return fail(ctx, "rfm");
    size_t top = 0;
    for (size_t i = 0; i < cvo_customers_count(customers); i++)
        top += cvo_rfm_scores(rfm)[i].segment == 0;
    cvo_summary_options summary_options;
    cvo_summary_options_init(&summary_options);
    summary_options.calibration_end = cvo_day_from_ymd(1997, 9, 30);
    cvo_summary *summary = NULL;
    cvo_fit_options fit_options;
    cvo_fit_options_init(&fit_options);
    cvo_fit fit;
    if (cvo_summary_from_orders(ctx, customers, &summary_options, &summary) != CVO_OK ||
        cvo_model_fit(ctx, CVO_MODEL_BGNBD, summary, &fit_options, &fit) != CVO_OK)
        return fail(ctx, "fit");
    printf("cvo %s: %zu customers, %zu %s\n", cvo_version(), cvo_customers_count(customers), top,
           cvo_scheme_segment_name(scheme, 0));
    printf("bgnbd r %.4f alpha %.4f a %.4f b %.4f\n", fit.params[0], fit.params[1], fit.params[2],
           fit.params[3]);
    cvo_summary_free(summary);
    cvo_rfm_free(rfm);
    cvo_scheme_free(scheme);
    cvo_customers_free(customers);
    cvo_ctx_free(ctx);
    return 0;
}
EOF
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
check "pkg-config knows cvo $version" sh -c 'test "$(pkg-config --modversion cvo)" = "$1"' sh "$version"
cflags=$(pkg-config --cflags cvo)
libs=$(pkg-config --libs cvo)
# what libcvo.a needs: the modules it requires, and its own private flags
private_libs="$(pkg-config --libs $(pkg-config --print-requires-private cvo)) $(sed -n 's/^Libs.private: //p' "$prefix/lib/pkgconfig/cvo.pc")"
cd "$tmp/app" || exit 1
# shared: only what pkg-config says (and the sanitizer the library was built with)
check "build against libcvo.so: $cc app.c $cflags $libs" \
    $cc $sanitize -o app-shared app.c $cflags $libs
# static: libcvo.a, then the Requires.private modules and Libs.private (their
# own static closures are Debian's business: libcurl's needs many -dev packages)
check "build against libcvo.a: $cc app.c $cflags -Wl,-Bstatic -lcvo -Wl,-Bdynamic $private_libs" \
    $cc $sanitize -o app-static app.c $cflags -L"$prefix/lib" -Wl,-Bstatic -lcvo -Wl,-Bdynamic \
    -Wl,--as-needed $private_libs
check "the static program does not need libcvo.so" sh -c '! readelf -d app-static | grep -q "NEEDED.*libcvo"'
expected="cvo $version: 2357 customers, 233 Soulmates
bgnbd r 0.2426 alpha 4.4136 a 0.7929 b 2.4259"
check "app on libcvo.so: RFM and the published BG/NBD fit of CDNOW" sh -c \
    'test "$(LD_LIBRARY_PATH="$1/lib" ./app-shared "$2")" = "$3"' sh "$prefix" "$root/tests/data/cdnowElog.csv" "$expected"
check "app on libcvo.a: the same" sh -c \
    'test "$(./app-static "$1")" = "$2"' sh "$root/tests/data/cdnowElog.csv" "$expected"
cd "$root" || exit 1

check "make uninstall PREFIX=$prefix" $make_cmd uninstall PREFIX="$prefix" LDCONFIG=true
check "nothing left after uninstall" test -z "$(files_under "$prefix")"

# DESTDIR: staged under another root, the prefix as installed in cvo.pc
stage=$tmp/stage
check "make install DESTDIR=$stage PREFIX=/opt/cvo" $make_cmd install DESTDIR="$stage" PREFIX=/opt/cvo
check "staged files" sh -c 'cd "$1/opt/cvo" && find . ! -type d | sort | diff "$2" -' sh "$stage" "$tmp/expected.files"
check "cvo.pc names the prefix, not the stage" grep -qx 'prefix=/opt/cvo' "$stage/opt/cvo/lib/pkgconfig/cvo.pc"
check "make uninstall DESTDIR=$stage PREFIX=/opt/cvo" $make_cmd uninstall DESTDIR="$stage" PREFIX=/opt/cvo
check "nothing left in the stage" test -z "$(files_under "$stage")"
finish
