// STRONGHOLD_ADDRESS_SANITIZER is 1 in code built with AddressSanitizer, by either compiler: GCC
// defines __SANITIZE_ADDRESS__, clang (before 18) only answers __has_feature(address_sanitizer).
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define STRONGHOLD_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STRONGHOLD_ADDRESS_SANITIZER 1
#endif
#endif
#ifndef STRONGHOLD_ADDRESS_SANITIZER
#define STRONGHOLD_ADDRESS_SANITIZER 0
#endif
