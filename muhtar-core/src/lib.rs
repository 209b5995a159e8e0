//! Pure domain logic of the Muhtar Bilgi Sistemi.
