#!/bin/sh
# Alertmanager's entrypoint in docker-compose.yml (run by the image's busybox sh; busybox applets only).
# Alertmanager does not expand environment variables in its configuration, so:
#   - ALERTMANAGER_WEBHOOK_URL empty or unset: alertmanager.yml is used as it is (no notifier), and
#     POST /-/reload re-reads it from the mounted directory.
#   - set: the URL is written to $run/webhook-url (mode 0600, on the tmpfs compose mounts there) and
#     alertmanager.yml is copied to $run/alertmanager.yml with its lines that end in "#@webhook"
#     turned on (their first "# " and the mark removed): a webhook_configs entry whose url_file is
#     that file (url_file needs Alertmanager 0.26 or later). Alertmanager then reads that copy:
#     after editing alertmanager.yml, restart the service (a reload re-reads the copy).
# The URL is never printed, and is removed from the environment Alertmanager runs with.
# ALERTMANAGER_CONFIG_FILE and ALERTMANAGER_RUN_DIR move the two paths, for the tests only.
set -eu

config=${ALERTMANAGER_CONFIG_FILE:-/etc/alertmanager/alertmanager.yml}
run=${ALERTMANAGER_RUN_DIR:-/run/alertmanager}
url=${ALERTMANAGER_WEBHOOK_URL:-}
unset ALERTMANAGER_WEBHOOK_URL ALERTMANAGER_CONFIG_FILE ALERTMANAGER_RUN_DIR

if [ -n "$url" ]; then
  case "$url" in
    http://?* | https://?*) ;;
    *)
      echo "entrypoint: ALERTMANAGER_WEBHOOK_URL is not an http:// or https:// URL" >&2
      exit 1
      ;;
  esac
  nl='
'
  tab=$(printf '\t')
  case "$url" in
    *' '* | *"$tab"* | *"$nl"*)
      echo "entrypoint: ALERTMANAGER_WEBHOOK_URL contains white space" >&2
      exit 1
      ;;
  esac
  if ! grep -q '#@webhook$' "$config"; then
    echo "entrypoint: ALERTMANAGER_WEBHOOK_URL is set but $config has no line marked #@webhook to turn on" >&2
    exit 1
  fi
  umask 077
  printf '%s\n' "$url" >"$run/webhook-url"
  sed '/#@webhook$/{s/# //;s/ *#@webhook$//;}' "$config" >"$run/alertmanager.yml"
  config=$run/alertmanager.yml
  echo "entrypoint: webhook notifications on (ALERTMANAGER_WEBHOOK_URL), configuration $config" >&2
fi

exec alertmanager --config.file="$config" "$@"
