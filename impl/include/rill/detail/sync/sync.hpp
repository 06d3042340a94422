// rill/detail/sync/sync.hpp - the one door through which rill's channel code synchronises.
//
// Why a sync layer
// ----------------
// rill's claim is that the headers users include are the headers that were model-checked. That
// only holds if every atomic access, every lock, every park and every reading of the clock in
// channel code goes through one interface whose implementation can be swapped:
//
//   backend   selected by                      used for
//   -------   -----------------------------    ---------------------------------------------
//   std       (default)                        production: std::atomic, futex-backed parking
//   relacy    RILL_SYNC_BACKEND_RELACY          model checking with Relacy (verify/relacy/)
//   sim       RILL_SYNC_BACKEND_SIM             schedule fuzzing: a deterministic scheduler of
//                                               fibers with virtual time (fuzz/, docs/fuzzing.md)
//
// A backend header defines, in namespace rill::detail::sync, the same set of names:
//
//   atomic<T>            load/store/exchange/compare_exchange_*/fetch_* taking a
//                        std::memory_order and (defaulted) the caller's std::source_location,
//                        so that a Relacy counterexample names production file:line.
//   fence(order)         a standalone fence.
//   race_marker          an empty object in production; under Relacy a plain variable that is
//                        "written" or "read" around accesses to non-atomic shared data (message
//                        slots), so that an unsynchronised access is reported as a data race.
//   plain<T>             a non-atomic shared variable of a small trivially copyable type.
//   mutex                lock()/unlock()/try_lock(), each taking the caller's line; channel code
//                        holds it through sync::lock_guard and sync::unique_lock (lock.hpp),
//                        which pass their own caller's line on.
//   parker               a one-thread sleep/wake primitive with a sticky unpark token.
//   clock, now()         a monotonic clock; under Relacy a virtual one.
//   spin_pause(),
//   yield_now()          busy-wait hints (under Relacy: yield to the model checker's scheduler).
//   backoff_limits       spin() and park_after(): how long backoff spins before it yields, and
//                        after how many steps a blocking operation parks.
//   allocate_bytes(),
//   deallocate_bytes()   raw allocation; may fail (returns nullptr) through allocation_hook.
//   thread_identity()    an integer naming the calling thread, different from that of every
//                        other running thread (the rendezvous flavor's "never pair with yourself").
//   random_below(n)      a uniformly random integer in [0, n) (an unbiased select's choices);
//                        under Relacy a scheduler choice, so every outcome is explored.
//
// The sim backend (a deterministic scheduler with virtual time, for schedule fuzzing) is one more
// header with these names and one more branch below; channel code does not know which it runs on.
//
// Nothing outside this directory may name std::atomic, std::mutex, std::condition_variable,
// thread_local, std::this_thread, a clock's now() or the std lock guards; `ctest -L lint`
// enforces it.
#pragma once

#if defined(RILL_SYNC_BACKEND_RELACY)
#include "rill/detail/sync/relacy_backend.hpp"
#elif defined(RILL_SYNC_BACKEND_SIM)
#include "rill/detail/sync/sim_backend.hpp"
#else
#include "rill/detail/sync/std_backend.hpp"
#endif

#include "rill/detail/sync/backoff.hpp"
#include "rill/detail/sync/deadline.hpp"
#include "rill/detail/sync/lock.hpp"
#include "rill/detail/sync/ordering_site.hpp"
