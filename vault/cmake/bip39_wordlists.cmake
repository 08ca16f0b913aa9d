# Run at build time (cmake -DWORDLISTS=<dir> -DOUTPUT=<file> -P bip39_wordlists.cmake): turns the
# ten published BIP39 wordlists into C++ string literals, one per language, that
# vault/src/bip39_wordlist.cpp indexes at compile time. Each file must have the SHA-256 of the
# file published in bitcoin/bips `bip-0039/` at commit 7fe0b034 (vault/wordlists/README.md), so a
# changed or damaged list stops the build instead of changing which words a seed stands for.
set(_lists
  english 2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda
  japanese 2eed0aef492291e061633d7ad8117f1a2b03eb80a29d0e4e3117ac2528d05ffd
  korean 9e95f86c167de88f450f0aaf89e87f6624a57f973c67b516e338e8e8b8897f60
  spanish 46846a5a0139d1e3cb77293e521c2865f7bcdb82c44e8d0a06a2cd0ecba48c0b
  chinese_simplified 5c5942792bd8340cb8b27cd592f1015edf56a8c5b26276ee18a482428e7c5726
  chinese_traditional 417b26b3d8500a4ae3d59717d7011952db6fc2fb84b807f3f94ac734e89c1b5f
  french ebc3959ab7801a1df6bac4fa7d970652f1df76b683cd2f4003c941c63d517e59
  italian d392c49fdb700a24cd1fceb237c1f65dcc128f6b34a8aacb58b59384b5c648c2
  czech 7e80e161c3e93d9554c2efb78d4e3cebf8fc727e9c52e03b83b94406bdcc95fc
  portuguese 2685e9c194c82ae67e10ba59d9ea5345a23dc093e92276fc5361f6667d79cd3f)

set(_out "// Generated from vault/wordlists/*.txt by vault/cmake/bip39_wordlists.cmake: do not edit.\n")
while(_lists)
  list(POP_FRONT _lists _name _expected)
  set(_file "${WORDLISTS}/${_name}.txt")
  file(SHA256 "${_file}" _actual)
  if(NOT _actual STREQUAL _expected)
    message(FATAL_ERROR "${_file} has SHA-256 ${_actual}, not the published list's ${_expected}")
  endif()
  # Every byte as an escape, so the literal is the file's bytes whatever the compiler's charsets;
  # one word a line of the generated file.
  file(READ "${_file}" _hex HEX)
  string(REGEX REPLACE "(..)" "\\\\x\\1" _escaped "${_hex}")
  string(REPLACE "\\x0a" "\\n\"\n    \"" _escaped "${_escaped}")
  string(APPEND _out "inline constexpr std::string_view kBip39Text_${_name} =\n    \"${_escaped}\";\n")
endwhile()
file(WRITE "${OUTPUT}.new" "${_out}")
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.new")
