# sable as an installable library: one archive, libsable.a, made of the Linux
# build's layers (the objects of sable_common ... sable_api), the public
# headers (include/sable), an exported CMake package
#   find_package(sable CONFIG REQUIRED)  ->  target sable::sable
# a pkg-config file (sable.pc), the two programs, and a Debian package
# through CPack (cpack -G DEB in the build directory). Consumers need nothing
# from src/: the public headers include only each other.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
find_package(Threads REQUIRED)

set(SABLE_LIBRARY_LAYERS common crypto hci l2cap att gatt smp store gap transport platform api)
add_library(sable STATIC)
foreach(layer IN LISTS SABLE_LIBRARY_LAYERS)
  target_sources(sable PRIVATE $<TARGET_OBJECTS:sable_${layer}>)
endforeach()
set_target_properties(sable PROPERTIES LINKER_LANGUAGE CXX EXPORT_NAME sable)
target_include_directories(sable INTERFACE $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                                           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_compile_features(sable INTERFACE cxx_std_20)
# mbedTLS (libmbedtls-dev) provides AES and P-256 (src/crypto).
target_link_libraries(sable INTERFACE Threads::Threads $<BUILD_INTERFACE:mbedcrypto_ext>
                                      $<INSTALL_INTERFACE:mbedcrypto>)
add_library(sable::sable ALIAS sable)

install(TARGETS sable EXPORT sableTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/sable DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT sableTargets NAMESPACE sable:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sable)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/sableConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/sableConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sable)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sableConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sableConfig.cmake ${PROJECT_BINARY_DIR}/sableConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sable)
# pkg-config: the archive is static, so its dependencies are in Libs.
# Relocatable: the prefix is found from the .pc file's own place (pcfiledir),
# so that cmake --install --prefix DIR gives a working file.
file(RELATIVE_PATH SABLE_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${CMAKE_CURRENT_LIST_DIR}/sable.pc.in ${PROJECT_BINARY_DIR}/sable.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/sable.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# A Debian package of the above: cpack -G DEB (in the build directory).
set(CPACK_PACKAGE_NAME sable)
set(CPACK_PACKAGE_VENDOR "sable")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Bluetooth Low Energy host stack in C++20 (library, headers, tools)")
set(CPACK_PACKAGE_CONTACT "sable maintainers")
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libmbedtls-dev (>= 2.28)")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_GENERATOR DEB)
include(CPack)
