//! The server's integration tests, as one binary: each needs the whole shop linked in,
//! and one link instead of nine saves minutes of build and gigabytes of disk. Every test
//! still gets its own fresh database.

// Test code: a failed expectation is the test failing, as it should.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

mod abuse;
mod accounts;
mod addresses;
mod admin_orders;
mod cart;
mod catalog;
mod categories;
mod checkout;
mod checkout_pages;
mod constraints;
mod coupons;
mod customers;
mod dashboard;
mod discounts;
mod fulfilment;
mod hostile;
mod images;
mod imports;
mod inventory;
mod listing;
mod orders;
mod outage;
mod pages;
mod passwords;
mod permissions;
mod product_edit;
mod products;
mod refunds;
mod returns;
mod roles;
mod security;
mod sessions;
mod shipping_tax;
mod smtp;
mod staff;
mod startup;
mod stripe;
