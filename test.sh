#!/usr/bin/env bash
# Runs every test against real servers: each test run starts its own private RabbitMQ and
# PostgreSQL from the OS packages, and the live page is tested in Debian's headless Chromium (all
# installed first when missing). Arguments go to dotnet test.
set -euo pipefail
cd "$(dirname "$0")"

scripts/ensure-os-packages rabbitmq-server postgresql chromium
dotnet tool restore >/dev/null
dotnet test Polyglot.sln "$@"
