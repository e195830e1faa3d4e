//! VAT.
