# check_example.cmake - runs one example program and checks what it printed.
#
#   cmake -DEXAMPLE=<program> -DMODE=<mode> [-DEXPECTED=<file>] [-DCAPACITY=<n> -DCOUNT=<n>]
#         -P check_example.cmake
#
# With -DOUTPUT_FILE=<file> instead of -DEXAMPLE, the checker reads a recorded output instead of
# running a program: the checker's own tests feed it wrong transcripts and expect a rejection.
#
# A program passes if it exits with status 0 (so a failed fact in e10/e11, an uncaught exception
# or a ThreadSanitizer report fails the test) and its standard output satisfies MODE:
#
#   exact          The output equals EXPECTED, byte for byte.
#
#   pattern        EXPECTED holds one CMake regular expression, "\n" standing for a line break,
#                  which the whole output must match (anchor it with ^ and $). With
#                  -DMIN_LINES=<n> and/or -DMAX_LINES=<n> the output must also have that many
#                  lines (CMake's expressions have no counted repetition).
#
#   interleaving   EXPECTED lists sequences of lines, each opened by a line "== sequence", and
#                  a tail opened by "== then"; lines starting with "#" are comments. The output
#                  must be an interleaving of all the sequences (each sequence's lines in its own
#                  order, every line exactly once, nothing else), followed by the tail. That is
#                  what threads sending into one channel guarantee: each sender's messages in the
#                  order it sent them (rule R13), none lost, none duplicated (rule R9), and no
#                  promise about how senders interleave. Lines must be unique across sequences.
#
#   back_pressure  The transcript of e07: lines "sending v", "sent v", "received v" for
#                  v = 0 .. COUNT-1 and one line "buffer full (C of C)", for a channel of
#                  capacity C = CAPACITY. See check_back_pressure() for what it proves.
cmake_minimum_required(VERSION 3.25)

# Fails the check. The reason is printed first on a line of its own (error messages get wrapped)
# so that the checker's own tests can match it.
function(reject why)
  message("rejected: ${why}")
  message(FATAL_ERROR "example output rejected\n--- output ---\n${output}--- end of output ---")
endfunction()

# Splits `text` (the output, or the file named by `source`) into a list of lines (`out`). The text
# must end with a line break, and must not contain characters that CMake lists cannot hold as
# plain elements.
function(split_lines text source out)
  if(text STREQUAL "")
    set(${out} "" PARENT_SCOPE)
    return()
  endif()
  if(NOT text MATCHES "\n$")
    reject("${source}: the last line does not end with a line break")
  endif()
  foreach(character ";" "[" "]")
    string(FIND "${text}" "${character}" found)
    if(NOT found EQUAL -1)
      reject("${source}: a line contains '${character}', which this checker cannot split into CMake list elements")
    endif()
  endforeach()
  string(REGEX REPLACE "\n$" "" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(${out} "${lines}" PARENT_SCOPE)
endfunction()

function(check_exact)
  file(READ "${EXPECTED}" expected)
  if(NOT output STREQUAL expected)
    reject("expected exactly:\n${expected}")
  endif()
endfunction()

function(check_pattern)
  file(READ "${EXPECTED}" pattern)
  string(STRIP "${pattern}" pattern)
  string(REPLACE "\\n" "\n" pattern "${pattern}")
  if(NOT output MATCHES "${pattern}")
    reject("the output does not match the pattern in ${EXPECTED}")
  endif()
  string(REGEX MATCHALL "\n" line_breaks "${output}")
  list(LENGTH line_breaks line_count)
  if(DEFINED MIN_LINES AND line_count LESS MIN_LINES)
    reject("the output has ${line_count} lines, fewer than ${MIN_LINES}")
  endif()
  if(DEFINED MAX_LINES AND line_count GREATER MAX_LINES)
    reject("the output has ${line_count} lines, more than ${MAX_LINES}")
  endif()
endfunction()

function(check_interleaving)
  file(READ "${EXPECTED}" expected_text)
  split_lines("${expected_text}" "${EXPECTED}" expected_lines)
  set(sequence_count 0)
  set(in_tail FALSE)
  set(tail "")
  set(all_sequence_lines "")
  foreach(line IN LISTS expected_lines)
    if(line MATCHES "^#" OR line STREQUAL "")
      continue()
    elseif(line STREQUAL "== sequence")
      math(EXPR sequence_count "${sequence_count} + 1")
      set(sequence_${sequence_count} "")
      set(position_${sequence_count} 0)
    elseif(line STREQUAL "== then")
      set(in_tail TRUE)
    elseif(in_tail)
      list(APPEND tail "${line}")
    elseif(sequence_count EQUAL 0)
      message(FATAL_ERROR "${EXPECTED}: a line before the first \"== sequence\": ${line}")
    else()
      if("${line}" IN_LIST all_sequence_lines)
        message(FATAL_ERROR "${EXPECTED}: the line \"${line}\" appears twice; sequence lines must be unique")
      endif()
      list(APPEND all_sequence_lines "${line}")
      list(APPEND sequence_${sequence_count} "${line}")
    endif()
  endforeach()

  split_lines("${output}" "the output" lines)
  list(LENGTH lines line_count)
  list(LENGTH all_sequence_lines interleaved_count)
  list(LENGTH tail tail_count)
  math(EXPR expected_count "${interleaved_count} + ${tail_count}")
  if(NOT line_count EQUAL expected_count)
    reject("expected ${expected_count} lines, got ${line_count}")
  endif()

  # Each line must be the next unconsumed line of some sequence (lines are unique, so at most one
  # sequence can claim it).
  set(index 0)
  while(index LESS interleaved_count)
    list(GET lines ${index} line)
    set(matched FALSE)
    foreach(sequence RANGE 1 ${sequence_count})
      list(LENGTH sequence_${sequence} length)
      set(position ${position_${sequence}})
      if(position LESS length)
        list(GET sequence_${sequence} ${position} next)
        if(line STREQUAL next)
          math(EXPR position_${sequence} "${position} + 1")
          set(matched TRUE)
          break()
        endif()
      endif()
    endforeach()
    if(NOT matched)
      math(EXPR line_number "${index} + 1")
      reject("line ${line_number}, \"${line}\", is not the next line of any sequence: unexpected, duplicated or out of order")
    endif()
    math(EXPR index "${index} + 1")
  endwhile()

  if(tail_count GREATER 0)
    list(SUBLIST lines ${interleaved_count} ${tail_count} actual_tail)
    if(NOT actual_tail STREQUAL tail)
      reject("the output must end with: ${tail}")
    endif()
  endif()
endfunction()

# What a bounded channel of capacity C guarantees about e07's transcript, and nothing more:
#
# - The producer is one thread: "sending v", then "sent v", then "sending v+1", for v = 0, 1, ...
# - The consumer is one thread: "received 0", "received 1", ... in order (rule R13), and it
#   receives v only after the producer started sending v ("sending v" comes first).
# - The program lets the consumer start only after the producer printed "buffer full (C of C)",
#   which it does after "sent C-1" and before "sending C": no "received" line comes before it.
# - Back-pressure (rule R17): value v is the (v+1)-th send, so the receive that takes value v-C
#   happens before "sent v" is printed. The line "received v-C" itself may still be unprinted
#   (the consumer has the value but not yet printed it), but "received v-C-1" was printed
#   before that receive (the consumer's program order), and printf calls are serialised by the
#   stdout lock in happens-before order. So when "sent v" appears, at least v-C "received" lines
#   precede it: at every point, sent - received <= C + 1 ("+ 1": the one receive in flight).
#   The bound is reached by legal runs (check/accepted/e07_one_receive_in_flight.txt), and a
#   channel that let a send complete without room would exceed it.
function(check_back_pressure)
  if(NOT DEFINED CAPACITY OR NOT DEFINED COUNT)
    message(FATAL_ERROR "back_pressure needs -DCAPACITY=<n> and -DCOUNT=<n>")
  endif()
  split_lines("${output}" "the output" lines)
  math(EXPR limit "${CAPACITY} + 1")
  set(sending 0)
  set(sent 0)
  set(received 0)
  set(full_reported FALSE)
  foreach(line IN LISTS lines)
    if(line MATCHES "^sending ([0-9]+)$")
      set(value ${CMAKE_MATCH_1})
      if(NOT value EQUAL sending OR NOT sent EQUAL sending)
        reject("\"${line}\": sends must start in order, each after the previous one completed")
      endif()
      if(value EQUAL CAPACITY AND NOT full_reported)
        reject("\"${line}\": the full buffer must be reported before sending ${CAPACITY}")
      endif()
      math(EXPR sending "${sending} + 1")
    elseif(line MATCHES "^sent ([0-9]+)$")
      set(value ${CMAKE_MATCH_1})
      if(NOT value EQUAL sent OR NOT value LESS sending)
        reject("\"${line}\": a send must complete after it started, in order")
      endif()
      math(EXPR sent "${sent} + 1")
      math(EXPR ahead "${sent} - ${received}")
      if(ahead GREATER limit)
        reject("\"${line}\" with only ${received} received: a send completed without room in a buffer of capacity ${CAPACITY} (the producer may be at most ${CAPACITY} + 1 ahead of the printed receives)")
      endif()
    elseif(line MATCHES "^received ([0-9]+)$")
      set(value ${CMAKE_MATCH_1})
      if(NOT value EQUAL received)
        reject("\"${line}\": values must be received in the order sent, each once")
      endif()
      if(NOT value LESS sending)
        reject("\"${line}\": received before its send started")
      endif()
      if(NOT full_reported)
        reject("\"${line}\": the consumer must start only after the buffer was reported full")
      endif()
      math(EXPR received "${received} + 1")
    elseif(line STREQUAL "buffer full (${CAPACITY} of ${CAPACITY})")
      if(full_reported OR NOT sent EQUAL CAPACITY OR NOT sending EQUAL CAPACITY)
        reject("\"${line}\" must come once, right after \"sent ${CAPACITY}-1\"")
      endif()
      set(full_reported TRUE)
    else()
      reject("unexpected line \"${line}\"")
    endif()
  endforeach()
  if(NOT sending EQUAL COUNT OR NOT sent EQUAL COUNT OR NOT received EQUAL COUNT OR NOT full_reported)
    reject("incomplete: ${sending} sends started, ${sent} completed, ${received} received of ${COUNT}")
  endif()
endfunction()

# --- main ---------------------------------------------------------------------------------------
if(DEFINED OUTPUT_FILE)
  file(READ "${OUTPUT_FILE}" output)
elseif(DEFINED EXAMPLE)
  execute_process(COMMAND "${EXAMPLE}" OUTPUT_VARIABLE output ERROR_VARIABLE errors RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    reject("the program exited with status ${status}\n--- standard error ---\n${errors}")
  endif()
  if(NOT errors STREQUAL "")
    message("--- standard error ---\n${errors}")
  endif()
else()
  message(FATAL_ERROR "give -DEXAMPLE=<program> or -DOUTPUT_FILE=<file>")
endif()

if(MODE STREQUAL "exact")
  check_exact()
elseif(MODE STREQUAL "pattern")
  check_pattern()
elseif(MODE STREQUAL "interleaving")
  check_interleaving()
elseif(MODE STREQUAL "back_pressure")
  check_back_pressure()
else()
  message(FATAL_ERROR "unknown MODE \"${MODE}\"")
endif()
message("${output}--- accepted (${MODE}) ---")
