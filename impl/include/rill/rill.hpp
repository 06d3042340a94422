// rill/rill.hpp - everything rill offers. See README.md and spec/SPEC.md.
#pragma once

#include "rill/async.hpp"
#include "rill/channel.hpp"
#include "rill/errors.hpp"
#include "rill/mpsc.hpp"
#include "rill/select.hpp"
#include "rill/selector.hpp"
#include "rill/timers.hpp"
