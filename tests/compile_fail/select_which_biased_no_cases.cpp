// SPEC R30: as select_which_no_cases.cpp, for rill::select_which_biased.
// expect-error: rill::select_which_biased: give it at least one case
#include <rill/rill.hpp>
int main() { (void)rill::select_which_biased(); }
