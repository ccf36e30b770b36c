pub mod sigma;
