# Awaiting channel operations from coroutines (rill/async.hpp), SPEC R45-R49. The binary replaces
# the global operator new to count allocations.
rill_gtest(rill_async_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/async_test.cpp)
