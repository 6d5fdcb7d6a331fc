// sable::BondFile: the public way to list and delete bonds without a
// controller (sable-cli bonds uses it).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "sable/bond_file.hpp"

namespace {

std::string temp_path(const char* name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("sable-bondfile-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / "bonds").string();
}

TEST(BondFileTest, ANewFileHasNoBondsAndNoWarning) {
  auto file = sable::BondFile::open(temp_path("new"));
  ASSERT_TRUE(file.ok()) << std::string(file.error().message);
  EXPECT_TRUE(file.value()->bonds().empty());
  EXPECT_FALSE(file.value()->warning().has_value());
}

TEST(BondFileTest, DeletingAnUnknownBondIsNotFound) {
  auto file = sable::BondFile::open(temp_path("unknown"));
  ASSERT_TRUE(file.ok());
  auto peer = sable::Address::parse("c0:11:22:33:44:55");
  ASSERT_TRUE(peer.has_value());
  auto r = file.value()->delete_bond(*peer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, sable::ErrorKind::kNotFound);
}

TEST(BondFileTest, AFileInADirectoryThatCannotExistIsABadArgument) {
  auto path = temp_path("nodir");
  std::ofstream(path) << "x";  // a file where the path needs a directory
  auto file = sable::BondFile::open(path + "/bonds");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.error().kind, sable::ErrorKind::kBadArgument);
  EXPECT_NE(std::string(file.error().message).find("bond store"), std::string::npos);
}

TEST(BondFileTest, ACorruptFileIsMovedAsideWithAWarning) {
  auto path = temp_path("corrupt");
  std::ofstream(path) << "not a bond file at all";
  auto file = sable::BondFile::open(path);
  ASSERT_TRUE(file.ok()) << std::string(file.error().message);
  EXPECT_TRUE(file.value()->bonds().empty());
  ASSERT_TRUE(file.value()->warning().has_value());
  EXPECT_NE(file.value()->warning()->find("corrupt"), std::string::npos)
      << *file.value()->warning();
}

}  // namespace
