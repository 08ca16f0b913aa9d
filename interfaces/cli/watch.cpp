#include "watch.hpp"

#include <cstdio>

#include "options.hpp"
#include "requests.hpp"

namespace stronghold::cli {
namespace {

// Control characters (a hostile location, a terminal escape) shown as '?' in plain output.
std::string printable(std::string text) {
  for (char& c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  return text;
}

Result<std::uint64_t> count_option(const Args& args, const char* name, std::uint64_t fallback, std::uint64_t most) {
  const auto given = args.value(name);
  if (!given)
    return fallback;
  SH_ASSIGN_OR_RETURN(const std::uint64_t value, parse_number<std::uint64_t>(*given, name));
  if (value == 0 || value > most)
    return error(Errc::invalid_argument, "{} takes 1 to {}", name, most);
  return value;
}

}  // namespace

Status watch(const GlobalOptions& options, const std::vector<std::string>& words) {
  SH_ASSIGN_OR_RETURN(const Args args, Args::parse(words, {{"--count", "--queue"}, {}, {}}));
  if (!args.positional().empty())
    return error(Errc::invalid_argument, "unexpected argument '{}'", args.positional().front());
  if (!options.through_daemon())
    return Status(Errc::invalid_argument, "watch streams strongholdd's events: give --socket or --remote");
  SH_ASSIGN_OR_RETURN(const std::uint64_t count, count_option(args, "--count", UINT64_MAX, UINT64_MAX));
  SH_ASSIGN_OR_RETURN(const std::uint64_t queue, count_option(args, "--queue", 1024, actors::EventHub::kMaxCapacity));
  SH_ASSIGN_OR_RETURN(wire::Client client, connect_to_daemon(options));
  Output out(options.json);
  std::uint64_t seen = 0;
  return client.watch(static_cast<std::uint32_t>(queue), [&](const actors::Event& event) {
    const auto shown = [&](const std::string& text) { return options.json ? text : printable(text); };
    out.result({{"time", utc_time(event.time_ms)},
                {"type", std::string(actors::event_type_name(event.type))},
                {"caller", shown(event.caller)},
                {"kind", shown(event.kind)},
                {"location", shown(event.location)},
                {"detail", shown(event.detail)}},
               Output::Layout::record);
    (void)std::fflush(stdout);
    return ++seen < count;
  });
}

}  // namespace stronghold::cli
