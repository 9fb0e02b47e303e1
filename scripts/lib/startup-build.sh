# Sourced by scripts/install and scripts/bench: how the installed program is built for a
# fast start (#14). Sets `startup_host` (rustc's host) and `startup_flags`, the rustc flags,
# empty where the ordinary build is the one to make.
#
# On x86_64 Linux with glibc:
# - `+crt-static`: a static PIE, no dynamic loader before `main` (about 0.3 ms a start). Still
#   position-independent (ASLR) with full RELRO; glibc is built in, so a glibc update needs a
#   reinstall. Rust makes static PIEs for glibc on x86_64 only, and a static binary at a fixed
#   address would give up ASLR, so other hosts get the ordinary build.
# - the portable ChaCha20 and Poly1305 code: the SIMD ones ask the CPU what it has with
#   `cpuid` first, and in a virtual machine each `cpuid` traps to the hypervisor (about 6 µs
#   on the test VM; four of them in a `run`). The data aisecrets encrypts is a few kilobytes,
#   where SIMD gains nothing measurable. (SHA-256 keeps its SHA-NI code: a `run` hashes enough
#   that the portable code costs what the probe saves; measured, no difference.)
# - relative relocations packed (`-z pack-relative-relocs`, DT_RELR), where glibc is 2.36 or
#   later (older ones cannot start a static PIE that has them): 18,000 relocation entries,
#   440 KB read at every start, become 5 KB.
# - scripts/lib/link-ordered as the linker: it checks that the binary starts, and with
#   valgrind installed it places the functions a start runs side by side (its header says
#   why).
# AISECRETS_DYNAMIC=1 asks for the ordinary build everywhere.
startup_host=$(rustc -vV | sed -n 's/^host: //p')
startup_flags=()
if [ "$startup_host" = x86_64-unknown-linux-gnu ] && [ -z "${AISECRETS_DYNAMIC:-}" ]; then
  startup_flags=(-C target-feature=+crt-static --cfg chacha20_force_soft --cfg poly1305_force_soft)
  startup_glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null | sed -n 's/^glibc 2\.\([0-9]*\).*/\1/p')
  if [ "${startup_glibc:-0}" -ge 36 ]; then
    startup_flags+=(-C link-arg=-Wl,-z,pack-relative-relocs)
  fi
  startup_lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  startup_flags+=(-C "linker=$startup_lib/link-ordered")
  # cargo relinks only when its own inputs change. What this link also takes from elsewhere
  # (glibc's static library, whether valgrind is there, these scripts) names a cfg that
  # nothing reads, so that a change there rebuilds: a reinstall after a glibc update, or once
  # valgrind is installed, links with what the machine has now.
  startup_stamp=$({
    getconf GNU_LIBC_VERSION
    cksum <"$(cc -print-file-name=libc.a)"
    command -v valgrind >/dev/null && echo valgrind
    cat "$startup_lib/link-ordered" "$startup_lib/startup-build.sh"
  } 2>/dev/null | cksum | cut -d' ' -f1)
  startup_flags+=(--cfg "aisecrets_link_$startup_stamp")
fi

# startup_cargo_flags: how a cargo command gets startup_flags, in `startup_cargo` (arguments)
# or the environment. Flags set in the environment (RUSTFLAGS or CARGO_ENCODED_RUSTFLAGS, even
# empty) make cargo ignore those of its configuration, so ours join them there, in cargo's
# encoded form (a checkout path with spaces stays whole); otherwise `--config` adds ours to
# the configuration's target.HOST.rustflags (cargo then does not use a build.rustflags: flags
# meant for this build go in RUSTFLAGS).
startup_cargo_flags() {
  startup_cargo=()
  local user=() all
  if [ -n "${CARGO_ENCODED_RUSTFLAGS+set}" ]; then
    [ -z "$CARGO_ENCODED_RUSTFLAGS" ] || IFS=$'\x1f' read -r -d '' -a user < <(printf '%s' "$CARGO_ENCODED_RUSTFLAGS") || true
  elif [ -n "${RUSTFLAGS+set}" ]; then
    read -r -d '' -a user <<<"$RUSTFLAGS" || true
  else
    local toml= f
    for f in "${startup_flags[@]}"; do
      f=${f//\\/\\\\}
      toml+="\"${f//\"/\\\"}\", "
    done
    startup_cargo=(--config "target.$startup_host.rustflags=[${toml%, }]")
    return
  fi
  all=("${user[@]}" "${startup_flags[@]}")
  CARGO_ENCODED_RUSTFLAGS=$(IFS=$'\x1f' && printf '%s' "${all[*]}")
  export CARGO_ENCODED_RUSTFLAGS
  unset RUSTFLAGS
}

# startup_layout REPORT: the layout line of the binary cargo just built in this checkout
# (scripts/lib/link-ordered's `ordered: ...` or `not ordered: why`): from REPORT, where this
# build's link wrote it, or, when cargo found the binary up to date and did not link it, from
# the last link's OUTPUT.layout in cargo's target folder. Empty when neither says.
startup_layout() {
  local line dir
  line=$(cat "$1" 2>/dev/null || true)
  if [ -z "$line" ]; then
    dir=$(cargo metadata --format-version 1 --no-deps --locked 2>/dev/null |
      sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    line=$(cat "$(ls -t "$dir/$startup_host/release/deps/"aisecrets-*.layout 2>/dev/null | head -n 1)" 2>/dev/null || true)
  fi
  printf '%s' "$line"
}
