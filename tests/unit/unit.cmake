rill_gtest(rill_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/channel_test.cpp)
rill_gtest(rill_select_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/select_test.cpp)
rill_gtest(rill_porting_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/porting_test.cpp)
rill_gtest(rill_held_slot_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/held_slot_test.cpp)
