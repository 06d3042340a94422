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

# Every C++ file is laid out as .clang-format says (clang-format-19, installed by
# scripts/install-deps.sh test; skipped without it), and the check catches a file that is not:
# lint_catches_unformatted_code passes only if it names the fixture.
rill_label_enabled(lint enabled)
if(enabled)
  set(rill_formatted_dirs impl tests fuzz verify spec examples bench)
  list(TRANSFORM rill_formatted_dirs PREPEND ${PROJECT_SOURCE_DIR}/)
  add_test(NAME lint_format COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_format.sh ${PROJECT_SOURCE_DIR}/.clang-format
                                    ${rill_formatted_dirs})
  add_test(NAME lint_catches_unformatted_code
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_format.sh ${PROJECT_SOURCE_DIR}/.clang-format
                   ${CMAKE_CURRENT_LIST_DIR}/fixture_format)
  set_tests_properties(lint_format PROPERTIES LABELS lint SKIP_RETURN_CODE 77 TIMEOUT 300)
  set_tests_properties(lint_catches_unformatted_code PROPERTIES LABELS lint SKIP_RETURN_CODE 77
                       PASS_REGULAR_EXPRESSION "not formatted as .clang-format says: [^\n]*badly_formatted.cpp")
endif()

# clang-tidy (.clang-tidy: bugprone, performance, explicit constructors) finds nothing in the
# shipped headers, as instantiated by tests/lint/tidy_instantiations.cpp; and the check catches a
# finding: lint_catches_tidy_findings passes only if it names the fixture's.
rill_label_enabled(lint enabled)
if(enabled)
  add_test(NAME lint_tidy COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_tidy.sh ${PROJECT_SOURCE_DIR}/.clang-tidy
                                  ${CMAKE_CURRENT_LIST_DIR}/tidy_instantiations.cpp ${PROJECT_SOURCE_DIR}/impl/include)
  add_test(NAME lint_catches_tidy_findings
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_tidy.sh ${PROJECT_SOURCE_DIR}/.clang-tidy
                   ${CMAKE_CURRENT_LIST_DIR}/fixture_tidy/forwarding_move.cpp ${PROJECT_SOURCE_DIR}/impl/include)
  set_tests_properties(lint_tidy PROPERTIES LABELS lint SKIP_RETURN_CODE 77 TIMEOUT 300)
  set_tests_properties(lint_catches_tidy_findings PROPERTIES LABELS lint SKIP_RETURN_CODE 77
                       PASS_REGULAR_EXPRESSION "forwarding_move.cpp:[0-9]+:[0-9]+: (warning|error): [^\n]*bugprone-move-forwarding-reference")
endif()
