rill_gtest(rill_timer_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/timer_test.cpp)
