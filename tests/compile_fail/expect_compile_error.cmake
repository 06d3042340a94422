# Compiles SOURCE; passes only if compilation fails AND the diagnostics contain the text given
# on the source's "// expect-error: ..." line.
file(STRINGS ${SOURCE} expectation REGEX "^// expect-error: ")
string(REPLACE "// expect-error: " "" expectation "${expectation}")
execute_process(COMMAND ${CXX} -std=c++23 -fsyntax-only -I${INCLUDE} ${SOURCE}
                RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(code EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must be rejected")
endif()
string(FIND "${out}${err}" "${expectation}" found)
if(found EQUAL -1)
  message(FATAL_ERROR "${SOURCE} was rejected, but without the message '${expectation}':\n${err}")
endif()
message(STATUS "rejected with: ${expectation}")
