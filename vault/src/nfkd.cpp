#include "nfkd.hpp"

#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "stronghold/runtime/scratch.hpp"

namespace stronghold::vault {
namespace {

using runtime::ScratchFrame;

// ICU normalises UTF-16. Its UnicodeString would hold the secret text in heap blocks it frees
// without wiping, so the C API works on UChar buffers taken from this thread's scratch (guarded,
// wiped when the frame closes): unorm2_normalize writes into the buffer it is given as long as
// that buffer holds the result, and only otherwise grows into a heap block of its own. So the
// text is normalised a segment at a time (segments end where ICU says no character interacts
// with what came before, which keeps the result exact) into a buffer 18 times a segment's
// bound: NFKD grows UTF-16 text at most 18-fold (UAX #15's maximum expansion factors; U+FDFA).
constexpr std::int32_t kMaxSegment = 32;
constexpr std::int32_t kMaxGrowth16 = 18;

std::span<UChar> as_uchars(std::span<std::uint8_t> bytes) noexcept {
  return {reinterpret_cast<UChar*>(bytes.data()), bytes.size() / sizeof(UChar)};
}

// Where the segment that starts at `start` ends: before the next character that has a
// normalisation boundary before it, or at the end of the text.
std::int32_t segment_end(const UNormalizer2* nfkd, std::span<const UChar> text, std::int32_t start) noexcept {
  const auto length = static_cast<std::int32_t>(text.size());
  std::int32_t at = start;
  UChar32 c;
  U16_NEXT(text.data(), at, length, c);
  while (at < length) {
    std::int32_t next = at;
    U16_NEXT(text.data(), next, length, c);
    if (unorm2_hasBoundaryBefore(nfkd, c))
      break;
    at = next;
  }
  return at;
}

// The NFKD of one segment, appended to `out` at `length` in UTF-8.
Status append_segment(const UNormalizer2* nfkd, std::span<const UChar> segment, std::span<UChar> work,
                      std::span<std::uint8_t> out, std::size_t& length) {
  UErrorCode status = U_ZERO_ERROR;
  const std::int32_t normalised = unorm2_normalize(nfkd, segment.data(), static_cast<std::int32_t>(segment.size()),
                                                   work.data(), static_cast<std::int32_t>(work.size()), &status);
  if (U_FAILURE(status))
    return error(Errc::internal, "ICU could not normalise text: {}", u_errorName(status));
  std::int32_t written = 0;
  u_strToUTF8(reinterpret_cast<char*>(out.data() + length), static_cast<std::int32_t>(out.size() - length), &written,
              work.data(), normalised, &status);
  if (status == U_BUFFER_OVERFLOW_ERROR || status == U_STRING_NOT_TERMINATED_WARNING)
    return Status(Errc::invalid_argument, "the text is too long once normalised");
  if (U_FAILURE(status))
    return error(Errc::internal, "ICU could not write UTF-8: {}", u_errorName(status));
  length += static_cast<std::size_t>(written);
  return {};
}

}  // namespace

Result<std::size_t> nfkd(ByteView text, std::span<std::uint8_t> out) {
  if (text.size() > kNfkdMaxInput)
    return error(Errc::invalid_argument, "text to normalise is at most {} bytes, not {}", kNfkdMaxInput, text.size());
  if (text.empty())
    return std::size_t{0};
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* const normaliser = unorm2_getNFKDInstance(&status);
  if (U_FAILURE(status))
    return error(Errc::internal, "ICU has no NFKD normaliser: {}", u_errorName(status));
  ScratchFrame frame;
  // UTF-8 takes at least as many bytes as UTF-16 takes units.
  SH_ASSIGN_OR_RETURN(auto utf16_bytes, frame.take(text.size() * sizeof(UChar)));
  SH_ASSIGN_OR_RETURN(auto work_bytes,
                      frame.take(static_cast<std::size_t>(kMaxSegment) * kMaxGrowth16 * sizeof(UChar)));
  const std::span<UChar> utf16 = as_uchars(utf16_bytes);
  std::int32_t units = 0;
  u_strFromUTF8(utf16.data(), static_cast<std::int32_t>(utf16.size()), &units,
                reinterpret_cast<const char*>(text.data()), static_cast<std::int32_t>(text.size()), &status);
  if (U_FAILURE(status))
    return Status(Errc::invalid_argument, "the text is not UTF-8");
  std::size_t length = 0;
  for (std::int32_t start = 0; start < units;) {
    const std::int32_t end = segment_end(normaliser, utf16.first(static_cast<std::size_t>(units)), start);
    if (end - start > kMaxSegment)
      return Status(Errc::invalid_argument, "the text holds more than 31 combining marks in a row");
    SH_RETURN_IF_ERROR(append_segment(
        normaliser, utf16.subspan(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start)),
        as_uchars(work_bytes), out, length));
    start = end;
  }
  return length;
}

}  // namespace stronghold::vault
