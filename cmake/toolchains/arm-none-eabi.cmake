# Cortex-M4 (Thumb-2) bare-metal cross build with Debian's arm-none-eabi GCC
# (packages gcc-arm-none-eabi, libnewlib-arm-none-eabi,
# libstdc++-arm-none-eabi-newlib). Size-optimised, no exceptions, no RTTI,
# one section per function/object so that --gc-sections drops what is unused.
#
#   cmake -S ports/footprint -B build-m4 \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-none-eabi.cmake
#
# SABLE_ARM_CPU_FLAGS may override the CPU flags (e.g. to add an FPU:
# "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16").
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_CROSSCOMPILING ON)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
set(CMAKE_AR arm-none-eabi-ar)
set(CMAKE_RANLIB arm-none-eabi-ranlib)
set(CMAKE_OBJCOPY arm-none-eabi-objcopy)
set(CMAKE_SIZE arm-none-eabi-size)

# try_compile cannot link a bare-metal executable without a linker script.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

if(NOT SABLE_ARM_CPU_FLAGS)
  set(SABLE_ARM_CPU_FLAGS "-mcpu=cortex-m4 -mthumb")
endif()
# -Wno-psabi: silences GCC 7.1 ABI-change notes about iterator passing.
set(_sable_arm_common "${SABLE_ARM_CPU_FLAGS} -Os -ffunction-sections -fdata-sections -Wno-psabi")
set(CMAKE_C_FLAGS_INIT "${_sable_arm_common}")
set(CMAKE_CXX_FLAGS_INIT
    "${_sable_arm_common} -fno-exceptions -fno-rtti")
set(CMAKE_ASM_FLAGS_INIT "${SABLE_ARM_CPU_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${SABLE_ARM_CPU_FLAGS} -Wl,--gc-sections --specs=nosys.specs")
# -Os everywhere: the build type must not add -O2/-O3 on top.
set(CMAKE_C_FLAGS_RELEASE_INIT "")
set(CMAKE_CXX_FLAGS_RELEASE_INIT "")
set(CMAKE_C_FLAGS_MINSIZEREL_INIT "")
set(CMAKE_CXX_FLAGS_MINSIZEREL_INIT "")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
