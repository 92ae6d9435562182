#include "app.hpp"

int main() {
  return dbaas::service::Main(dbaas::backup::Definition());
}
