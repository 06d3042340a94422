#!/usr/bin/env bash
# Fails if a header outside the sync layer (any directory named sync/) synchronises or reads a
# clock by itself, or spells a memory ordering inline instead of through a named ordering site.
# Such code would run unobserved by the model checker. It also fails on the std lock guards:
# sync::lock_guard and sync::unique_lock pass the caller's line to the backend, so traces name
# rill's lines rather than <mutex>'s. Usage: check_sync_layer.sh DIR
set -euo pipefail
root=${1:?usage: check_sync_layer.sh DIR}
status=0

raw=$(grep -rnE 'std::atomic|std::mutex|std::condition_variable|std::shared_mutex|thread_local|std::this_thread|(steady|system|high_resolution)_clock::now|std::atomic_thread_fence|std::(lock_guard|unique_lock|scoped_lock)' \
        "$root" --include='*.hpp' --include='*.h' --include='*.ipp' | grep -v '/sync/' || true)
if [ -n "$raw" ]; then
  echo "lint: raw synchronisation or clock outside the sync layer:"
  echo "$raw" | sed 's/^/  /'
  status=1
fi

# Every std::memory_order_* outside sync/ must be the second argument of sync::ordering_site().
inline_orders=$(grep -rnE 'memory_order_(relaxed|consume|acquire|release|acq_rel|seq_cst)' "$root" \
        --include='*.hpp' --include='*.h' --include='*.ipp' | grep -v '/sync/' | grep -v 'ordering_site(' || true)
if [ -n "$inline_orders" ]; then
  echo "lint: memory ordering spelled inline (use a named sync::ordering_site):"
  echo "$inline_orders" | sed 's/^/  /'
  status=1
fi

if [ $status -eq 0 ]; then
  echo "lint: $(find "$root" -name '*.hpp' | grep -vc '/sync/') headers outside the sync layer checked, no violation"
fi
exit $status
