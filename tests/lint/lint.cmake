rill_label_enabled(lint enabled)
if(enabled)
  # The shipped headers must pass...
  add_test(NAME lint_sync_layer COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_sync_layer.sh ${PROJECT_SOURCE_DIR}/impl/include)
  set_tests_properties(lint_sync_layer PROPERTIES LABELS lint)
  # ...and the check must catch a header that breaks the rule (so it cannot pass vacuously).
  add_test(NAME lint_catches_raw_synchronisation
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_sync_layer.sh ${CMAKE_CURRENT_LIST_DIR}/fixture)
  set_tests_properties(lint_catches_raw_synchronisation PROPERTIES LABELS lint WILL_FAIL TRUE)
endif()
