// SPEC R23: references are not messages.
// expect-error: rill: the message type must be a non-const, non-volatile object type
#include <rill/rill.hpp>
int main() { rill::sender<int&> tx; }
