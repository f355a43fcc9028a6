#!/usr/bin/env bash
# Starts Polyglot (bus, crud, realtime, and the database when PostgreSQL is chosen) with the Aspire
# dashboard at http://localhost:15888. Arguments go to the app host, e.g.
#   ./run.sh --Polyglot:Database:Provider=Postgres
# Without Docker, RabbitMQ (and PostgreSQL) run as private local processes from the OS packages;
# when they are missing too, this installs them first and says so.
set -euo pipefail
cd "$(dirname "$0")"

if ! docker info >/dev/null 2>&1; then
  shopt -s nocasematch # the app host takes monolith or Postgres in any case
  # The monolith has no bus.
  [[ " $* " == *"ConnectionStrings:bus="* || " $* " == *"Topology=Monolith"* ]] || scripts/ensure-os-packages rabbitmq-server
  if [[ " $* " == *"Provider=Postgres"* && " $* " != *"ConnectionStrings:db="* ]]; then
    scripts/ensure-os-packages postgresql
  fi
fi

exec dotnet run --project apphost/Polyglot.AppHost --launch-profile http -- "$@"
