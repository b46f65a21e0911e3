#pragma once
// Contacts and the outbox are keyed by HMAC-SHA256 of the citizen's IIN/BIN, never the number.
#include "stagegate/consumers/personal_number_key.h"

namespace stagegate::notification {

using CitizenKeys = consumers::PersonalNumberKey;
using consumers::sha256_hex;

}  // namespace stagegate::notification
