#!/usr/bin/env bash
# Compiles (`bicep build`) and lints (`bicep lint`) every Bicep file under infra/ with the
# real Bicep CLI, offline, and fails on any error or warning.
#
#   infra/scripts/compile.sh
#
# Bicep CLI: $BICEP_BIN if set, else `bicep` on PATH, else the NuGet package
# Azure.Bicep.CommandLine.linux-x64 ($BICEP_CLI_VERSION, default below) restored with the
# .NET SDK into a temporary folder. NuGet is the only network access; the compile itself
# runs in an empty network namespace when `unshare` allows it.
#
# The Microsoft Graph extension that users pull from mcr.microsoft.com is replaced, for this
# compile only, by one published locally from its type index ($BICEP_GRAPH_TYPES_DIR, by
# default ../shared/bicep-graph-types/v1.0-1.0.0 beside the repository; $SHARED_DIR moves
# the whole shared folder). The committed infra/bicepconfig.json is never modified: the
# files are compiled from a temporary copy of infra/ whose bicepconfig.json points at the
# local extension.
set -euo pipefail

readonly default_bicep_version='0.49.2'
readonly graph_extension_alias='microsoftGraphV1'
readonly graph_extension_registry_ref='br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0'

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
infra_dir=$(cd "$script_dir/.." && pwd)
repo_root=$(cd "$infra_dir/.." && pwd)
shared_dir=${SHARED_DIR:-$repo_root/../shared}
graph_types_dir=${BICEP_GRAPH_TYPES_DIR:-$shared_dir/bicep-graph-types/v1.0-1.0.0}
if [[ -d "$graph_types_dir" ]]; then
  graph_types_dir=$(cd "$graph_types_dir" && pwd)
fi
bicep_version=${BICEP_CLI_VERSION:-$default_bicep_version}

# No telemetry, banners or first-run work from the .NET SDK.
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
  DOTNET_GENERATE_ASPNET_CERTIFICATE=false DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE=1

started=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/infra-compile.XXXXXX")
trap 'rm -rf "$work"' EXIT

log() { printf 'infra-compile: %s\n' "$*" >&2; }
die() { printf 'infra-compile: FAILED: %s\n' "$*" >&2; exit 1; }

# Runs a Bicep CLI command without network access. Bicep 0.49 issues an HTTPS request to
# aka.ms on every build and lint (seen with strace; the compile does not need it), so:
#  - every HTTP(S) request is sent to a proxy on the loopback discard port, where it is
#    refused at once, so no name is even looked up;
#  - and, when the kernel allows it, the command runs in an empty network namespace.
# INFRA_COMPILE_NO_NETNS=1 skips the namespace (to trace the CLI's own behaviour).
readonly loopback_proxy='http://127.0.0.1:9'
no_proxy_env=(HTTPS_PROXY="$loopback_proxy" https_proxy="$loopback_proxy" HTTP_PROXY="$loopback_proxy"
  http_proxy="$loopback_proxy" ALL_PROXY="$loopback_proxy" all_proxy="$loopback_proxy" NO_PROXY= no_proxy=)
if [[ "${INFRA_COMPILE_NO_NETNS:-}" != 1 ]] && unshare --user --map-root-user --net true 2>/dev/null; then
  offline() { env "${no_proxy_env[@]}" unshare --user --map-root-user --net -- "$@"; }
  offline_note='in an empty network namespace'
else
  offline() { env "${no_proxy_env[@]}" "$@"; }
  offline_note='with HTTP(S) sent to a refused loopback proxy (no network namespace available)'
fi

# ---- 1. Bicep CLI -------------------------------------------------------------------------
restore_bicep() {
  command -v dotnet >/dev/null || die "no bicep on PATH and no dotnet to restore Azure.Bicep.CommandLine.linux-x64"
  local sdk_major tfm project_dir="$work/restore"
  sdk_major=$(dotnet --version | cut -d. -f1)
  tfm="net${sdk_major}.0"
  mkdir -p "$project_dir"
  # A throwaway project whose only purpose is to make NuGet download the package.
  cat >"$project_dir/bicep-cli.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>${tfm}</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Azure.Bicep.CommandLine.linux-x64" Version="${bicep_version}" />
  </ItemGroup>
</Project>
EOF
  log "restoring Azure.Bicep.CommandLine.linux-x64 ${bicep_version} from NuGet into a temporary folder"
  dotnet restore "$project_dir/bicep-cli.csproj" --packages "$work/packages" --nologo --verbosity quiet >&2 \
    || die "dotnet restore of Azure.Bicep.CommandLine.linux-x64 ${bicep_version} failed"
  local found
  found=$(find "$work/packages/azure.bicep.commandline.linux-x64" -type f -path '*/tools/bicep' | head -n 1)
  [[ -n "$found" ]] || die "the restored package holds no tools/bicep binary"
  chmod +x "$found"
  printf '%s\n' "$found"
}

if [[ -n "${BICEP_BIN:-}" ]]; then
  bicep=$BICEP_BIN
  bicep_source='$BICEP_BIN'
elif command -v bicep >/dev/null; then
  bicep=$(command -v bicep)
  bicep_source='PATH'
else
  bicep=$(restore_bicep)
  bicep_source="NuGet Azure.Bicep.CommandLine.linux-x64 ${bicep_version}"
fi
[[ -x "$bicep" ]] || die "bicep CLI not executable: $bicep"
bicep_banner=$(offline "$bicep" --version)
log "using ${bicep_banner} (${bicep_source}: ${bicep})"

# The Graph extension v1.0:1.0.0 needs Bicep 0.36.1 or later.
installed_version=$(sed -n 's/^Bicep CLI version \([0-9][0-9.]*\).*/\1/p' <<<"$bicep_banner")
if [[ -z "$installed_version" ]] || \
   [[ "$(printf '%s\n%s\n' '0.36.1' "$installed_version" | sort -V | head -n 1)" != '0.36.1' ]]; then
  die "Bicep CLI 0.36.1 or later is needed for the Microsoft Graph extension; found '${bicep_banner}'"
fi

# ---- 2. Local Graph extension -------------------------------------------------------------
[[ -f "$graph_types_dir/index.json" && -f "$graph_types_dir/types.json" ]] \
  || die "Graph extension types not found in $graph_types_dir (set BICEP_GRAPH_TYPES_DIR or SHARED_DIR)"
cp -R "$graph_types_dir" "$work/graph-types"
chmod -R u+w "$work/graph-types"
graph_extension="$work/extensions/microsoftgraph-v1.0-1.0.0.tgz"
mkdir -p "$work/extensions"
# publish-extension prints a notice that the command is experimental; only its exit code matters.
offline "$bicep" publish-extension "$work/graph-types/index.json" --target "$graph_extension" \
  >"$work/publish-extension.log" 2>&1 \
  || { cat "$work/publish-extension.log" >&2; die "bicep publish-extension failed"; }
[[ -s "$graph_extension" ]] || die "bicep publish-extension produced no extension file"
log "published the Microsoft Graph extension locally from ${graph_types_dir}"

# ---- 3. Temporary copy of infra/ pointing at the local extension --------------------------
cp -R "$infra_dir" "$work/infra"
config="$work/infra/bicepconfig.json"
grep -qF "\"${graph_extension_registry_ref}\"" "$config" \
  || die "infra/bicepconfig.json no longer names ${graph_extension_registry_ref} for ${graph_extension_alias}; update this script"
sed -i "s#\"${graph_extension_registry_ref}\"#\"${graph_extension}\"#" "$config"
if grep -nE '"(br|ts):|"br/' "$config" >&2; then
  die "the temporary bicepconfig.json still refers to a registry"
fi

mapfile -t bicep_files < <(cd "$work/infra" && find . -name '*.bicep' -type f | sed 's#^\./##' | sort)
(( ${#bicep_files[@]} > 0 )) || die "no Bicep files under infra/"

# A module or extension pulled from a registry (br:, br/alias:, ts:) would need the network
# and is not compiled offline: refuse it loudly instead of skipping it.
if (cd "$work/infra" && grep -nE "^\s*(module|extension|import)\b.*'(br:|br/|ts:|ts/)" "${bicep_files[@]}") >&2; then
  die "a Bicep file refers to a registry module or extension; it cannot be compiled offline"
fi

# ---- 4. Build and lint every file ---------------------------------------------------------
failures=0 # bicep runs that failed without printing an error diagnostic (crash, bad arguments)
: >"$work/diagnostics.txt"
mkdir -p "$work/out"

# Runs one bicep command, prints its diagnostics with paths relative to the repository, and
# adds them up. Text diagnostics look like `<file>(line,col) : Warning <code>: <message>`.
check() {
  local step=$1 file=$2 status=0 output e w i
  shift 2
  output=$(cd "$work/infra" && offline "$bicep" "$@" 2>&1) || status=$?
  output=${output//"$work/infra/"/infra/}
  e=$(grep -cE '\) : Error ' <<<"$output" || true)
  w=$(grep -cE '\) : Warning ' <<<"$output" || true)
  i=$(grep -cE '\) : Info ' <<<"$output" || true)
  if (( status != 0 && e == 0 )); then
    e=1
  fi
  [[ -n "$output" ]] && printf '%s\n' "$output" >&2
  # main.bicep repeats its modules' diagnostics and build and lint repeat each other: the
  # totals count each distinct diagnostic once.
  grep -E '\) : (Error|Warning|Info) ' <<<"$output" >>"$work/diagnostics.txt" || true
  if (( status != 0 )) && ! grep -qE '\) : Error ' <<<"$output"; then
    failures=$((failures + 1))
  fi
  printf '  %-6s infra/%-32s %d error(s), %d warning(s)\n' "$step" "$file" "$e" "$w" >&2
}

log "building and linting ${#bicep_files[@]} Bicep files ${offline_note}"
for file in "${bicep_files[@]}"; do
  mkdir -p "$work/out/$(dirname "$file")"
  check build "$file" build "$file" --outfile "$work/out/${file%.bicep}.json"
  check lint "$file" lint "$file"
done

sort -u "$work/diagnostics.txt" -o "$work/diagnostics.txt"
errors=$(( $(grep -cE '\) : Error ' "$work/diagnostics.txt" || true) + failures ))
warnings=$(grep -cE '\) : Warning ' "$work/diagnostics.txt" || true)
infos=$(grep -cE '\) : Info ' "$work/diagnostics.txt" || true)

# The compiled templates must import the same extension users get from the registry.
for compiled in "$work/out/main.json" "$work/out/app/graph-permissions.json"; do
  if [[ -f "$compiled" ]] && ! grep -q '"provider": "MicrosoftGraph"' "$compiled"; then
    log "${compiled#"$work/out/"} does not import the MicrosoftGraph extension"
    errors=$((errors + 1))
  fi
done

# azd reads main.parameters.json; make sure it is at least valid JSON.
params="$infra_dir/main.parameters.json"
if [[ -f "$params" ]]; then
  if command -v node >/dev/null; then
    node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$params" \
      || { log "infra/main.parameters.json is not valid JSON"; errors=$((errors + 1)); }
  elif command -v python3 >/dev/null; then
    python3 -m json.tool "$params" >/dev/null \
      || { log "infra/main.parameters.json is not valid JSON"; errors=$((errors + 1)); }
  fi
fi

# Keep the compiled ARM templates when asked (e.g. as a CI artifact).
if [[ -n "${INFRA_COMPILE_OUT:-}" ]]; then
  mkdir -p "$INFRA_COMPILE_OUT"
  cp -R "$work/out/." "$INFRA_COMPILE_OUT/"
  log "compiled templates copied to $INFRA_COMPILE_OUT"
fi

elapsed=$((SECONDS - started))
summary="${#bicep_files[@]} Bicep files built and linted with ${bicep_banner}: ${errors} error(s), ${warnings} warning(s), ${infos} info(s) (distinct diagnostics) in ${elapsed}s"
if (( errors > 0 || warnings > 0 )); then
  printf 'infra-compile: FAILED: %s\n' "$summary"
  exit 1
fi
printf 'infra-compile: OK: %s\n' "$summary"
