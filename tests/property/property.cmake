# Property tests (label property): generated operation sequences against the reference model
# (spec/model/channel_model.hpp), selections and timers against its selection half, concurrent
# histories checked against the spec, and every kind of timeout argument and timer time. Uses rapidcheck (Debian: librapidcheck-dev, a static library and the imported
# target `rapidcheck`), with its GoogleTest integration target `rapidcheck_gtest` when the package
# provides it. Headers of imported targets are SYSTEM includes, so rill's -Werror does not apply
# to rapidcheck's own headers.
rill_label_enabled(property rill_property_enabled)
if(rill_property_enabled)
  find_package(rapidcheck REQUIRED)
  set(rill_property_rapidcheck rapidcheck)
  if(TARGET rapidcheck_gtest)
    list(APPEND rill_property_rapidcheck rapidcheck_gtest)
  endif()
  rill_gtest(rill_property_test LABEL property TIMEOUT 600
    SOURCES
      ${CMAKE_CURRENT_LIST_DIR}/stateful_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/concurrent_test.cpp
      ${CMAKE_CURRENT_LIST_DIR}/timeout_test.cpp
    LIBRARIES rill_model ${rill_property_rapidcheck})
  # Selection and timers (SPEC R30-R44) against the model's selection half: a binary of its own,
  # so that it builds and runs next to the others.
  rill_gtest(rill_select_property_test LABEL property TIMEOUT 600
    SOURCES ${CMAKE_CURRENT_LIST_DIR}/select_property_test.cpp
    LIBRARIES rill_model ${rill_property_rapidcheck})
endif()
