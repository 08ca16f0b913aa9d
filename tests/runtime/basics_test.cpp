#include <cerrno>
#include <set>

#include <doctest/doctest.h>

#include "stronghold/runtime/compare.hpp"
#include "stronghold/runtime/hex.hpp"
#include "stronghold/runtime/random.hpp"
#include "stronghold/runtime/status.hpp"

using namespace stronghold;

namespace {

Result<int> half(int value) {
  if (value % 2 != 0)
    return error(Errc::invalid_argument, "{} is odd", value);
  return value / 2;
}

Result<int> quarter(int value) {
  SH_ASSIGN_OR_RETURN(const int halved, half(value));
  return half(halved);
}

}  // namespace

TEST_CASE("a Status carries a code and a message, a Result a value or a Status") {
  CHECK(Status{}.ok());
  CHECK(Status{}.to_string() == "ok");
  const Status failed = error(Errc::not_found, "no record at {}", "v/r");
  CHECK_FALSE(failed.ok());
  CHECK(failed.to_string() == "not_found: no record at v/r");

  CHECK(quarter(12).value() == 3);
  CHECK(quarter(6).code() == Errc::invalid_argument);
  CHECK(quarter(6).status().message() == "3 is odd");
  CHECK(quarter(7).status().message() == "7 is odd");
  // A Result cannot be built from a success status: that would be a value-less success.
  Result<int> broken{Status{}};
  CHECK(broken.code() == Errc::internal);
}

TEST_CASE("errno_text names an errno value, and an unknown one by its number") {
  CHECK(errno_text(ENOENT) == "No such file or directory");
  CHECK(errno_text(EACCES) == "Permission denied");
  CHECK(errno_text(-1) == "Unknown error -1");
}

TEST_CASE("random bytes differ between draws and uniform draws stay in range") {
  std::uint8_t a[32] = {};
  std::uint8_t b[32] = {};
  runtime::random_bytes(a);
  runtime::random_bytes(b);
  CHECK_FALSE(runtime::constant_time_equal(a, b));
  std::set<std::uint32_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto value = runtime::random_uniform(10);
    CHECK(value < 10);
    seen.insert(value);
  }
  CHECK(seen.size() == 10);
  CHECK(runtime::random_uniform(1) == 0);
}

TEST_CASE("constant-time comparison and wiping") {
  const std::uint8_t a[3] = {1, 2, 3};
  const std::uint8_t b[3] = {1, 2, 4};
  const std::uint8_t c[2] = {1, 2};
  CHECK(runtime::constant_time_equal(a, a));
  CHECK_FALSE(runtime::constant_time_equal(a, b));
  CHECK_FALSE(runtime::constant_time_equal(a, c));
  // Empty against non-empty, both ways (a repeated password left empty must not match).
  const std::span<const std::uint8_t> empty;
  CHECK_FALSE(runtime::constant_time_equal(empty, a));
  CHECK_FALSE(runtime::constant_time_equal(a, empty));
  CHECK(runtime::constant_time_equal(empty, empty));
  std::uint8_t d[3] = {9, 9, 9};
  CHECK_FALSE(runtime::constant_time_is_zero(d));
  runtime::secure_wipe(d);
  CHECK(runtime::constant_time_is_zero(d));
}

TEST_CASE("hex round-trips and rejects bad text") {
  const Bytes bytes = {0x00, 0xab, 0xff, 0x10};
  CHECK(to_hex(bytes) == "00abff10");
  CHECK(from_hex("00ABff10").value() == bytes);
  CHECK(from_hex("").value().empty());
  CHECK(from_hex("abc").code() == Errc::invalid_argument);
  CHECK(from_hex("zz").code() == Errc::invalid_argument);
}
