rill_gtest(rill_regression_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/regression_test.cpp)
rill_gtest(rill_select_regression_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/select_regression_test.cpp)
