# Helpers shared by tests/, examples/, spec/model/ and verify/.

# rill_label_enabled(<label> <out-var>): whether this build registers tests of <label>.
function(rill_label_enabled label out)
  if(RILL_TEST_LABELS STREQUAL "" OR label IN_LIST RILL_TEST_LABELS)
    set(${out} TRUE PARENT_SCOPE)
  else()
    set(${out} FALSE PARENT_SCOPE)
  endif()
endfunction()

# rill_gtest(<name> LABEL <label> SOURCES <files...> [LIBRARIES <libs...>])
# One GoogleTest executable; every TEST in it becomes a CTest test carrying <label>.
function(rill_gtest name)
  cmake_parse_arguments(arg "" "LABEL;TIMEOUT" "SOURCES;LIBRARIES" ${ARGN})
  rill_label_enabled(${arg_LABEL} enabled)
  if(NOT enabled)
    return()
  endif()
  find_package(GTest REQUIRED)
  include(GoogleTest)
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 300)
  endif()
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE rill::rill rill_warnings GTest::gtest GTest::gtest_main ${arg_LIBRARIES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)  # tests/support/
  gtest_discover_tests(${name} PROPERTIES LABELS ${arg_LABEL} TIMEOUT ${arg_TIMEOUT} DISCOVERY_TIMEOUT 60)
endfunction()
