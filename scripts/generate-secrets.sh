#!/usr/bin/env bash
# Creates ./secrets/* for docker-compose.yml: random keys and a matching database URL.
# Existing files are kept, so running it twice never replaces a key in use.
set -euo pipefail
cd "$(dirname "$0")/.."
# The directory keeps other users out; the files stay readable by the container's "node" user,
# because Compose bind-mounts them with the host's permissions.
mkdir -p secrets
chmod 700 secrets
umask 022
random() { node -e "process.stdout.write(require('crypto').randomBytes(32).toString('base64url'))"; }
write_once() { [ -s "secrets/$1" ] || { printf '%s' "$2" > "secrets/$1"; echo "created secrets/$1"; }; }
write_once postgres_password "$(random)"
write_once database_url "postgres://gatehouse:$(cat secrets/postgres_password)@postgres:5432/gatehouse"
write_once gatehouse_kek "$(random)"
write_once gatehouse_cookie_keys "$(random)"
write_once gatehouse_pepper "$(random)"
