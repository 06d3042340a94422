rill_label_enabled(lint enabled)
if(enabled)
  # The shipped headers must pass...
  add_test(NAME lint_sync_layer COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_sync_layer.sh ${PROJECT_SOURCE_DIR}/impl/include)
  set_tests_properties(lint_sync_layer PROPERTIES LABELS lint)
  # ...and the check must catch a header that breaks the rule (so it cannot pass vacuously): the
  # test passes only if the lint names the fixture's offending line.
  add_test(NAME lint_catches_raw_synchronisation
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_sync_layer.sh ${CMAKE_CURRENT_LIST_DIR}/fixture)
  set_tests_properties(lint_catches_raw_synchronisation PROPERTIES LABELS lint
                       PASS_REGULAR_EXPRESSION "raw synchronisation or clock outside the sync layer:\n  [^\n]*raw_atomic.hpp:[0-9]+:.*std::atomic")
endif()

# spec/SPEC.md's "Checked by" tables are generated from the rule ids that checks cite; this fails
# when a check was added or removed without regenerating them (python3 spec/coverage.py), or when
# a check cites a rule the spec does not define.
rill_label_enabled(lint enabled)
if(enabled)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  add_test(NAME spec_coverage_is_current COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/spec/coverage.py --check)
  set_tests_properties(spec_coverage_is_current PROPERTIES LABELS lint)
endif()
