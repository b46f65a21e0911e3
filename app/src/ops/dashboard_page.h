#pragma once
// The operators' dashboard page (GET /dashboard on the ops listener).
#include <string_view>

namespace stagegate::app {

std::string_view dashboard_page();

}  // namespace stagegate::app
