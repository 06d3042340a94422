rill_label_enabled(package enabled)
if(enabled)
  add_test(NAME package_install_and_consume
           COMMAND ${CMAKE_COMMAND}
                   -DBUILD_DIR=${PROJECT_BINARY_DIR}
                   -DCONSUMER_DIR=${CMAKE_CURRENT_LIST_DIR}/consumer
                   -DWORK_DIR=${PROJECT_BINARY_DIR}/package-test
                   -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
                   -P ${CMAKE_CURRENT_LIST_DIR}/check_package.cmake)
  set_tests_properties(package_install_and_consume PROPERTIES LABELS package TIMEOUT 300)
endif()
