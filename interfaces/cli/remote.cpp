#include "remote.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include <sodium.h>

namespace stronghold::cli {
namespace {

Bytes text_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }
std::string bytes_text(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

void wipe(std::vector<Bytes>& fields) {
  for (Bytes& field : fields)
    sodium_memzero(field.data(), field.size());
}

// The output of a command run in the daemon, as the answer's fields.
class RecordedOutput final : public Output {
 public:
  void result(const Fields& fields, Layout layout) override {
    std::vector<Bytes> items = {text_bytes(layout == Layout::record ? "R" : "r")};
    for (const auto& [name, value] : fields)
      items.insert(items.end(), {text_bytes(name), text_bytes(value)});
    records_.push_back(wire::encode_list(items));
  }
  void secret_value(const std::string& name, ByteView bytes) override {
    // Built in place: an initializer list would copy the secret and free that copy unwiped.
    std::vector<Bytes> items;
    items.reserve(3);
    items.push_back(text_bytes("s"));
    items.push_back(text_bytes(name));
    items.emplace_back(bytes.begin(), bytes.end());
    records_.push_back(wire::encode_list(items));
    wipe(items);
  }
  Status new_file(const std::string& path, ByteView content) override {
    records_.push_back(wire::encode_list({text_bytes("f"), text_bytes(path), Bytes(content.begin(), content.end())}));
    return {};
  }
  std::vector<Bytes> take() { return std::move(records_); }

 private:
  std::vector<Bytes> records_;
};

// The daemon's engine as a command's store.
class EngineStore final : public Store {
 public:
  EngineStore(Engine& engine, const Inputs& inputs) : engine_(engine), inputs_(inputs) {}
  Status transact(const std::function<Status(vault::Transaction&)>& body) override { return engine_.transact(body); }
  Status read(const std::function<Status(const vault::Keystore&)>& body) override { return engine_.read(body); }
  Status collect_garbage() override { return engine_.collect_garbage(); }
  Status change_password(ByteView new_password) override {
    SH_ASSIGN_OR_RETURN(const runtime::SecretBuffer* const current, inputs_.secret("password"));
    auto view = current->read();
    return engine_.change_password(view.bytes(), new_password);
  }

 private:
  Engine& engine_;
  const Inputs& inputs_;
};

Status malformed() { return Status(Errc::internal, "strongholdd sent a malformed answer"); }

// `out_file`: the only file the command may write (its --out).
Status replay_record(std::vector<Bytes>& items, const std::optional<std::string>& out_file, Output& out) {
  if (items.empty())
    return malformed();
  const std::string kind = bytes_text(items[0]);
  if ((kind == "r" || kind == "R") && items.size() % 2 == 1) {
    Output::Fields fields;
    for (std::size_t i = 1; i < items.size(); i += 2)
      fields.emplace_back(bytes_text(items[i]), bytes_text(items[i + 1]));
    out.result(fields, kind == "R" ? Output::Layout::record : Output::Layout::value_per_line);
    return {};
  }
  if (kind == "s" && items.size() == 3) {
    out.secret_value(bytes_text(items[1]), items[2]);
    return {};
  }
  if (kind == "f" && items.size() == 3 && out_file == bytes_text(items[1]))
    return out.new_file(*out_file, items[2]);
  if (kind == "e" && items.size() == 3 && items[1].size() == 1 && items[1][0] != 0)
    return Status(static_cast<Errc>(items[1][0]), bytes_text(items[2]));
  return malformed();
}

}  // namespace

Result<wire::Client> connect_to_daemon(const std::string& socket) {
  std::chrono::seconds timeout = wire::kDefaultAnswerTimeout;
  if (const char* value = std::getenv("STRONGHOLD_TIMEOUT"); value != nullptr && *value != '\0') {
    char* end = nullptr;
    const long seconds = std::strtol(value, &end, 10);
    if (*end != '\0' || seconds < 1 || seconds > 86'400)
      return error(Errc::invalid_argument, "STRONGHOLD_TIMEOUT is a number of seconds from 1 to 86400, not '{}'",
                   value);
    timeout = std::chrono::seconds(seconds);
  }
  return wire::Client::connect(socket, timeout);
}

Status run_remote(const std::string& socket, const Command& command, const std::vector<std::string>& words,
                  const Args& args, const Inputs& inputs, Output& out) {
  std::vector<Bytes> word_bytes;
  word_bytes.reserve(words.size());
  for (const std::string& word : words)
    word_bytes.push_back(text_bytes(word));
  std::vector<Bytes> fields = {text_bytes(command.name), wire::encode_list(word_bytes)};
  for (Bytes& input : inputs.encode())
    fields.push_back(std::move(input));
  std::size_t size = 0;
  for (const Bytes& field : fields)
    size += 4 + field.size();
  if (size + 64 > wire::kMaxFrame) {
    wipe(fields);
    return error(Errc::invalid_argument,
                 "the command's input ({} bytes) is more than strongholdd takes in one request ({} bytes); "
                 "run it without --socket while strongholdd is stopped",
                 size, wire::kMaxFrame);
  }
  auto client = connect_to_daemon(socket);
  if (!client.ok()) {
    wipe(fields);
    return client.status();
  }
  SH_ASSIGN_OR_RETURN(std::vector<Bytes> answer, client->call(wire::Op::command, std::move(fields)));
  Status replayed;
  for (const Bytes& record : answer) {
    auto items = wire::decode_list(record);
    replayed = items.ok() ? replay_record(*items, args.value("--out"), out) : malformed();
    if (items.ok())
      wipe(*items);
    if (!replayed.ok())
      break;
  }
  wipe(answer);
  return replayed;
}

Result<std::vector<Bytes>> serve_command(Engine& engine, std::vector<Bytes>& fields) {
  struct WipeOnExit {
    std::vector<Bytes>& fields;
    ~WipeOnExit() { wipe(fields); }
  } wipe_on_exit{fields};
  if (fields.size() < 2)
    return Status(Errc::invalid_argument, "a command request holds its name and its words");
  const Command* const command = find_command(bytes_text(fields[0]));
  if (command == nullptr)
    return error(Errc::invalid_argument, "strongholdd runs no command '{}'", bytes_text(fields[0]));
  SH_ASSIGN_OR_RETURN(const std::vector<Bytes> word_bytes, wire::decode_list(fields[1]));
  std::vector<std::string> words;
  words.reserve(word_bytes.size());
  for (const Bytes& word : word_bytes)
    words.push_back(bytes_text(word));
  SH_ASSIGN_OR_RETURN(const Args args, parse_command_words(*command, words));
  std::vector<Bytes> input_fields(std::make_move_iterator(fields.begin() + 2), std::make_move_iterator(fields.end()));
  auto inputs = Inputs::decode(input_fields);
  wipe(input_fields);
  SH_RETURN_IF_ERROR(inputs.status());
  EngineStore store(engine, *inputs);
  RecordedOutput out;
  const Status ran = command->run(args, *inputs, store, out);
  std::vector<Bytes> answer = out.take();
  if (ran.ok())
    return answer;
  if (answer.empty())
    return ran;
  // What the command printed before it failed (an import's plan) comes back with the error.
  answer.push_back(
      wire::encode_list({text_bytes("e"), Bytes{static_cast<std::uint8_t>(ran.code())}, text_bytes(ran.message())}));
  return answer;
}

bool stretches_password(const std::vector<Bytes>& fields) {
  static const std::vector<std::string> stretched = {"--export-password-file", "password", "new password"};
  for (std::size_t i = 2; i + 1 < fields.size(); i += 3) {  // the inputs: kind, name, bytes
    const std::string name = bytes_text(fields[i + 1]);
    if (fields[i] == Bytes{'s'} && std::find(stretched.begin(), stretched.end(), name) != stretched.end())
      return true;
  }
  return false;
}

}  // namespace stronghold::cli
