#include "app.hpp"

int main() { return dbaas::service::Main(dbaas::access_control::Definition()); }
