#!/usr/bin/env bash
# System packages some tests use: Debian's chromium (dashboard browser test) and postgresql
# (metadata store on PostgreSQL). Installed when we are root and apt-get exists; otherwise those
# tests skip with a reason. Never downloads a browser of its own.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need[*]} (Debian packages) for the tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}") \
      >/tmp/forecasthub-apt.log 2>&1 || echo "warning: could not install ${need[*]} (see /tmp/forecasthub-apt.log); those tests will skip"
  else
    echo "note: ${need[*]} not installed and not root; those tests will skip"
  fi
fi
exit 0
