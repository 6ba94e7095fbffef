//! The builder methods every estimator shares, written once.

/// Implements, for an estimator type with fields `params` and `comm: Option<Comm>` (and
/// `Default`), `with_params`, `comm`, `params`, and one consuming setter per listed parameter
/// (each setting the field of that name, with the doc comment given); with `new = "doc"`, also
/// `new()`, the defaults.
macro_rules! builder {
    ($estimator:ty, $params:ty { $( $(#[$doc:meta])* $name:ident: $value:ty ),* $(,)? } $(, new = $new_doc:literal)?) => {
        impl $estimator {
            $(
                #[doc = $new_doc]
                pub fn new() -> Self {
                    Self::default()
                }
            )?

            /// From parameters (as read from a model file or the command line).
            pub fn with_params(params: $params) -> Self {
                Self {
                    params,
                    ..Self::default()
                }
            }

            /// The ranks that fit together; `Comm::world()` by default.
            pub fn comm(mut self, comm: spmd_comm::Comm) -> Self {
                self.comm = Some(comm);
                self
            }

            /// The parameters.
            pub fn params(&self) -> &$params {
                &self.params
            }

            $(
                $(#[$doc])*
                pub fn $name(mut self, $name: $value) -> Self {
                    self.params.$name = $name;
                    self
                }
            )*
        }
    };
}

pub(crate) use builder;
