# Source this from ~/.bashrc or ~/.zshrc. `with_secrets CMD ARGS...` runs one command with
# the project's secrets (the scope in $AISECRETS_SCOPE, if set); your shell itself never
# holds a value, so nothing else you start from it (an editor, a coding agent, `env` in a
# bug report) sees them.
with_secrets() {
  if [ -n "${AISECRETS_SCOPE:-}" ]; then
    aisecrets run --scope "$AISECRETS_SCOPE" -- "$@"
  else
    aisecrets run -- "$@"
  fi
}
