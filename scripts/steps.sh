#!/usr/bin/env bash
# steps.sh TARGET...: run `make TARGET` for each target, in order, every one even when an earlier
# one failed; time each, print a summary, exit 1 when any failed. `make test` runs the linters,
# sam build and each test tier so (each tier is a pytest process of its own).
set -uo pipefail
make_cmd=${MAKE:-make}
names=() results=() times=()
failed=0
all_start=$SECONDS

duration() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

for target in "$@"; do
  printf '\n==> make %s\n' "$target"
  start=$SECONDS
  if "$make_cmd" --no-print-directory "$target"; then result=passed; else result=FAILED; failed=1; fi
  names+=("$target") results+=("$result") times+=($((SECONDS - start)))
done

printf '\n==> summary\n'
for i in "${!names[@]}"; do
  printf '  %-12s %-7s %8s\n' "${names[$i]}" "${results[$i]}" "$(duration "${times[$i]}")"
done
printf '  %-12s %-7s %8s\n' total "$([ "$failed" = 0 ] && echo passed || echo FAILED)" \
  "$(duration $((SECONDS - all_start)))"
exit "$failed"
