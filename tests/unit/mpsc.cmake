rill_gtest(rill_mpsc_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/mpsc_test.cpp)
