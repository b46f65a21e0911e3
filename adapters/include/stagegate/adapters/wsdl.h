#pragma once
#include <string_view>

namespace stagegate::adapters {

// wsdl/SyncChannel.wsdl as compiled into the binary; served at GET /?wsdl.
std::string_view sync_channel_wsdl();

}  // namespace stagegate::adapters
