// verify/relacy/scenarios.cpp - every channel scenario in one binary.
//
//   relacy_scenarios --list
//   relacy_scenarios --scenario handoff_array1 [--iterations N] [--search random|bound|full] [--bound K]
//
// One translation unit, so that a mutant of the mutation bank costs one compilation. CTest runs
// each scenario as its own test: verify/relacy/CMakeLists.txt finds the RILL_SCENARIO lines in
// the *_scenarios.hpp files at configure time, and relacy_scenario_list_is_complete checks that
// the binary's --list agrees.
#include "harness.hpp"

#include "async_scenarios.hpp"
#include "disconnect_scenarios.hpp"
#include "handoff_scenarios.hpp"
#include "query_scenarios.hpp"
#include "rendezvous_scenarios.hpp"
#include "select_claim_scenarios.hpp"
#include "select_scenarios.hpp"

int main(int argc, char** argv) { return rill::verify::run_registered(argc, argv); }
