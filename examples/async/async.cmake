# E14: a coroutine consumer (rill/async.hpp). Included from examples/CMakeLists.txt, after
# rill_example_checker is defined; the output is checked as E13's.
add_executable(example_e14_async_producer_consumer ${CMAKE_CURRENT_LIST_DIR}/e14_async_producer_consumer.cpp)
target_link_libraries(example_e14_async_producer_consumer PRIVATE rill::rill rill_warnings)
add_test(NAME example_e14_async_producer_consumer
         COMMAND ${rill_example_checker} --program $<TARGET_FILE:example_e14_async_producer_consumer>
                 --mode interleaving --expected ${CMAKE_CURRENT_LIST_DIR}/expected/e14_async_producer_consumer.txt)
set_tests_properties(example_e14_async_producer_consumer PROPERTIES LABELS examples TIMEOUT 60)

# E14 again, the coroutines spawned on an Asio io_context (rill/asio.hpp), and E15, Go's prime
# sieve with a thousand coroutines on two threads: when standalone Asio (libasio-dev) is installed
# and RILL_BUILD_ASIO is on.
rill_asio_enabled(rill_asio)
if(rill_asio)
  add_executable(example_e14_asio_producer_consumer ${CMAKE_CURRENT_LIST_DIR}/e14_asio_producer_consumer.cpp)
  target_link_libraries(example_e14_asio_producer_consumer PRIVATE rill::rill rill_warnings)
  # g++ -fsanitize=thread: Asio's handler fences are not modelled (-Wtsan); see tests/async/async.cmake.
  target_compile_options(example_e14_asio_producer_consumer PRIVATE $<$<CXX_COMPILER_ID:GNU>:-Wno-tsan>)
  add_test(NAME example_e14_asio_producer_consumer
           COMMAND ${rill_example_checker} --program $<TARGET_FILE:example_e14_asio_producer_consumer>
                   --mode interleaving --expected ${CMAKE_CURRENT_LIST_DIR}/expected/e14_async_producer_consumer.txt)
  set_tests_properties(example_e14_asio_producer_consumer PROPERTIES LABELS examples TIMEOUT 60)

  add_executable(example_e15_prime_sieve ${CMAKE_CURRENT_LIST_DIR}/e15_prime_sieve.cpp)
  target_link_libraries(example_e15_prime_sieve PRIVATE rill::rill rill_warnings)
  target_compile_options(example_e15_prime_sieve PRIVATE $<$<CXX_COMPILER_ID:GNU>:-Wno-tsan>)
  # 1,000 primes (1,001 coroutines: 5 s in the Debug build); 300 under the sanitizers, where the
  # thousand take 28 s (TSan) and the chain of 301 shows the same.
  if(CMAKE_CXX_FLAGS MATCHES "sanitize")
    set(rill_sieve_primes 300)
  else()
    set(rill_sieve_primes 1000)
  endif()
  add_test(NAME example_e15_prime_sieve
           COMMAND ${rill_example_checker} --program $<TARGET_FILE:example_e15_prime_sieve> --program-arg ${rill_sieve_primes}
                   --mode exact --expected ${CMAKE_CURRENT_LIST_DIR}/expected/e15_prime_sieve_${rill_sieve_primes}.txt)
  set_tests_properties(example_e15_prime_sieve PROPERTIES LABELS examples TIMEOUT 120)
endif()
