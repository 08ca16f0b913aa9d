// The public entry point of the stronghold engine for C++ applications.
#pragma once

#include "stronghold/runtime/hardening.hpp"
#include "stronghold/runtime/secret_buffer.hpp"
#include "stronghold/runtime/shield.hpp"
#include "stronghold/runtime/status.hpp"

namespace stronghold {

// "0.1.0"
const char* version() noexcept;

}  // namespace stronghold
