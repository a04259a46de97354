#!/usr/bin/env bash
# Puts the pinned Bicep CLI at .tools/bin/bicep (gitignored), through the .NET SDK and the machine's NuGet
# configuration: the package Azure.Bicep.CommandLine.<rid> carries the self-contained binary. Idempotent: when
# that version is already there it only prints its path. test/infra uses .tools/bin/bicep before anything on PATH.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
project="$root/scripts/bicep-cli/bicep-cli.csproj"
tools="$root/.tools"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) rid=linux-x64 ;;
  Linux-aarch64 | Linux-arm64) rid=linux-arm64 ;;
  Darwin-x86_64) rid=osx-x64 ;;
  Darwin-arm64) rid=osx-arm64 ;;
  *) echo "fetch-bicep: no Bicep CLI package for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
version="$(sed -n 's:.*<BicepVersion>\(.*\)</BicepVersion>.*:\1:p' "$project")"
package="$tools/nuget/azure.bicep.commandline.$rid/$version"
binary="$package/tools/bicep"

if [ ! -x "$binary" ]; then
  command -v dotnet >/dev/null || { echo "fetch-bicep: the .NET SDK (dotnet) is needed to fetch the Bicep CLI" >&2; exit 1; }
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  # The restore's own files go under .tools too, so the repository stays clean.
  dotnet restore "$project" --packages "$tools/nuget" -p:BicepRuntimeIdentifier="$rid" \
    -p:BaseIntermediateOutputPath="$tools/obj/" -p:MSBuildProjectExtensionsPath="$tools/obj/" --verbosity quiet >&2
  chmod +x "$binary"
fi

mkdir -p "$tools/bin"
ln -sfn "$binary" "$tools/bin/bicep"
"$tools/bin/bicep" --version >&2
echo "$tools/bin/bicep"
