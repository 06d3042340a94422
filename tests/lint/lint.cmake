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
  add_test(NAME lint_catches_std_lock_guard
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_sync_layer.sh ${CMAKE_CURRENT_LIST_DIR}/fixture_lock)
  set_tests_properties(lint_catches_std_lock_guard PROPERTIES LABELS lint
                       PASS_REGULAR_EXPRESSION "raw synchronisation or clock outside the sync layer:\n  [^\n]*std_lock_guard.hpp:[0-9]+:.*std::lock_guard")
endif()

# Every check cites the SPEC rules it checks (// SPEC R7); this fails when a check cites a rule
# spec/SPEC.md does not define, when a normative rule has no check outside the reference model's
# own tests, or when SPEC.md's table of contents no longer matches its headings.
rill_label_enabled(lint enabled)
if(enabled)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  add_test(NAME spec_rules_are_cited_and_defined COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/spec/coverage.py --check)
  set_tests_properties(spec_rules_are_cited_and_defined PROPERTIES LABELS lint)
endif()

# docs/memory-ordering.md names every ordering site of the headers, its index of sites equals the
# table of docs/orderings.md, each edge label means one site across the repository, and no trace
# cites a source line that changed since it was generated. No build needed: it compares with the
# stored traces (regenerating them from Relacy runs is scripts/ordering_guide.py --update). The
# self-test plants a fault of each kind in a copy of the guide and requires the check to catch it.
rill_label_enabled(lint enabled)
if(enabled)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  add_test(NAME ordering_guide_is_current
           COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/ordering_guide.py --check --self-test)
  set_tests_properties(ordering_guide_is_current PROPERTIES LABELS lint)
endif()
