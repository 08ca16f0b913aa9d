#include "support/memory_scan.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace stronghold::test {
namespace {

struct Mapping {
  std::uint64_t start = 0;
  std::uint64_t end = 0;
  std::string header;
  bool guarded = false;  // VmFlags "dd": excluded from dumps
  std::string stack_of;  // the threads whose stack pointer is in it
};

// Each thread's stack pointer, from /proc/PID/task/TID/syscall ("nr args... sp pc" while it
// waits in a system call, as an idle server's threads do).
std::vector<std::pair<std::string, std::uint64_t>> stack_pointers(pid_t pid) {
  std::vector<std::pair<std::string, std::uint64_t>> pointers;
  std::error_code failed;
  for (const auto& task : std::filesystem::directory_iterator(fmt::format("/proc/{}/task", pid), failed)) {
    std::ifstream syscall(task.path() / "syscall");
    std::vector<std::string> words;
    for (std::string word; syscall >> word;)
      words.push_back(word);
    if (words.size() >= 3 && words[words.size() - 2].starts_with("0x"))
      pointers.emplace_back(task.path().filename().string(), std::stoull(words[words.size() - 2], nullptr, 16));
  }
  return pointers;
}

std::vector<Mapping> mappings_of(pid_t pid) {
  std::vector<Mapping> all;
  const auto pointers = stack_pointers(pid);
  std::ifstream smaps(fmt::format("/proc/{}/smaps", pid));
  for (std::string line; std::getline(smaps, line);) {
    const auto dash = line.find('-');
    const auto space = line.find(' ');
    if (dash != std::string::npos && space != std::string::npos && dash < space &&
        line.find_first_not_of("0123456789abcdef") == dash) {
      Mapping mapping;
      mapping.start = std::stoull(line.substr(0, dash), nullptr, 16);
      mapping.end = std::stoull(line.substr(dash + 1, space - dash - 1), nullptr, 16);
      mapping.header = line;
      all.push_back(mapping);
    } else if (line.starts_with("VmFlags:") && !all.empty()) {
      all.back().guarded = (" " + line + " ").find(" dd ") != std::string::npos;
    }
  }
  for (Mapping& mapping : all)
    for (const auto& [thread, pointer] : pointers)
      if (pointer >= mapping.start && pointer < mapping.end)
        mapping.stack_of += (mapping.stack_of.empty() ? "" : ",") + thread;
  return all;
}

std::string describe_place(const Mapping& mapping, std::uint64_t address) {
  std::string place = fmt::format("{:#x} in {}", address, mapping.header);
  if (!mapping.stack_of.empty())
    place += " (the stack of thread " + mapping.stack_of + ")";
  return place;
}

// Mappings not worth reading: the kernel's, and reservations larger than any heap or stack here
// (a sanitizer's shadow memory).
bool skipped(const Mapping& mapping) {
  return mapping.header.find("[vvar]") != std::string::npos || mapping.header.find("[vsyscall]") != std::string::npos ||
         mapping.end - mapping.start > (std::uint64_t{1} << 30);
}

}  // namespace

std::vector<KnownSecret> with_hex_forms(const std::vector<KnownSecret>& secrets) {
  std::vector<KnownSecret> all;
  for (const KnownSecret& secret : secrets) {
    const std::string hex = to_hex(secret.bytes);
    for (const KnownSecret& form : {secret, KnownSecret{secret.name + " (hex)", Bytes(hex.begin(), hex.end())}}) {
      // Each half too: a freed block's first 16 bytes become the allocator's list pointers.
      const auto half = static_cast<std::ptrdiff_t>(form.bytes.size() / 2);
      all.push_back(form);
      all.push_back({form.name + ", first half", Bytes(form.bytes.begin(), form.bytes.begin() + half)});
      all.push_back({form.name + ", second half", Bytes(form.bytes.begin() + half, form.bytes.end())});
    }
  }
  return all;
}

namespace {

constexpr std::uint64_t kPage = 4096;

// The runs of pages of [start, end) that are in memory or swapped out (from /proc/PID/pagemap):
// pages never touched hold nothing, and most of each thread's 8 MiB stack is such pages.
std::vector<std::pair<std::uint64_t, std::uint64_t>> used_runs(int pagemap, std::uint64_t start, std::uint64_t end) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> runs;
  std::vector<std::uint64_t> entries(1024);
  for (std::uint64_t page = start / kPage; page < end / kPage;) {
    const std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(entries.size(), end / kPage - page));
    const ssize_t got = ::pread(pagemap, entries.data(), count * 8, static_cast<off_t>(page * 8));
    if (got <= 0) {
      runs.emplace_back(page * kPage, end);  // no map of the pages: read them all
      break;
    }
    for (std::size_t i = 0; i < static_cast<std::size_t>(got) / 8; ++i, ++page) {
      if ((entries[i] >> 62) == 0)  // neither present (bit 63) nor swapped (bit 62)
        continue;
      if (!runs.empty() && runs.back().second == page * kPage)
        runs.back().second += kPage;
      else
        runs.emplace_back(page * kPage, (page + 1) * kPage);
    }
  }
  return runs;
}

}  // namespace

Result<std::vector<ScanHit>> scan_process(pid_t pid, const std::vector<KnownSecret>& secrets, bool include_guarded) {
  const int memory = ::open(fmt::format("/proc/{}/mem", pid).c_str(), O_RDONLY | O_CLOEXEC);
  if (memory < 0)
    return error(Errc::invalid_argument, "cannot read the memory of process {}: {}", pid, errno_text(errno));
  const int pagemap = ::open(fmt::format("/proc/{}/pagemap", pid).c_str(), O_RDONLY | O_CLOEXEC);
  std::size_t longest = 0;
  for (const KnownSecret& secret : secrets)
    longest = std::max(longest, secret.bytes.size());
  std::vector<ScanHit> hits;
  std::size_t bytes_read = 0;
  constexpr std::size_t kChunk = 1 << 20;
  Bytes chunk(kChunk + longest);
  for (const Mapping& mapping : mappings_of(pid)) {
    if (skipped(mapping) || (mapping.guarded && !include_guarded))
      continue;
    const auto runs = pagemap >= 0 ? used_runs(pagemap, mapping.start, mapping.end)
                                   : std::vector<std::pair<std::uint64_t, std::uint64_t>>{{mapping.start, mapping.end}};
    for (const auto& [start, end] : runs)
      // Chunks overlap by the longest secret, so one that straddles a boundary is found.
      for (std::uint64_t at = start; at < end; at += kChunk) {
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk + longest, end - at));
        const ssize_t got = ::pread(memory, chunk.data(), want, static_cast<off_t>(at));
        if (got <= 0)
          continue;  // pages that cannot be read (guard pages)
        bytes_read += static_cast<std::size_t>(got);
        for (const KnownSecret& secret : secrets)
          if (const void* found =
                  ::memmem(chunk.data(), static_cast<std::size_t>(got), secret.bytes.data(), secret.bytes.size()))
            hits.push_back({secret.name,
                            describe_place(mapping, at + static_cast<std::uint64_t>(
                                                             static_cast<const std::uint8_t*>(found) - chunk.data()))});
      }
  }
  ::close(memory);
  if (pagemap >= 0)
    ::close(pagemap);
  if (bytes_read == 0)
    return error(Errc::invalid_argument, "nothing of process {}'s memory could be read", pid);
  return hits;
}

std::string describe(const std::vector<ScanHit>& hits) {
  std::ostringstream text;
  for (const ScanHit& hit : hits)
    text << hit.secret << " in " << hit.mapping << "; ";
  return text.str();
}

}  // namespace stronghold::test
