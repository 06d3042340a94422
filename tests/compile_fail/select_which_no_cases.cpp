// SPEC R30: rill::select_which with no cases would block forever and has no case to report, so it
// is rejected (rill::select() is the deliberate form of Go's `select {}`).
// expect-error: rill::select_which: give it at least one case
#include <rill/rill.hpp>
int main() { (void)rill::select_which(); }
