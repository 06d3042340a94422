# Stress tests (label `stress`): many threads per channel, every flavor, exact accounting of every
# message. Message counts scale with the environment variable RILL_STRESS_SCALE (default 1), e.g.
#   RILL_STRESS_SCALE=20 ctest --test-dir build/dev -L stress
rill_gtest(rill_stress_test LABEL stress SOURCES ${CMAKE_CURRENT_LIST_DIR}/stress_test.cpp)
