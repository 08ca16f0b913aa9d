// `stronghold --socket`: a command run inside strongholdd. The user's process reads the
// command's inputs and sends them with its words (Op::command); the daemon runs the same
// command body on its engine and sends back the output, which the user's process prints (and
// the files it writes, which the user's process writes), so output, errors and exit codes are
// the same as without --socket.
//
// Output records on the wire, each one field: list("r" | "R", name, value, ...) a result (R: a
// record's layout), list("s", name, value) a secret value, list("f", path, content) a new file.
#pragma once

#include <string>
#include <vector>

#include "command.hpp"
#include "stronghold/engine.hpp"
#include "wire/client.hpp"

namespace stronghold::cli {

// A connection to the strongholdd at `socket`, whose answers are awaited for $STRONGHOLD_TIMEOUT
// seconds (default 60); invalid_argument for a value that is not a number of seconds.
Result<wire::Client> connect_to_daemon(const std::string& socket);

// The user's side: sends `command` with its `words` (after the command's name; `args` parsed)
// and `inputs`, and replays the answer into `out` (writing no file but the one --out names).
Status run_remote(const std::string& socket, const Command& command, const std::vector<std::string>& words,
                  const Args& args, const Inputs& inputs, Output& out);

// The daemon's side: runs an Op::command request's fields on `engine`; the answer's fields.
// Wipes the request's fields.
Result<std::vector<Bytes>> serve_command(Engine& engine, std::vector<Bytes>& fields);
// Whether an Op::command request's inputs hold a password that its command stretches with a
// password KDF (an export or import password, passwd's current and new ones): strongholdd runs
// those one at a time, beside the other requests.
bool stretches_password(const std::vector<Bytes>& fields);

}  // namespace stronghold::cli
