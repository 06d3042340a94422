# Awaiting channel operations from coroutines (rill/async.hpp), SPEC R45-R49. The binary counts
# allocations by wrapping the two forms of operator new its code calls
# (tests/support/allocation_counter.hpp).
rill_gtest(rill_async_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/async_test.cpp
                                            ${CMAKE_CURRENT_LIST_DIR}/async_timed_test.cpp)
rill_count_allocations(rill_async_test _Znwm _ZnwmSt11align_val_tRKSt9nothrow_t)

# Awaiting a select statement (rill::async_select, SPEC R51); allocations counted as above.
rill_gtest(rill_async_select_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/async_select_test.cpp)
rill_count_allocations(rill_async_select_test _Znwm _ZnwmSt11align_val_tRKSt9nothrow_t)

# The Asio adaptor (rill/asio.hpp, SPEC R45, R46, R50), when standalone Asio is installed
# (Debian's libasio-dev, from scripts/install-deps.sh test) and RILL_BUILD_ASIO is on.
rill_asio_enabled(rill_asio)
if(rill_asio)
  rill_gtest(rill_asio_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/asio_test.cpp)
  if(TARGET rill_asio_test)
    # g++ -fsanitize=thread warns (-Wtsan) that Asio's handler fences (asio/detail/std_fenced_block.hpp)
    # are not modelled; Asio's scheduler publishes every handler through its mutex, which TSan does see.
    target_compile_options(rill_asio_test PRIVATE $<$<CXX_COMPILER_ID:GNU>:-Wno-tsan>)
  endif()
endif()
