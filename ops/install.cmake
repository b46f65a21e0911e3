# `cmake --install`: the binary, the WSDL and schemas, the consumers' data, the docs, and the
# systemd units with the sysusers/tmpfiles entries and a sample configuration (docs/packaging.md).
set(STAGEGATE_SHARE ${CMAKE_INSTALL_DATADIR}/stagegate)
if(TARGET stagegate)
  install(TARGETS stagegate RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY ${CMAKE_SOURCE_DIR}/wsdl/ DESTINATION ${STAGEGATE_SHARE}/wsdl FILES_MATCHING PATTERN "*.wsdl" PATTERN "*.xsd")
install(DIRECTORY ${CMAKE_SOURCE_DIR}/consumers/monitoring/data/ DESTINATION ${STAGEGATE_SHARE}/monitoring)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/consumers/notification/data/ DESTINATION ${STAGEGATE_SHARE}/notification)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${CMAKE_SOURCE_DIR}/ops/systemd/gateway.toml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The units name the installed binary and data directory.
set(STAGEGATE_BINARY_PATH ${CMAKE_INSTALL_FULL_BINDIR}/stagegate)
set(STAGEGATE_DATA_PATH ${CMAKE_INSTALL_FULL_DATADIR}/stagegate)
foreach(unit stagegate-gateway stagegate-monitor stagegate-kb stagegate-notify)
  file(READ ${CMAKE_SOURCE_DIR}/ops/systemd/${unit}.service unit_text)
  string(REPLACE "/usr/bin/stagegate" "${STAGEGATE_BINARY_PATH}" unit_text "${unit_text}")
  string(REPLACE "/usr/share/stagegate" "${STAGEGATE_DATA_PATH}" unit_text "${unit_text}")
  file(WRITE ${CMAKE_BINARY_DIR}/systemd/${unit}.service "${unit_text}")
  install(FILES ${CMAKE_BINARY_DIR}/systemd/${unit}.service DESTINATION lib/systemd/system)
endforeach()
install(FILES ${CMAKE_SOURCE_DIR}/ops/systemd/stagegate.sysusers DESTINATION lib/sysusers.d RENAME stagegate.conf)
install(FILES ${CMAKE_SOURCE_DIR}/ops/systemd/stagegate.tmpfiles DESTINATION lib/tmpfiles.d RENAME stagegate.conf)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/ops/systemd/stagegate-gateway.service ${CMAKE_SOURCE_DIR}/ops/systemd/stagegate-monitor.service
  ${CMAKE_SOURCE_DIR}/ops/systemd/stagegate-kb.service ${CMAKE_SOURCE_DIR}/ops/systemd/stagegate-notify.service)
