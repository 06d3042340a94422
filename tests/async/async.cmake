# Awaiting channel operations from coroutines (rill/async.hpp), SPEC R45-R49. The binary counts
# allocations by wrapping, at link time, the two forms of operator new its code calls (see the top
# of async_test.cpp); the sanitizers' runtimes define operator new, so it cannot be replaced.
rill_gtest(rill_async_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/async_test.cpp)
if(TARGET rill_async_test)
  target_link_options(rill_async_test PRIVATE
    "LINKER:--wrap=_Znwm"
    "LINKER:--wrap=_ZnwmSt11align_val_tRKSt9nothrow_t")
endif()
