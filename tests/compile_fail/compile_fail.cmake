# Misuse the type system can prevent must not compile, and the error must say why (SPEC R23, R27,
# R30, R39).
# Each case compiles a small file with the project's compiler and expects failure with the
# given message in the diagnostics. Label compile_fail: the dev and dev-clang presets run it (g++ and
# clang 19); a sanitizer changes nothing in what compiles, so the sanitizer presets leave it out.
rill_label_enabled(compile_fail enabled)
if(enabled)
  foreach(case throwing_move throwing_destructor reference_message select_not_a_case select_two_defaults
                    select_wrong_handler select_mismatched_results select_send_wrong_type
                    select_stored_send_case selector_temporary_receiver selector_temporary_sender
                    try_iter_temporary mpsc_try_iter_temporary when_not_a_case when_kept_send_case select_which_no_cases
                    select_which_biased_no_cases selector_copy selector_copy_assign)
    add_test(NAME compile_fail_${case}
             COMMAND ${CMAKE_COMMAND} -DCXX=${CMAKE_CXX_COMPILER} -DINCLUDE=${PROJECT_SOURCE_DIR}/impl/include
                     -DSOURCE=${CMAKE_CURRENT_LIST_DIR}/${case}.cpp -P ${CMAKE_CURRENT_LIST_DIR}/expect_compile_error.cmake)
    set_tests_properties(compile_fail_${case} PROPERTIES LABELS compile_fail)
  endforeach()
endif()
