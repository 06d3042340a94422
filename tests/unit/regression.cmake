rill_gtest(rill_regression_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/regression_test.cpp)
rill_gtest(rill_select_regression_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/select_regression_test.cpp)

# The unbounded flavor's queries at other block capacities (SPEC R26): list_block_test.cpp built
# with RILL_LIST_BLOCK_CAPACITY 31 (the default), 5 and 4, so that size() is also checked where a
# block's offsets (capacity + 1) are not a power of two. The capacity prefixes the test names.
rill_label_enabled(unit rill_list_block_enabled)
if(rill_list_block_enabled)
  find_package(GTest REQUIRED)
  include(GoogleTest)
  foreach(capacity 31 5 4)
    set(target rill_list_block_${capacity}_test)
    add_executable(${target} ${CMAKE_CURRENT_LIST_DIR}/list_block_test.cpp)
    target_link_libraries(${target} PRIVATE rill::rill rill_warnings GTest::gtest GTest::gtest_main)
    target_compile_definitions(${target} PRIVATE RILL_LIST_BLOCK_CAPACITY=${capacity})
    gtest_discover_tests(${target} TEST_PREFIX "capacity_${capacity}." PROPERTIES LABELS unit TIMEOUT 300
                         DISCOVERY_TIMEOUT 60)
  endforeach()
endif()
