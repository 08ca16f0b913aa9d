#include "support/wycheproof.hpp"

#include <doctest/doctest.h>

#include "support/test_files.hpp"

namespace stronghold::test {

std::size_t for_each_wycheproof(const std::string& file,
                                const std::function<void(const Json& group, const Json& test)>& each) {
  const Json document = Json::parse(read_test_file("vectors/wycheproof/" + file));
  std::size_t count = 0;
  for (const Json& group : document["testGroups"].array())
    for (const Json& test : group["tests"].array()) {
      each(group, test);
      ++count;
    }
  CHECK_MESSAGE(count == static_cast<std::size_t>(document["numberOfTests"].number()),
                file << ": ran " << count << " of " << document["numberOfTests"].number() << " tests");
  return count;
}

Bytes hex_field(const Json& object, std::string_view key) {
  auto bytes = from_hex(object[key].string());
  REQUIRE_MESSAGE(bytes.ok(), "bad hex in member " << key);
  return std::move(bytes).value();
}

}  // namespace stronghold::test
