#pragma once
// The knowledge base keeps a recipient's ИИН (or БИН) only as HMAC-SHA256(secret, number).
#include "stagegate/consumers/personal_number_key.h"

namespace stagegate::knowledge_base {

using RecipientKey = consumers::PersonalNumberKey;
using consumers::equal_in_constant_time;

}  // namespace stagegate::knowledge_base
