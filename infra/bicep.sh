#!/usr/bin/env bash
# Runs the Bicep CLI, installing it first from NuGet (Azure.Bicep.CommandLine.linux-x64) if this machine has
# not got it yet. Usage: bash infra/bicep.sh <bicep arguments>, e.g. bash infra/bicep.sh build infra/main.bicep --stdout
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="${BICEP_VERSION:-0.49.2}"
bicep="$here/tools/.packages/azure.bicep.commandline.linux-x64/$version/tools/bicep"

if [[ ! -x "$bicep" ]]; then
  if [[ -f "$bicep" ]]; then
    chmod +x "$bicep"
  else
    echo "Installing Bicep CLI $version from NuGet..." >&2
    dotnet restore "$here/tools/bicep.csproj" -p:BicepVersion="$version" --verbosity quiet >&2
    chmod +x "$bicep"
  fi
fi

# Bicep is a .NET app; without ICU on minimal images it needs invariant globalization.
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT="${DOTNET_SYSTEM_GLOBALIZATION_INVARIANT:-1}"
exec "$bicep" "$@"
