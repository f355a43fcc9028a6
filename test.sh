#!/usr/bin/env bash
# Runs every test against real servers: each test run starts its own private RabbitMQ and
# PostgreSQL from the OS packages; the live page is tested in Debian's headless Chromium and the
# generated Compose file by docker-compose (all installed first when missing). Arguments go to
# dotnet test.
set -euo pipefail
cd "$(dirname "$0")"

scripts/ensure-os-packages rabbitmq-server postgresql chromium docker-compose
dotnet tool restore >/dev/null
dotnet test Polyglot.sln "$@"
