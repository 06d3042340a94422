rill_gtest(rill_regression_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/regression_test.cpp)
