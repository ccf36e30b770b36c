//! The built-in rule pack, seeded on first start.
