//! Who may do what, tried as an attacker would (issue "Nobody gets in where they don't
//! belong"): one module per kind of attack, each test one thing that was possible before.

mod abuse;
mod audit;
mod edges;
mod files;
mod limits;
mod lines;
mod matrix;
mod membership;
mod secrets;
mod served;
mod sessions;
mod unconfirmed;
