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

TEST_CASE("locations refuse C1 controls, bidirectional overrides and invalid UTF-8") {
  CHECK(Location::parse("wallet/a\xc2\x85"
                        "b")
            .code() == Errc::invalid_argument);  // U+0085 NEL
  CHECK(Location::parse("wallet/a\xe2\x80\xae"
                        "b")
            .code() == Errc::invalid_argument);  // U+202E RLO
  CHECK(Location::parse("wallet/a\x7f").code() == Errc::invalid_argument);
  CHECK(Location::parse("wallet/\xff").code() == Errc::invalid_argument);
  CHECK(Location::parse("wallet/\xc0\xaf").code() == Errc::invalid_argument);          // overlong '/'
  CHECK(Location::parse("wallet/\xed\xa0\x80").code() == Errc::invalid_argument);      // a surrogate
  CHECK(Location::parse("wallet/\xf4\x90\x80\x80").code() == Errc::invalid_argument);  // above U+10FFFF
  CHECK(Location::parse("wallet/\xe2\x82").code() == Errc::invalid_argument);          // truncated
  CHECK(Location::check_vault("wal/let").code() == Errc::invalid_argument);
}

TEST_CASE("locations accept any printable UTF-8") {
  CHECK(Location::parse("wallet/caf\xc3\xa9").ok());
  CHECK(Location::parse("\xe9\x8d\xb5/\xf0\x9f\x94\x91").ok());  // CJK vault, U+1F511 record
}
