#!/usr/bin/env bash
# What parcelkit costs an application to build: a fresh debug `cargo build` of a small app that
# depends on parcelkit (default features) against the same app written with only reqwest
# (parcelkit's TLS and HTTP features) + serde + serde_json + tokio. Same settings, same machine,
# same run, each build with its own empty target directory.
#
# Usage: bench/build-cost/run.sh [ROUNDS]   (default 1; rounds alternate which app builds first)
#
# PARCELKIT_SOURCE picks how the app gets parcelkit:
#   git (default)  a git dependency on this repository's HEAD commit, which is how an application
#                  gets a crate it does not develop (git or crates.io): cargo compiles such a
#                  package like any other dependency, without incremental state and with lints
#                  capped. Uncommitted changes are not measured.
#   path           a path dependency on the working tree: cargo treats parcelkit as the app's own
#                  code and compiles it (and parcelkit-codegen) incrementally, which costs ~20-30 %
#                  more on a fresh build; use it to measure uncommitted changes.
#
# It takes minutes, so it is not part of CI. The apps are written into a temporary directory,
# outside the workspace, and use the workspace's Cargo.lock so both resolve the same versions.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
rounds="${1:-1}"
work="$(mktemp -d "${TMPDIR:-/tmp}/parcelkit-build-cost.XXXXXX")"
trap 'rm -rf "$work"' EXIT

export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
# Nothing from the caller's environment may change one build and not the other.
unset CARGO_TARGET_DIR RUSTC_WRAPPER CARGO_BUILD_RUSTC_WRAPPER RUSTFLAGS CARGO_ENCODED_RUSTFLAGS \
  CARGO_INCREMENTAL CARGO_PROFILE_DEV_DEBUG

# Must match parcelkit's reqwest line in Cargo.toml, so the baseline pays for the same TLS stack.
reqwest_features='"json", "query", "stream", "rustls", "http2"'
tokio='tokio = { version = "1", features = ["macros", "rt-multi-thread"] }'
serde='serde = { version = "1", features = ["derive"] }
serde_json = "1"'

write_app() { # name, dependencies, main.rs
  mkdir -p "$work/$1/src"
  cat >"$work/$1/Cargo.toml" <<EOF
[package]
name = "$1"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
$2

[workspace]
EOF
  printf '%s\n' "$3" >"$work/$1/src/main.rs"
  cp "$repo/Cargo.lock" "$work/$1/Cargo.lock"
}

case "${PARCELKIT_SOURCE:-git}" in
  git)
    commit="$(git -C "$repo" rev-parse HEAD)"
    if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
      echo "note: uncommitted changes are not measured (PARCELKIT_SOURCE=path measures them)" >&2
    fi
    parcelkit_dependency="parcelkit = { git = \"file://$repo\", rev = \"$commit\" }"
    ;;
  path) parcelkit_dependency="parcelkit = { path = \"$repo\" }" ;;
  *) echo "PARCELKIT_SOURCE must be git or path" >&2; exit 2 ;;
esac

write_app with-parcelkit "$parcelkit_dependency
$serde
$tokio" '
use parcelkit::smartsend::Client;

#[derive(serde::Serialize)]
struct Order<'"'"'a> {
    reference: &'"'"'a str,
}

#[tokio::main]
async fn main() {
    let client = Client::builder()
        .base_url("http://127.0.0.1:9")
        .token("t")
        .build()
        .expect("a client");
    let answer = client
        .get_shipment()
        .team("t")
        .shipment("5f0c8a3c-7d7e-4f4f-9a43-2b1d2a9c1e10")
        .send()
        .await;
    println!("{}: {:?}", serde_json::json!(Order { reference: "o-1" }), answer.is_ok());
}'

write_app reqwest-only "reqwest = { version = \"0.13\", default-features = false, features = [$reqwest_features] }
$serde
$tokio" '
#[derive(serde::Serialize, serde::Deserialize, Debug)]
struct Shipment {
    uuid: String,
    reference: Option<String>,
}

#[tokio::main]
async fn main() {
    let client = reqwest::Client::new();
    let answer = async {
        client
            .get("http://127.0.0.1:9/team/t/shipments/5f0c8a3c-7d7e-4f4f-9a43-2b1d2a9c1e10")
            .bearer_auth("t")
            .send()
            .await?
            .json::<Shipment>()
            .await
    }
    .await;
    println!("{}: {:?}", serde_json::json!({ "reference": "o-1" }), answer.is_ok());
}'

build() { # app -> seconds on stdout
  local target="$work/target-$1-$2"
  # Dependencies are fetched before the clock starts: the figure is compile time, not network.
  (cd "$work/$1" && cargo fetch --quiet)
  local start end
  start=$(date +%s.%N)
  (cd "$work/$1" && CARGO_TARGET_DIR="$target" cargo build --quiet >"$work/$1-$2.log" 2>&1) || {
    cat "$work/$1-$2.log" >&2
    exit 1
  }
  end=$(date +%s.%N)
  rm -rf "$target"
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }'
}

echo "cargo $(cargo --version | cut -d' ' -f2), CARGO_BUILD_JOBS=$CARGO_BUILD_JOBS, $(nproc) cores, parcelkit from ${PARCELKIT_SOURCE:-git}${commit:+ at ${commit:0:7}}"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
ratios=()
total_parcelkit=0
total_reqwest=0
for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order="reqwest-only with-parcelkit"; else order="with-parcelkit reqwest-only"; fi
  declare -A seconds=()
  for app in $order; do
    seconds[$app]=$(build "$app" "$round")
  done
  awk -v p="${seconds[with-parcelkit]}" -v r="${seconds[reqwest-only]}" -v n="$round" \
    'BEGIN { printf "round %d: parcelkit app %.1f s, reqwest-only app %.1f s, ratio %.2fx\n", n, p, r, p / r }'
  ratios+=("$(awk -v p="${seconds[with-parcelkit]}" -v r="${seconds[reqwest-only]}" 'BEGIN { printf "%.4f", p / r }')")
  total_parcelkit=$(awk -v t="$total_parcelkit" -v s="${seconds[with-parcelkit]}" 'BEGIN { printf "%.1f", t + s }')
  total_reqwest=$(awk -v t="$total_reqwest" -v s="${seconds[reqwest-only]}" 'BEGIN { printf "%.1f", t + s }')
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# One round says little on a machine whose speed drifts: the median of all of them.
printf '%s\n' "${ratios[@]}" | sort -g | awk '{ r[NR] = $1 } END {
  m = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
  printf "median ratio over %d rounds: %.2fx (lowest %.2fx, highest %.2fx)\n", NR, m, r[1], r[NR]
}'
# Another reading of the same rounds: the ratio of the total times, which weighs each build by
# its length where the median weighs each round alike.
awk -v p="$total_parcelkit" -v r="$total_reqwest" \
  'BEGIN { printf "all rounds together: parcelkit app %.1f s, reqwest-only app %.1f s, ratio %.2fx\n", p, r, p / r }'
