#include <string>

#include <doctest/doctest.h>

#include "stronghold/vault/location.hpp"

using stronghold::Errc;
using stronghold::vault::Location;

TEST_CASE("a location parses from VAULT/RECORD and prints back") {
  auto location = Location::parse("wallet/keys/0");
  REQUIRE(location.ok());
  CHECK(location->vault == "wallet");
  CHECK(location->record == "keys/0");
  CHECK(location->to_string() == "wallet/keys/0");
}

TEST_CASE("malformed locations are invalid arguments") {
  CHECK(Location::parse("no-slash").code() == Errc::invalid_argument);
  CHECK(Location::parse("/record").code() == Errc::invalid_argument);
  CHECK(Location::parse("vault/").code() == Errc::invalid_argument);
  CHECK(Location::parse("va\x01ult/r").code() == Errc::invalid_argument);
  CHECK(Location::make(std::string(256, 'v'), "r").code() == Errc::invalid_argument);
  CHECK(Location::make("v", std::string(255, 'r')).ok());
}
