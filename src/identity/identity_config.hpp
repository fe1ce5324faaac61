#pragma once

// Reading the `identity:` section. Declared in identity.hpp (parse_config); this header holds
// the parsing helpers shared with tests.

#include "identity/identity.hpp"
