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

# rill_count_allocations(<target> <mangled operator>...): routes each named operator new or delete
# through __wrap_<symbol> in <target> (the linker's --wrap), so that a test can count what the code
# under test allocates. The sanitizers' runtimes define operator new themselves, so replacing it
# is not an option; wrapping works under every preset.
function(rill_count_allocations target)
  if(NOT TARGET ${target})
    return()
  endif()
  foreach(symbol IN LISTS ARGN)
    target_link_options(${target} PRIVATE "LINKER:--wrap=${symbol}")
  endforeach()
endfunction()

# rill_asio_enabled(<out-var>): whether the Asio adaptor's tests and examples are built: the option
# RILL_BUILD_ASIO is on and standalone Asio (Debian's libasio-dev) is installed.
function(rill_asio_enabled out)
  set(${out} FALSE PARENT_SCOPE)
  if(NOT RILL_BUILD_ASIO)
    return()
  endif()
  find_path(RILL_ASIO_INCLUDE_DIR asio.hpp)
  if(RILL_ASIO_INCLUDE_DIR)
    set(${out} TRUE PARENT_SCOPE)
  else()
    message(STATUS "rill: standalone Asio not found (libasio-dev): the Asio adaptor's tests and examples are not built")
  endif()
endfunction()
