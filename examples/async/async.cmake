# E14: a coroutine consumer (rill/async.hpp). Included from examples/CMakeLists.txt, after
# rill_example_checker is defined; the output is checked as E13's.
add_executable(example_e14_async_producer_consumer ${CMAKE_CURRENT_LIST_DIR}/e14_async_producer_consumer.cpp)
target_link_libraries(example_e14_async_producer_consumer PRIVATE rill::rill rill_warnings)
add_test(NAME example_e14_async_producer_consumer
         COMMAND ${rill_example_checker} --program $<TARGET_FILE:example_e14_async_producer_consumer>
                 --mode interleaving --expected ${CMAKE_CURRENT_LIST_DIR}/expected/e14_async_producer_consumer.txt)
set_tests_properties(example_e14_async_producer_consumer PROPERTIES LABELS examples TIMEOUT 60)
