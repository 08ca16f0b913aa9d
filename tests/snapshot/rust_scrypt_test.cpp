// The reader's own scrypt, which age's work factor 0 (N = 1) needs, against RFC 7914's vectors.
#include <doctest/doctest.h>

#include "rust/scrypt.hpp"

using namespace stronghold;
namespace rs = stronghold::snapshot::rust_stronghold;

TEST_CASE("scrypt gives RFC 7914's vectors for N = 16 with r = 1 and N = 16384 with r = 8") {
  Bytes out(64);
  REQUIRE(rs::scrypt({}, {}, 4, 1, out).ok());
  CHECK(to_hex(out) ==
        "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d36"
        "28cf35e20c38d18906");
  REQUIRE(rs::scrypt(as_bytes("pleaseletmein"), as_bytes("SodiumChloride"), 14, 8, out).ok());
  CHECK(to_hex(out) ==
        "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e"
        "40dfcf017b45575887");
}

TEST_CASE("scrypt refuses a work factor above its bound rather than allocate for it") {
  Bytes out(32);
  CHECK(rs::scrypt({}, {}, rs::kMaxScryptWorkFactor + 1, 8, out).code() == Errc::resource_exhausted);
  CHECK(rs::scrypt({}, {}, 1, 9, out).code() == Errc::resource_exhausted);
}
