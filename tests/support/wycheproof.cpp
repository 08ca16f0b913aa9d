#include "support/wycheproof.hpp"

#include <doctest/doctest.h>

#include "support/test_files.hpp"

namespace stronghold::test {

std::size_t for_each_wycheproof(const std::string& file,
                                const std::function<void(const Json& group, const Json& test)>& each) {
  const Json document = Json::parse(read_test_file("vectors/wycheproof/" + file));
  std::size_t count = 0;
  for (const Json& group : document.at("testGroups"))
    for (const Json& test : group.at("tests")) {
      each(group, test);
      ++count;
    }
  CHECK_MESSAGE(count == document.at("numberOfTests").get<std::size_t>(),
                file << ": ran " << count << " of " << document.at("numberOfTests").get<std::size_t>() << " tests");
  return count;
}

Bytes hex_field(const Json& object, std::string_view key) {
  auto bytes = from_hex(object.at(key).get<std::string>());
  REQUIRE_MESSAGE(bytes.ok(), "bad hex in member " << key);
  return std::move(bytes).value();
}

}  // namespace stronghold::test
