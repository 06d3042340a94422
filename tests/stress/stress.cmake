# Stress tests (label `stress`): many threads per channel, every flavor, exact accounting of every
# message. Message counts scale with the environment variable RILL_STRESS_SCALE (default 1), e.g.
#   RILL_STRESS_SCALE=20 ctest --test-dir build/dev -L stress
rill_gtest(rill_stress_test LABEL stress SOURCES ${CMAKE_CURRENT_LIST_DIR}/stress_test.cpp)

# Selection under load (SPEC R30-R39): select-senders and select-receivers of every form next to
# plain senders and receivers, on channels of every flavor; scaled by RILL_STRESS_SCALE too.
rill_gtest(rill_select_stress_test LABEL stress SOURCES ${CMAKE_CURRENT_LIST_DIR}/select_stress_test.cpp)

# The soak: fourteen threads churning handles and channels of every flavor for
# RILL_SOAK_SECONDS (default 3; ./run-verify --deep sets 180), with exact accounting and memory
# bounds. Its timeout must exceed the longest soak asked for.
rill_gtest(rill_soak_test LABEL stress TIMEOUT 900 SOURCES ${CMAKE_CURRENT_LIST_DIR}/soak_test.cpp)
# Channel memory is counted by wrapping the two operators the sync layer's allocate_bytes and
# deallocate_bytes call: operator new(size_t, align_val_t, nothrow_t const&) and
# operator delete(void*, size_t, align_val_t). See "Memory" at the top of soak_test.cpp.
rill_count_allocations(rill_soak_test _ZnwmSt11align_val_tRKSt9nothrow_t _ZdlPvmSt11align_val_t)

# Coroutines on two run loops on two threads (rill/async.hpp, SPEC R9, R47, R49): the allocations
# are counted by wrapping operator new at link time (tests/support/allocation_counter.hpp).
rill_gtest(rill_async_stress_test LABEL stress SOURCES ${CMAKE_CURRENT_LIST_DIR}/async_stress_test.cpp)
rill_count_allocations(rill_async_stress_test _Znwm _ZnwmSt11align_val_tRKSt9nothrow_t)
