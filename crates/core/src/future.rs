//! The boxed future the engine's traits return ([`crate::clock::Clock`],
//! [`crate::executor::Executor`], the model providers). It sits below both so that the clock
//! does not depend on the executor.

use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
