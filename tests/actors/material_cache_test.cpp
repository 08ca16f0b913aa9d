#include <string>

#include <fmt/format.h>

#include <doctest/doctest.h>

#include "material_cache.hpp"

namespace stronghold {
namespace {

vault::Location at(const std::string& record) { return vault::Location{"w", record}; }

vault::SigningMaterial material(std::uint8_t tag) {
  vault::SigningMaterial made;
  made.type = vault::KeyType::ed25519;
  made.public_key = Bytes(32, tag);
  return made;
}

TEST_CASE("the material cache forgets a key once its location changes, and an answer older than the change") {
  auto generations = std::make_shared<actors::KeyGenerations>();
  MaterialCache cache(generations);
  cache.put(at("a"), material(1), cache.generation(at("a")));
  REQUIRE(cache.find(at("a")).has_value());
  CHECK(cache.find(at("a"))->public_key == Bytes(32, 1));
  CHECK_FALSE(cache.find(at("b")).has_value());

  const std::uint64_t asked_at = cache.generation(at("a"));
  generations->bump(at("a"));  // the key is replaced while its material is on its way
  CHECK_FALSE(cache.find(at("a")).has_value());
  cache.put(at("a"), material(2), asked_at);
  CHECK_FALSE(cache.find(at("a")).has_value());

  cache.put(at("a"), material(3), cache.generation(at("a")));
  cache.put(at("b"), material(4), cache.generation(at("b")));
  REQUIRE(cache.find(at("a")).has_value());
  CHECK(cache.find(at("a"))->public_key == Bytes(32, 3));
  generations->bump_all();  // the audit log turned on, a restart: nothing cached holds
  CHECK_FALSE(cache.find(at("a")).has_value());
  CHECK_FALSE(cache.find(at("b")).has_value());
}

TEST_CASE("the material cache holds at most its capacity, however many keys are signed with") {
  auto generations = std::make_shared<actors::KeyGenerations>();
  MaterialCache cache(generations, 4);
  for (int i = 0; i < 1000; ++i) {
    const auto location = at(fmt::format("k{}", i));
    cache.put(location, material(static_cast<std::uint8_t>(i)), cache.generation(location));
    CHECK(cache.size() <= 4);
    REQUIRE(cache.find(location).has_value());  // the key just fetched is the one about to sign
  }
  CHECK(cache.size() == 4);
  cache.put(at("k999"), material(7), cache.generation(at("k999")));  // a refresh evicts nothing
  CHECK(cache.size() == 4);
}

}  // namespace
}  // namespace stronghold
